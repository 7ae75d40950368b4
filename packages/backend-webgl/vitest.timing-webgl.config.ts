import { defineConfig } from 'vitest/config';
import { browserConfig } from '../../vitest.shared.ts';

// Not part of `pnpm test`: a quick timing of the fused kernels against the composite and tfjs-layers in headless
// Chromium (software WebGL here). Run with `pnpm exec vitest run -c vitest.timing-webgl.config.ts`.
// TIMING_CONFIGS=S,M,L,Long picks shapes (default all; Long250 only when named); TIMING_RUNS=n overrides the runs
// per median; TIMING_FUSED_ONLY=1 times the fused kernels alone; TIMING_CELL=lstm|gru times that cell (default simpleRNN).
export default defineConfig(
  browserConfig({
    include: ['src/test/*.timing.ts'],
    testTimeout: 3_600_000,
    define: {
      __TIMING_CONFIGS__: JSON.stringify(process.env.TIMING_CONFIGS ?? ''),
      __TIMING_RUNS__: JSON.stringify(Number(process.env.TIMING_RUNS ?? 0)),
      __TIMING_FUSED_ONLY__: JSON.stringify(process.env.TIMING_FUSED_ONLY === '1'),
      __TIMING_CELL__: JSON.stringify(process.env.TIMING_CELL ?? 'simpleRNN'),
    },
  }),
);
