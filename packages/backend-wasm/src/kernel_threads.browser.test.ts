import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BackendError,
  BasicRNN,
  ConfigError,
  type RecurrenceAttrs,
  type RecurrenceInputs,
  SEQUENCE_OPS,
  recurrence,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { type CellCase, cellCaseInputs, cellReferenceBackward, cellReferenceForward, cellToleranceFor, tensorsFor } from '@basicrnn/test-kit/cells';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeWasmKernelThreads, configureWasm, getKernelThreadStats, getWasmInfo, wasmKernelThreadsReady } from './index.js';
import { savedGateSharesRead } from './kernels/saved_gates.js';
import { kernelThreadTestHooks, setKernelThreadTuning, splitBatch } from './kernels/threads.js';
import { expectWasmBuildOfSuite } from './test/expect_wasm_build.js';

// The fused kernels' own worker threads (kernels/threads.ts). On the cross-origin isolated page (tfjs's threaded
// build, 4 threads asked by the setup) large calls are split by batch rows across 4 threads: the forward must be
// bitwise identical to one thread, the gradients equal up to the summation order of the weight gradients, and both
// within the cell tolerance of the float64 reference. On the plain page threads must stay off.

const base = { goBackwards: false, resetAfter: false, useBias: true, initialState: true, mask: false, recurrentDropout: false } as const;

// Above the default work threshold (2^20 multiply-adds), so each really splits; B 10 and 13 split unevenly.
const CASES: CellCase[] = [
  { ...base, name: 'simpleRNN B16 T16 I12 H64', cell: 'simpleRNN', batch: 16, steps: 16, inputSize: 12, units: 64, activation: 'tanh', recurrentActivation: 'sigmoid', seed: 31 },
  { ...base, name: 'simpleRNN B13 T20 I8 H64 relu goBackwards mask', cell: 'simpleRNN', batch: 13, steps: 20, inputSize: 8, units: 64, activation: 'relu', recurrentActivation: 'sigmoid', goBackwards: true, mask: 'float32', seed: 32 },
  { ...base, name: 'lstm B16 T16 I8 H32', cell: 'lstm', batch: 16, steps: 16, inputSize: 8, units: 32, activation: 'tanh', recurrentActivation: 'sigmoid', seed: 33 },
  { ...base, name: 'lstm B10 T24 I8 H32 goBackwards mask hardSigmoid', cell: 'lstm', batch: 10, steps: 24, inputSize: 8, units: 32, activation: 'tanh', recurrentActivation: 'hardSigmoid', goBackwards: true, mask: 'float32', seed: 34 },
  { ...base, name: 'gru resetAfter B16 T16 I8 H40', cell: 'gru', batch: 16, steps: 16, inputSize: 8, units: 40, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true, seed: 35 },
  { ...base, name: 'gru resetAfter=false B10 T20 I8 H40 goBackwards bool mask', cell: 'gru', batch: 10, steps: 20, inputSize: 8, units: 40, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: 'bool', seed: 36 },
];

const attrsOf = (c: CellCase): RecurrenceAttrs => ({
  cell: c.cell,
  activation: c.activation,
  recurrentActivation: c.recurrentActivation,
  goBackwards: c.goBackwards,
  resetAfter: c.resetAfter,
});

type Results = Record<string, Float32Array>;

/**
 * The case's inputs; SimpleRNN's recurrent kernel is scaled by 1/4 (exactly, a power of two) so that H = 64 does not
 * make the recurrence chaotic (test-kit's scale suits its H ≤ 16 cases).
 */
function caseInputs(c: CellCase): ReturnType<typeof cellCaseInputs> {
  const data = cellCaseInputs(c);
  if (c.cell === 'simpleRNN') data.inputs.recurrentKernel = data.inputs.recurrentKernel.map((v) => v / 4);
  return data;
}

