import { setBackend } from '@basicrnn/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getKernelThreadStats, wasmKernelThreadsReady } from '../index.js';
import { setKernelThreadTuning } from '../kernels/threads.js';

/**
 * In the cross-origin isolated suite, makes every fused kernel call of the current test file split across the
 * kernel threads (4, as tfjs's pool: no work threshold, one batch row per thread at least), so that suites written
 * for one thread (edge shapes, masks, activations, leaks, dispatch counts) also run split; and checks at the end
 * that calls really were split ({@link itSplitKernelCalls}). No-op in the plain-page suite, where kernel threads cannot run.
 */
let before = 0;

export function splitEveryKernelCall(): void {
  if (!__WASM_THREADS_SUITE__) return;
  beforeAll(async () => {
    setKernelThreadTuning({ minWork: 0, minRows: 1 });
    await setBackend('wasm');
    expect(await wasmKernelThreadsReady()).toBe(4);
    before = getKernelThreadStats().threadedCalls;
  });
  afterAll(() => {
    setKernelThreadTuning();
  });
}

/** Register last in the file (after the suites): asserts that calls really were split. */
export function itSplitKernelCalls(): void {
  if (!__WASM_THREADS_SUITE__) return;
  it('ran its fused kernel calls split across the kernel threads', () => {
    expect(getKernelThreadStats().error).toBeUndefined();
    expect(getKernelThreadStats().threadedCalls - before).toBeGreaterThan(10);
  });
}
