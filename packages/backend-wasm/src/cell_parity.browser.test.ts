import { cellParityTests } from '@basicrnn/test-kit/cells';
import './index.js';
import { expectWasmBuildOfSuite } from './test/expect_wasm_build.js';
import { itSplitKernelCalls, splitEveryKernelCall } from './test/kernel_threads_everywhere.js';

// Runs in both browser suites; the config's setup files set the wasm paths (and, isolated, the thread count).
// Isolated, every fused call is also split across the kernel threads, down to one batch row per thread.
splitEveryKernelCall();
cellParityTests({
  backend: 'wasm',
  label: __WASM_THREADS_SUITE__ ? 'wasm (Chromium, cross-origin isolated, threaded, kernel threads)' : 'wasm (Chromium, 1 thread)',
  check: expectWasmBuildOfSuite,
});
itSplitKernelCalls();