/** Forward states and the gradients of loss = Σ h⊙gh (+ Σ c⊙gc) with respect to every input, read back. */
function runCell(c: CellCase): Results {
  const { inputs, gh, gc } = caseInputs(c);
  const t = tensorsFor(c, inputs);
  const attrs = attrsOf(c);
  const lstm = c.cell === 'lstm';
  const out: Results = {};
  const fwd = recurrence(t, attrs);
  out.h = fwd.hiddenStates.dataSync() as Float32Array;
  if (lstm) out.c = fwd.cellStates!.dataSync() as Float32Array;
  const shape = fwd.hiddenStates.shape;
  tf.dispose(Object.values(fwd));
  const ghT = tf.tensor3d(Float32Array.from(gh), shape as [number, number, number]);
  const gcT = tf.tensor3d(Float32Array.from(gc), shape as [number, number, number]);
  const names: (keyof RecurrenceInputs)[] = ['x', 'kernel', 'recurrentKernel', 'h0', 'bias'];
  if (t.c0) names.push('c0');
  const grads = tf.grads((...args: tf.Tensor[]) => {
    const replaced: RecurrenceInputs = { ...t };
    names.forEach((n, k) => ((replaced as unknown as Record<string, tf.Tensor>)[n] = args[k]!));
    const o = recurrence(replaced, attrs);
    const lossH = tf.sum(tf.mul(o.hiddenStates, ghT));
    return lstm ? tf.add(lossH, tf.sum(tf.mul(o.cellStates!, gcT))) : lossH;
  })(names.map((n) => t[n] as tf.Tensor));
  names.forEach((n, k) => (out[`d${n}`] = grads[k]!.dataSync() as Float32Array));
  tf.dispose([...grads, ghT, gcT, ...Object.values(t)]);
  return out;
}

function expectClose(name: string, actual: Float32Array, expected: ArrayLike<number>, atol: number, rtol: number): void {
  expect(actual.length, `${name}: length`).toBe(expected.length);
  let bad = -1;
  let worst = 0;
  for (let k = 0; k < actual.length; k++) {
    const d = Math.abs(actual[k]! - expected[k]!);
    worst = Math.max(worst, d);
    if (bad === -1 && !(d <= atol + rtol * Math.abs(expected[k]!))) bad = k;
  }
  expect(bad, bad === -1 ? '' : `${name}[${bad}]: ${actual[bad]} vs ${expected[bad]} (max |diff| ${worst})`).toBe(-1);
}

async function threadsOn(): Promise<number> {
  configureWasm({ kernelThreads: 4 });
  return wasmKernelThreadsReady();
}

