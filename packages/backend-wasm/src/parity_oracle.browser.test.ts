import { oracleParityTests } from '@basicrnn/test-kit/oracle';
import './index.js';
import { expectWasmBuildOfSuite } from './test/expect_wasm_build.js';

// Runs in both browser suites, in a page of its own (it loads @tensorflow/tfjs, whose gradients replace core's).
oracleParityTests({
  backend: 'wasm',
  label: __WASM_THREADS_SUITE__ ? 'wasm (Chromium, cross-origin isolated, threaded)' : 'wasm (Chromium, 1 thread)',
  check: expectWasmBuildOfSuite,
});
