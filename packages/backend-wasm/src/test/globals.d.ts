// Test scope only (src/test is excluded from the build and the package).

/** Set by each browser suite's vitest config: true in the cross-origin isolated (threaded) suite. */
declare const __WASM_THREADS_SUITE__: boolean;

/** Vite turns `import url from 'file?url'` into the URL it serves the file at. */
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
