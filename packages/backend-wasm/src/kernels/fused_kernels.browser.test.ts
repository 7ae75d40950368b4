import '../index.js';
import { expectWasmBuildOfSuite } from '../test/expect_wasm_build.js';
import { fusedKernelTests } from '../test/fused_kernel_tests.js';
import { gatedKernelTests } from '../test/gated_kernel_tests.js';
import { it } from 'vitest';
import { itSplitKernelCalls, splitEveryKernelCall } from '../test/kernel_threads_everywhere.js';

// Runs in both browser suites: the plain page instantiates the module over tfjs's plain memory, the cross-origin
// isolated page over the threaded build's shared memory.
// There, every call is also split across the kernel threads (one batch row per thread and up).
splitEveryKernelCall();
const label = __WASM_THREADS_SUITE__ ? 'Chromium, cross-origin isolated, threaded build, kernel threads' : 'Chromium, 1 thread';
fusedKernelTests(label);
gatedKernelTests(label);
itSplitKernelCalls();

it('runs on the build this suite is about', () => {
  expectWasmBuildOfSuite();
});
