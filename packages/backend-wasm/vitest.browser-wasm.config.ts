import { defineConfig } from 'vitest/config';
import { browserConfig } from '../../vitest.shared.ts';

// A plain page (not cross-origin isolated): tfjs loads the SIMD build with one thread.
export default defineConfig(
  browserConfig({
    setupFiles: ['src/test/setup_wasm_paths.ts'],
    define: { __WASM_THREADS_SUITE__: 'false' },
  }),
);
