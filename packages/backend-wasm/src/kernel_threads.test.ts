import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, recurrence, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getKernelThreadStats, getWasmInfo, wasmKernelThreadsReady } from './index.js';
import { setKernelThreadTuning, splitBatch, splitUnits, updateSpeeds } from './kernels/threads.js';

// Node: tfjs-backend-wasm loads its SIMD build on a plain (unshared) memory and has no Web Workers, so the fused
// kernels' threads stay off whatever is asked; the browser suites test them running.

describe('wasm kernel threads in Node', () => {
  it("configureWasm({ kernelThreadSplit }) takes 'balanced' or 'even', else ConfigError; stats say which runs", () => {
    for (const bad of ['fast', 'Even', 1, null, true]) {
      expect(() => configureWasm({ kernelThreadSplit: bad as never })).toThrow(ConfigError);
    }
    expect(() => configureWasm({ kernelThreadSplit: 'fast' as never })).toThrow(/expected one of 'balanced', 'even', received 'fast'/);
    expect(() => configureWasm({ kernelThreadsSplit: 'even' } as never)).toThrow(/did you mean "kernelThreadSplit"/);
    expect(getKernelThreadStats().split).toBe('balanced');
    configureWasm({ kernelThreadSplit: 'even' });
    expect(getKernelThreadStats().split).toBe('even');
    configureWasm({ kernelThreadSplit: 'balanced' });
    expect(getKernelThreadStats()).toMatchObject({ split: 'balanced', speeds: [1], lastRows: [], lastThreadMs: [] });
  });

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
  it('with speeds, sizes each range in proportion to its thread speed, on the row unit, never below it', () => {
    expect(splitBatch(64, big, 2, [1, 1])).toEqual(splitBatch(64, big, 2));
    expect(splitBatch(64, big, 2, [3, 1])).toEqual([{ start: 0, count: 48 }, { start: 48, count: 16 }]);
    expect(splitBatch(64, big, 2, [1, 1.5])).toEqual([{ start: 0, count: 24 }, { start: 24, count: 40 }]);
    // Scale does not matter; unusable speeds count as 1.
    expect(splitBatch(64, big, 2, [30, 10])).toEqual(splitBatch(64, big, 2, [3, 1]));
    expect(splitBatch(64, big, 2, [Number.NaN, 0])).toEqual(splitBatch(64, big, 2));
    expect(splitBatch(64, big, 2, [-1, Number.POSITIVE_INFINITY])).toEqual(splitBatch(64, big, 2));
    // Every range keeps at least one 4-row tile; B 8 on 2 threads cannot move.
    expect(splitBatch(64, big, 2, [1000, 1])).toEqual([{ start: 0, count: 60 }, { start: 60, count: 4 }]);
    expect(splitBatch(8, big, 2, [3, 1])).toEqual([{ start: 0, count: 4 }, { start: 4, count: 4 }]);
    expect(splitBatch(64, big, 4, [1, 1, 1, 1000]).map((r) => r.count)).toEqual([4, 4, 4, 52]);
    expect(splitBatch(64, big, 4, [2, 1, 1, 0.5]).map((r) => r.count)).toEqual([28, 16, 12, 8]);
    // Below 4 rows a thread: ranges of at least minRows (2).
    expect(splitBatch(6, big, 2, [100, 1]).map((r) => r.count)).toEqual([4, 2]);
    for (const [batch, threads, speeds] of [[13, 3, [1, 2, 0.5]], [10, 4, [0.6, 1.7, 1, 0.7]], [200, 3, [2, 0.5, 1]]] as const) {
      const rows = splitBatch(batch, big, threads, speeds);
      expect(rows.reduce((n, r) => n + r.count, 0)).toBe(batch);
      expect(rows.every((r, k) => r.count >= 2 && r.start === (k === 0 ? 0 : rows[k - 1]!.start + rows[k - 1]!.count))).toBe(true);
    }
  });
  it('keeps small calls and single threads whole', () => {
    expect(splitBatch(64, 1000, 4)).toEqual([{ start: 0, count: 64 }]);
    expect(splitBatch(64, big, 1)).toEqual([{ start: 0, count: 64 }]);
  });
});

