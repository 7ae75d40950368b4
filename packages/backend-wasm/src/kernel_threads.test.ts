import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, recurrence, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getKernelThreadStats, getWasmInfo, wasmKernelThreadsReady } from './index.js';
import { splitBatch } from './kernels/threads.js';

// Node: tfjs-backend-wasm loads its SIMD build on a plain (unshared) memory and has no Web Workers, so the fused
// kernels' threads stay off whatever is asked; the browser suites test them running.

describe('wasm kernel threads in Node', () => {
  it('configureWasm({ kernelThreads }) takes an integer from 1 to 64, else ConfigError', () => {
    for (const bad of [0, 65, 2.5, '4', Number.POSITIVE_INFINITY]) {
      expect(() => configureWasm({ kernelThreads: bad as number })).toThrow(ConfigError);
    }
    expect(() => configureWasm({ kernelThreads: 2.5 })).toThrow(/integer from 1 to 64/);
    expect(() => configureWasm({ kernelThreads: 4 })).not.toThrow();
  });

  it('stay off: the memory is not shared, every call runs on one thread', async () => {
    await setBackend('wasm');
    expect(await wasmKernelThreadsReady()).toBe(1);
    expect(getWasmInfo().kernelThreads).toBe(1);
    const x = tf.randomUniform([16, 20, 8], -1, 1, 'float32', 1);
    const kernel = tf.randomUniform([8, 64], -0.3, 0.3, 'float32', 2);
    const recurrentKernel = tf.randomUniform([64, 64], -0.1, 0.1, 'float32', 3);
    const h0 = tf.zeros([16, 64]);
    const out = recurrence({ x, kernel, recurrentKernel, h0 }, { cell: 'simpleRNN', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false });
    tf.dispose([x, kernel, recurrentKernel, h0, ...Object.values(out)]);
    expect(getKernelThreadStats()).toMatchObject({ requested: 4, running: 1, threadedCalls: 0 });
    expect(getKernelThreadStats().error).toBeUndefined();
  });
});

describe('splitBatch', () => {
  const big = 1 << 30;
  it('splits on multiples of 4 rows while every thread gets 4, else evenly; never below 2 rows a thread', () => {
    expect(splitBatch(64, big, 2)).toEqual([{ start: 0, count: 32 }, { start: 32, count: 32 }]);
    expect(splitBatch(10, big, 2)).toEqual([{ start: 0, count: 4 }, { start: 4, count: 6 }]);
    expect(splitBatch(8, big, 4)).toEqual([0, 2, 4, 6].map((start) => ({ start, count: 2 })));
    expect(splitBatch(3, big, 4)).toEqual([{ start: 0, count: 3 }]);
    expect(splitBatch(5, big, 4)).toEqual([{ start: 0, count: 3 }, { start: 3, count: 2 }]);
    const rows = splitBatch(13, big, 3);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(13);
    expect(rows.every((r, k) => k === 0 || r.start === rows[k - 1]!.start + rows[k - 1]!.count)).toBe(true);
  });
  it('keeps small calls and single threads whole', () => {
    expect(splitBatch(64, 1000, 4)).toEqual([{ start: 0, count: 64 }]);
    expect(splitBatch(64, big, 1)).toEqual([{ start: 0, count: 64 }]);
  });
});
