import { layersParityTests } from '@basicrnn/test-kit';
import './index.js';
import { expectWasmBuildOfSuite } from './test/expect_wasm_build.js';

// Runs in both browser suites; the config's setup files set the wasm paths (and, isolated, the thread count).
layersParityTests({
  backend: 'wasm',
  label: __WASM_THREADS_SUITE__ ? 'wasm (Chromium, cross-origin isolated, threaded)' : 'wasm (Chromium, 1 thread)',
  check: expectWasmBuildOfSuite,
});