describe('updateSpeeds (the balanced split)', () => {
  const rows = (...counts: number[]) => counts.map((count, k) => ({ start: counts.slice(0, k).reduce((a, b) => a + b, 0), count }));
  const close = (a: number[], b: number[]) => a.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 6));

  it('equal rows per ms keep equal speeds', () => {
    const speeds = [1, 1];
    updateSpeeds(speeds, rows(32, 32), [10, 10]);
    close(speeds, [1, 1]);
    updateSpeeds(speeds, rows(40, 24), [20, 12]);
    close(speeds, [1, 1]);
  });

  it('a thread that keeps taking twice as long per row converges to half the speed of the other', () => {
    const speeds = [1, 1];
    updateSpeeds(speeds, rows(32, 32), [10, 20]);
    close(speeds, [7 / 6, 5 / 6]); // halfway to 4/3 : 2/3
    for (let i = 0; i < 30; i++) updateSpeeds(speeds, rows(32, 32), [10, 20]);
    close(speeds, [4 / 3, 2 / 3]);
    // The split that follows makes both shares take the same time.
    expect(splitBatch(48, 1 << 30, 2, speeds).map((r) => r.count)).toEqual([32, 16]);
  });

  it('stays within half and twice the mean; calls with a share under minTimedMs, or bad times, change nothing', () => {
    const speeds = [1, 1, 1];
    for (let i = 0; i < 30; i++) updateSpeeds(speeds, rows(16, 16, 16), [1, 1, 1000]);
    expect(Math.max(...speeds)).toBeLessThanOrEqual(2);
    expect(Math.min(...speeds)).toBeCloseTo(0.5, 6);
    const before = [...speeds];
    updateSpeeds(speeds, rows(16, 16, 16), [0.5, 3, 3]);
    updateSpeeds(speeds, rows(16, 16, 16), [Number.NaN, 3, 3]);
    updateSpeeds(speeds, rows(16, 16), [3]);
    expect(speeds).toEqual(before);
    setKernelThreadTuning({ minTimedMs: 0 });
    try {
      updateSpeeds(speeds, rows(16, 16, 16), [0.5, 0.5, 0.5]);
      expect(speeds).not.toEqual(before);
    } finally {
      setKernelThreadTuning();
    }
  });

  it('a call on fewer threads than the pool updates those threads only, on the same scale', () => {
    const speeds = [1, 1, 1, 1];
    updateSpeeds(speeds, rows(32, 32), [10, 30]);
    expect(speeds[2]).toBe(speeds[3]);
    expect(speeds[0]).toBeGreaterThan(speeds[2]!);
    expect(speeds[1]).toBeLessThan(speeds[2]!);
    expect(speeds.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(1, 6);
  });
});

describe('splitUnits (the column split)', () => {
  it('splits hidden units on multiples of 8 in proportion to the speeds, at least 8 a thread', () => {
    expect(splitUnits(128, 2)).toEqual([[0, 64], [64, 128]]);
    expect(splitUnits(128, 2, [1.6, 1])).toEqual([[0, 80], [80, 128]]);
    expect(splitUnits(128, 2, [1, 2])).toEqual([[0, 40], [40, 128]]);
    expect(splitUnits(48, 3)).toEqual([[0, 16], [16, 32], [32, 48]]);
    expect(splitUnits(16, 2, [100, 1])).toEqual([[0, 8], [8, 16]]);
    expect(splitUnits(32, 4, [1, 1, 1, 5])).toEqual([[0, 8], [8, 16], [16, 24], [24, 32]]);
    for (const [hidden, threads] of [[256, 3], [72, 4], [128, 5]] as const) {
      const parts = splitUnits(hidden, threads, [1.3, 0.7, 1, 1.9, 0.5].slice(0, threads));
      expect(parts).toHaveLength(threads);
      expect(parts[0]![0]).toBe(0);
      expect(parts[threads - 1]![1]).toBe(hidden);
      parts.forEach(([j0, j1], k) => {
        expect(j1 - j0).toBeGreaterThanOrEqual(8);
        expect(j0 % 8).toBe(0);
        if (k > 0) expect(j0).toBe(parts[k - 1]![1]);
      });
    }
  });

  it('gives nothing to split where the units cannot be shared on 8-unit steps', () => {
    expect(splitUnits(100, 2)).toEqual([]); // not a multiple of 8
    expect(splitUnits(8, 2)).toEqual([]); // fewer than 8 a thread
    expect(splitUnits(64, 1)).toEqual([]);
  });
});
