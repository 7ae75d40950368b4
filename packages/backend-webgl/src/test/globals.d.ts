// Test scope only (src/test is excluded from the build and the package).

/** Vite turns `import url from 'file?url'` into the URL it serves the file at. */
declare module '*.wasm?url' {
  const url: string;
  export default url;
}

/** Timing script only (vitest.timing-webgl.config.ts): config names from TIMING_CONFIGS, '' for all. */
declare const __TIMING_CONFIGS__: string;
/** Timing script only: runs per median from TIMING_RUNS, 0 for each config's default. */
declare const __TIMING_RUNS__: number;
/** Timing script only: TIMING_FUSED_ONLY=1 times the fused kernels alone. */
declare const __TIMING_FUSED_ONLY__: boolean;
/** Timing script only: the recurrent cell to time, from TIMING_CELL ('simpleRNN', 'lstm' or 'gru'). */
declare const __TIMING_CELL__: string;