describe(`wasm kernel threads (${__WASM_THREADS_SUITE__ ? 'cross-origin isolated: on' : 'plain page: off'})`, () => {
  beforeAll(async () => {
    await setBackend('wasm');
    expectWasmBuildOfSuite();
    setFusedKernelsEnabled(true);
  });
  afterAll(() => {
    setKernelThreadTuning();
    setFusedKernelsEnabled(true);
  });

  if (__WASM_THREADS_SUITE__) {
    it('the workers start on their own once setBackend("wasm") has initialised tfjs (no kernel call needed)', async () => {
      expect(getKernelThreadStats().threadedCalls).toBe(0);
      await vi.waitFor(() => expect(getKernelThreadStats().running).toBe(4), { timeout: 10_000, interval: 20 });
    });
  }

  it('configureWasm({ kernelThreads }) refuses what is not an integer from 1 to 64 with a ConfigError', () => {
    for (const bad of [0, -1, 1.5, 65, Number.NaN, '2', null]) {
      expect(() => configureWasm({ kernelThreads: bad as number })).toThrow(ConfigError);
    }
    expect(() => configureWasm({ kernelThread: 2 } as never)).toThrow(/did you mean "kernelThreads"/);
  });

  if (!__WASM_THREADS_SUITE__) {
    it('stay off on a page that is not cross-origin isolated (plain memory): every call runs on one thread', async () => {
      expect(await threadsOn()).toBe(1);
      const before = getKernelThreadStats().threadedCalls;
      runCell(CASES[0]!);
      expect(getKernelThreadStats()).toMatchObject({ running: 1, threadedCalls: before });
      expect(getWasmInfo().kernelThreads).toBe(1);
    });
    return;
  }

  describe('parity, threaded against one thread and against float64', () => {
    const tol = cellToleranceFor('wasm');
    for (const c of CASES) {
      it(c.name, async () => {
        expect(await threadsOn()).toBe(4);
        expect(getWasmInfo().kernelThreads).toBe(4);
        const before = getKernelThreadStats().threadedCalls;
        const sharesBefore = savedGateSharesRead();
        const threaded = runCell(c);
        // The forward, the forward recorded for the gradient, and the backward were each split.
        expect(getKernelThreadStats().threadedCalls - before).toBe(3);
        expect(getKernelThreadStats().lastThreads).toBeGreaterThanOrEqual(2);
        // GRU: every backward share read the gates its forward share saved (same split, same layout).
        if (c.cell === 'gru') expect(savedGateSharesRead() - sharesBefore).toBe(getKernelThreadStats().lastThreads);

        configureWasm({ kernelThreads: 1 });
        expect(await wasmKernelThreadsReady()).toBe(1);
        const single = runCell(c);
        expect(getKernelThreadStats().threadedCalls - before).toBe(3);

        const { inputs, gh, gc } = caseInputs(c);
        const ref = cellReferenceForward(c, inputs);
        const refGrads = cellReferenceBackward(c, inputs, gh, c.cell === 'lstm' ? gc : undefined);
        const expected: Record<string, ArrayLike<number>> = {
          h: ref.h,
          dx: refGrads.dx,
          dkernel: refGrads.dKernel,
          drecurrentKernel: refGrads.dRecurrentKernel,
          dh0: refGrads.dh0,
          dbias: refGrads.dBias!,
        };
        if (c.cell === 'lstm') {
          expected.c = ref.c!;
          expected.dc0 = refGrads.dc0!;
        }
        for (const [name, value] of Object.entries(threaded)) {
          const forward = name === 'h' || name === 'c';
          // Each batch row computes exactly as on one thread; only batch sums (the weight gradients) are added
          // in another order: sums of B·T products of magnitude up to ~1 that cancel to ~0.05, so an absolute
          // 1e-5 (measured ≤ 6.7e-6) and well inside the float64 tolerance below.
          if (forward || name === 'dx' || name === 'dh0' || name === 'dc0') expect(value, `${name}: bitwise`).toEqual(single[name]);
          else expectClose(`${name} threaded vs 1 thread`, value, single[name]!, 1e-5, 1e-5);
          const t = forward ? tol.forward : tol.gradient;
          expectClose(`${name} vs float64`, value, expected[name]!, t.atol, t.rtol);
        }
      });
    }
  });

  it('one fused kernel dispatch per pass: the threads live inside the kernel', async () => {
    expect(await threadsOn()).toBe(4);
    const c = CASES[2]!;
    const before = getKernelThreadStats().threadedCalls;
    const info = await tf.profile(() => {
      runCell(c);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((k) => k === SEQUENCE_OPS.lstm.kernelName)).toHaveLength(2);
    expect(names.filter((k) => k === SEQUENCE_OPS.lstm.gradKernelName)).toHaveLength(1);
    expect(getKernelThreadStats().threadedCalls - before).toBe(3);
  });

  it('small calls stay on one thread', async () => {
    expect(await threadsOn()).toBe(4);
    const before = getKernelThreadStats().threadedCalls;
    runCell({ ...CASES[0]!, batch: 2, steps: 5, units: 8 });
    expect(getKernelThreadStats().threadedCalls).toBe(before);
  });

  it('repeated threaded training steps leak no tensor and no wasm heap block', async () => {
    expect(await threadsOn()).toBe(4);
    const model = new BasicRNN({ cell: 'lstm', hiddenSize: 48, outputSize: 1, seed: 3 });
    model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
    const x = tf.randomUniform([16, 20, 8], -1, 1, 'float32', 1) as tf.Tensor3D;
    const y = tf.randomUniform([16, 1], -1, 1, 'float32', 2) as tf.Tensor2D;
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
    const wasm = (tf.backend() as BackendWasm).wasm as unknown as { _malloc: (n: number) => number; _free: (p: number) => void };
    const malloc = wasm._malloc;
    const free = wasm._free;
    const live = new Set<number>();
    let freedOlder = 0;
    wasm._malloc = (n: number) => {
      const p = malloc(n);
      live.add(p >>> 0);
      return p;
    };
    wasm._free = (p: number) => {
      if (!live.delete(p >>> 0)) freedOlder++;
      free(p);
    };
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const before = getKernelThreadStats().threadedCalls;
    try {
      for (let i = 0; i < 30; i++) await model.trainOnBatch(x, y);
    } finally {
      wasm._malloc = malloc;
      wasm._free = free;
    }
    expect(getKernelThreadStats().threadedCalls - before).toBe(60);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    expect(live.size - freedOlder).toBe(0);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a change of kernelThreads while the workers start settles the pending wait (no hang), then the new count runs', async () => {
    configureWasm({ kernelThreads: 1 });
    configureWasm({ kernelThreads: 4 });
    const pending = wasmKernelThreadsReady();
    configureWasm({ kernelThreads: 2 });
    expect(await pending).toBe(1);
    expect(await wasmKernelThreadsReady()).toBe(2);
    const before = getKernelThreadStats().threadedCalls;
    runCell(CASES[0]!);
    expect(getKernelThreadStats()).toMatchObject({ running: 2, lastThreads: 2, threadedCalls: before + 3 });
  });

  it('workers that fail to start: threads stay off with a BackendError, calls run on one thread', async () => {
    configureWasm({ kernelThreads: 1 });
    kernelThreadTestHooks.failNextStart();
    expect(await threadsOn()).toBe(1);
    expect(getKernelThreadStats().error?.message).toMatch(/could not instantiate the module/);
    expect(getKernelThreadStats().error).toBeInstanceOf(BackendError);
    const before = getKernelThreadStats().threadedCalls;
    runCell(CASES[0]!);
    expect(getKernelThreadStats()).toMatchObject({ running: 1, threadedCalls: before });
  });

  it('a worker that fails in a call: the call is recomputed on one thread, threads turn off with a BackendError', async () => {
    expect(await threadsOn()).toBe(4);
    const c = CASES[0]!;
    const good = runCell(c);
    kernelThreadTestHooks.poisonNextCall();
    const warn = console.warn;
    console.warn = () => {};
    try {
      const after = runCell(c);
      expect(after.h).toEqual(good.h);
      expectClose('dkernel', after.dkernel!, good.dkernel!, 1e-5, 1e-5);
    } finally {
      console.warn = warn;
    }
    const stats = getKernelThreadStats();
    expect(stats.error).toBeInstanceOf(BackendError);
    expect(stats.error!.message).toMatch(/worker 1 failed in forward/);
    expect(stats.running).toBe(1);
    expect(await wasmKernelThreadsReady()).toBe(1);
    // Asking again (the same count) clears the failure.
    expect(await threadsOn()).toBe(4);
    expect(getKernelThreadStats().error).toBeUndefined();
  });

  it('a worker that never answers: the main thread stops waiting after the time limit instead of hanging', async () => {
    expect(await threadsOn()).toBe(4);
    setKernelThreadTuning({ timeoutMs: 300, timeoutFactor: 1 });
    const c = CASES[2]!;
    const good = runCell(c);
    kernelThreadTestHooks.stallNextCall(1);
    const before = getKernelThreadStats().threadedCalls;
    const warn = console.warn;
    console.warn = () => {};
    const started = performance.now();
    try {
      const after = runCell(c);
      expect(after.h).toEqual(good.h);
    } finally {
      console.warn = warn;
      setKernelThreadTuning();
    }
    expect(performance.now() - started).toBeLessThan(5000);
    expect(getKernelThreadStats().threadedCalls).toBe(before);
    expect(getKernelThreadStats().error?.message).toMatch(/did not finish its share within/);
    expect(getKernelThreadStats().running).toBe(1);
  });

  describe('balanced split', () => {
    // A forward large enough to split (B 64 on 2 threads), run with the one-thread result to compare against.
    const big: CellCase = { ...CASES[0]!, name: 'simpleRNN B64', batch: 64, steps: 24 };
    const forwardOf = (c: CellCase) => {
      const t = tensorsFor(c, caseInputs(c).inputs);
      const out = recurrence(t, attrsOf(c));
      const h = out.hiddenStates.dataSync() as Float32Array;
      tf.dispose([...Object.values(out), ...Object.values(t)]);
      return h;
    };
    afterAll(() => {
      kernelThreadTestHooks.slowWorker(0, 0);
      kernelThreadTestHooks.resetSpeeds();
      configureWasm({ kernelThreadSplit: 'balanced' });
      setKernelThreadTuning();
    });

    it('a slow worker is given fewer rows, the forward stays bitwise that of one thread; even keeps equal shares', async () => {
      configureWasm({ kernelThreads: 1 });
      expect(await wasmKernelThreadsReady()).toBe(1);
      const single = forwardOf(big);
      configureWasm({ kernelThreads: 2 });
      expect(await wasmKernelThreadsReady()).toBe(2);
      setKernelThreadTuning({ minTimedMs: 0 });
      kernelThreadTestHooks.resetSpeeds();
      expect(forwardOf(big)).toEqual(single);
      const fair = getKernelThreadStats();
      expect(fair.lastRows).toEqual([32, 32]);
      expect(fair.lastThreadMs).toHaveLength(2);
      expect(fair.lastThreadMs.every((ms) => ms > 0)).toBe(true);

      // The worker now takes 5 times the main thread's share (at least 20 ms) on every call.
      kernelThreadTestHooks.slowWorker(0, Math.max(20, 5 * fair.lastThreadMs[0]!));
      for (let i = 0; i < 6; i++) expect(forwardOf(big)).toEqual(single);
      const balanced = getKernelThreadStats();
      expect(balanced.split).toBe('balanced');
      expect(balanced.speeds[0]).toBeGreaterThan(1.5);
      expect(balanced.speeds[1]).toBeLessThan(0.6);
      expect(balanced.lastRows[0]).toBeGreaterThanOrEqual(48);
      expect(balanced.lastRows[1]).toBeGreaterThanOrEqual(4);
      expect(balanced.lastRows[0]! + balanced.lastRows[1]!).toBe(64);
      expect(balanced.lastThreadMs[1]).toBeGreaterThanOrEqual(20);

      configureWasm({ kernelThreadSplit: 'even' });
      expect(forwardOf(big)).toEqual(single);
      const even = getKernelThreadStats();
      expect(even).toMatchObject({ split: 'even', lastRows: [32, 32], speeds: balanced.speeds });
    });

    it('GRU: the backward runs the split its forward saved the gates in, though the speeds moved in between', async () => {
      configureWasm({ kernelThreads: 2, kernelThreadSplit: 'balanced' });
      expect(await wasmKernelThreadsReady()).toBe(2);
      setKernelThreadTuning({ minTimedMs: 0 });
      const c: CellCase = { ...CASES[4]!, batch: 64 };
      const t = tensorsFor(c, caseInputs(c).inputs);
      const attrs = attrsOf(c);
      kernelThreadTestHooks.slowWorker(0, 20);
      kernelThreadTestHooks.resetSpeeds();
      const shares = savedGateSharesRead();
      const before = getKernelThreadStats().threadedCalls;
      // The forward splits 32/32 (equal speeds), then the slow worker's time moves the speeds before the backward.
      const grads = tf.grads((kernel: tf.Tensor) => tf.sum(recurrence({ ...t, kernel }, attrs).hiddenStates))([t.kernel as tf.Tensor]);
      const after = getKernelThreadStats();
      tf.dispose([...grads, ...Object.values(t)]);
      expect(after.threadedCalls - before).toBe(2);
      expect(after.speeds[0]).toBeGreaterThan(after.speeds[1]!);
      expect(splitBatch(64, 1 << 30, 2, after.speeds.slice(0, 2))[0]!.count).toBeGreaterThan(32);
      expect(after.lastRows).toEqual([32, 32]);
      expect(savedGateSharesRead() - shares).toBe(2);
    });
  });

  describe('column split (hidden units shared out, a barrier per step)', () => {
    const lstm = CASES[2]!;
    const COLUMN_CASES: { c: CellCase; threads: number }[] = [
      { c: { ...lstm, name: 'lstm B8 T16 I8 H64 goBackwards mask', batch: 8, units: 64, goBackwards: true, mask: 'float32', seed: 41 }, threads: 2 },
      { c: { ...lstm, name: 'lstm B3 T40 I8 H48 hardSigmoid', batch: 3, steps: 40, units: 48, recurrentActivation: 'hardSigmoid', seed: 42 }, threads: 3 },
      { c: { ...lstm, name: 'lstm B16 T16 I8 H32', seed: 43 }, threads: 4 },
    ];
    afterAll(() => {
      kernelThreadTestHooks.slowWorker(0, 0);
      kernelThreadTestHooks.resetSpeeds();
      configureWasm({ kernelThreadSplit: 'balanced' });
      setKernelThreadTuning();
    });
    /** The case on one thread, then on `threads` always split by units, with the stats around the second run. */
    const singleThenColumns = async (c: CellCase, threads: number) => {
      configureWasm({ kernelThreads: 1 });
      expect(await wasmKernelThreadsReady()).toBe(1);
      const single = runCell(c);
      configureWasm({ kernelThreads: threads });
      expect(await wasmKernelThreadsReady()).toBe(threads);
      setKernelThreadTuning({ columnSplit: 'always' });
      const before = getKernelThreadStats();
      const split = runCell(c);
      const after = getKernelThreadStats();
      setKernelThreadTuning();
      return { single, split, before, after };
    };

    for (const { c, threads } of COLUMN_CASES) {
      it(`${c.name} on ${threads} threads: every output, weight gradients included, bitwise that of one thread`, async () => {
        const { single, split, before, after } = await singleThenColumns(c, threads);
        // The forward, the forward recorded for the gradient and the backward, each split by units.
        expect(after.threadedCalls - before.threadedCalls).toBe(3);
        expect(after.columnCalls - before.columnCalls).toBe(3);
        expect(after.lastThreads).toBe(threads);
        expect(after.lastUnits.reduce((a, b) => a + b, 0)).toBe(c.units);
        expect(after.lastUnits.every((u) => u >= 8 && u % 8 === 0)).toBe(true);
        expect(after.lastRows).toEqual(new Array(threads).fill(c.batch));
        expect(Object.keys(split).sort()).toEqual(Object.keys(single).sort());
        for (const [name, value] of Object.entries(split)) expect(value, `${name}: bitwise`).toEqual(single[name]);
      });
    }

    for (const resetAfter of [true, false]) {
      it(`GRU resetAfter ${resetAfter}: the forward outside a tape splits by units (bitwise); under a tape it splits rows`, async () => {
        const c: CellCase = { ...CASES[4]!, name: 'gru B8 T16 I8 H64', batch: 8, units: 64, resetAfter, mask: 'float32', goBackwards: !resetAfter, seed: 44 };
        const { single, split, before, after } = await singleThenColumns(c, 2);
        expect(after.threadedCalls - before.threadedCalls).toBe(3);
        expect(after.columnCalls - before.columnCalls).toBe(1);
        expect(split.h).toEqual(single.h);
        const tol = cellToleranceFor('wasm').gradient;
        for (const name of ['dx', 'dh0']) expect(split[name], `${name}: bitwise`).toEqual(single[name]);
        for (const name of ['dkernel', 'drecurrentKernel', 'dbias']) expectClose(name, split[name]!, single[name]!, tol.atol, tol.rtol);
      });
    }

    it("'auto': units where the rows cannot give each thread a tile and a step's share is large enough", async () => {
      configureWasm({ kernelThreads: 2, kernelThreadSplit: 'balanced' });
      expect(await wasmKernelThreadsReady()).toBe(2);
      kernelThreadTestHooks.resetSpeeds();
      const forward = (c: CellCase) => {
        const t = tensorsFor(c, caseInputs(c).inputs);
        const out = recurrence(t, attrsOf(c));
        out.hiddenStates.dataSync();
        tf.dispose([...Object.values(out), ...Object.values(t)]);
        return getKernelThreadStats();
      };
      const small: CellCase = { ...COLUMN_CASES[0]!.c, batch: 4, steps: 32, units: 128 }; // 131,072 per thread and step
      const before = getKernelThreadStats();
      // B 4 on 2 threads: no 4-row tile for either; by default a step's share is too small to pay for the exchange.
      expect(forward(small)).toMatchObject({ threadedCalls: before.threadedCalls + 1, lastRows: [2, 2], lastUnits: [], columnCalls: before.columnCalls });
      setKernelThreadTuning({ columnMinStepWork: 1 << 17 });
      expect(forward(small)).toMatchObject({ lastRows: [4, 4], lastUnits: [64, 64], columnCalls: before.columnCalls + 1 });
      // B 8: a 4-row tile for each thread, rows whatever the step's size.
      expect(forward({ ...small, batch: 8 })).toMatchObject({ lastRows: [4, 4], lastUnits: [], columnCalls: before.columnCalls + 1 });
      setKernelThreadTuning();
    });

    it('a thread that never reaches a barrier: the call is aborted, recomputed on one thread, threads turn off', async () => {
      const c = COLUMN_CASES[0]!.c;
      configureWasm({ kernelThreads: 1 });
      expect(await wasmKernelThreadsReady()).toBe(1);
      const single = runCell(c);
      configureWasm({ kernelThreads: 2 });
      expect(await wasmKernelThreadsReady()).toBe(2);
      setKernelThreadTuning({ columnSplit: 'always', timeoutMs: 300, timeoutFactor: 1 });
      kernelThreadTestHooks.stallNextCall(0);
      const before = getKernelThreadStats().threadedCalls;
      const warn = console.warn;
      console.warn = () => {};
      const started = performance.now();
      try {
        const after = runCell(c);
        for (const [name, value] of Object.entries(after)) expect(value, `${name}: bitwise`).toEqual(single[name]);
      } finally {
        console.warn = warn;
        setKernelThreadTuning();
      }
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(getKernelThreadStats().threadedCalls).toBe(before);
      expect(getKernelThreadStats().error?.message).toMatch(/did not reach a step's barrier in lstmForwardColumns/);
      expect(getKernelThreadStats().running).toBe(1);
    });
  });

  // Last: it removes the wasm backend from this page (each test file has its own page).
  it('closeWasmKernelThreads and tf.removeBackend end the workers', async () => {
    configureWasm({ kernelThreads: 1 });
    expect(await threadsOn()).toBe(4);
    closeWasmKernelThreads();
    expect(getKernelThreadStats().running).toBe(1);
    const before = getKernelThreadStats().threadedCalls;
    runCell(CASES[0]!); // starts them again in the background (this call runs on one thread)
    expect(getKernelThreadStats().threadedCalls).toBe(before);
    expect(await wasmKernelThreadsReady()).toBe(4);
    runCell(CASES[0]!);
    expect(getKernelThreadStats().threadedCalls - before).toBe(3);
    // Started without a kernel call: removal still ends them.
    closeWasmKernelThreads();
    expect(await wasmKernelThreadsReady()).toBe(4);
    tf.removeBackend('wasm');
    expect(getKernelThreadStats().running).toBe(1);
  });
});
