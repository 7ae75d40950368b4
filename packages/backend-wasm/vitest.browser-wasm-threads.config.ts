import { defineConfig } from 'vitest/config';
import { browserConfig } from '../../vitest.shared.ts';

// A cross-origin isolated page (COOP + COEP): tfjs loads the threaded SIMD build; the setup asks for 4 threads.
export default defineConfig(
  browserConfig({
    crossOriginIsolated: true,
    setupFiles: ['src/test/setup_wasm_threads.ts', 'src/test/setup_wasm_paths.ts'],
    define: { __WASM_THREADS_SUITE__: 'true' },
  }),
);
