import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BasicRNN,
  type RecurrenceAttrs,
  type RecurrenceInputs,
  type RecurrentActivationName,
  GruSequenceFinal,
  LstmSequenceFinal,
  SEQUENCE_OPS,
  layers,
  recurrence,
  recurrenceGrad,
  sequential,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { cellToleranceFor } from '@basicrnn/test-kit/cells';
import { compareArrays, expectFinalStatesLikeSequences, uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Tests of the fused LSTM and GRU kernels themselves, shared by the Node and both browser suites: the SIMD tiling's
// edge shapes, fractional masks and every activation against core's composite path; dispatch counts; leaks (tensors
// and wasm heap). The cell parity suite (test-kit) checks both paths against float64 references.

interface GatedCase {
  cell: 'lstm' | 'gru';
  resetAfter: boolean;
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  activation: RecurrentActivationName;
  recurrentActivation: RecurrentActivationName;
  goBackwards: boolean;
  /** none, 0/1 with some left padding, or fractional values (blended, as the composite does) */
  mask: 'none' | 'binary' | 'fractional';
}

const base = { resetAfter: false, goBackwards: false, mask: 'none', activation: 'tanh', recurrentActivation: 'sigmoid' } as const;

// Batches around the 4-row tile, units around the 4-lane vectors and 8-column panels (gate blocks that straddle
// vectors), inputs of 1, B·T > 256 (two depth blocks in the weight-gradient gemms), every activation once.
const CASES: GatedCase[] = [
  { ...base, cell: 'lstm', batch: 1, steps: 7, inputSize: 1, units: 1 },
  { ...base, cell: 'lstm', batch: 5, steps: 9, inputSize: 3, units: 13, goBackwards: true, mask: 'binary' },
  { ...base, cell: 'lstm', batch: 7, steps: 5, inputSize: 8, units: 6, activation: 'relu', recurrentActivation: 'hardSigmoid', mask: 'fractional' },
  { ...base, cell: 'lstm', batch: 9, steps: 3, inputSize: 2, units: 33, activation: 'softsign', recurrentActivation: 'hardSigmoidKeras2' },
  { ...base, cell: 'lstm', batch: 6, steps: 50, inputSize: 7, units: 20, goBackwards: true, mask: 'binary' },
  { ...base, cell: 'lstm', batch: 3, steps: 4, inputSize: 5, units: 8, activation: 'linear', recurrentActivation: 'tanh' },
  { ...base, cell: 'gru', resetAfter: true, batch: 1, steps: 7, inputSize: 1, units: 1 },
  // Below 4 rows the forwards take the matrix-vector path (rowKernel1x16): odd depths, column tails, masks, goBackwards.
  { ...base, cell: 'lstm', batch: 2, steps: 9, inputSize: 3, units: 13, goBackwards: true, mask: 'fractional' },
  { ...base, cell: 'lstm', batch: 1, steps: 12, inputSize: 4, units: 10, mask: 'binary' },
  { ...base, cell: 'gru', resetAfter: false, batch: 3, steps: 6, inputSize: 4, units: 7, goBackwards: true, mask: 'binary' },
  { ...base, cell: 'gru', resetAfter: true, batch: 2, steps: 8, inputSize: 5, units: 10, mask: 'fractional' },
  { ...base, cell: 'gru', resetAfter: true, batch: 5, steps: 9, inputSize: 3, units: 13, goBackwards: true, mask: 'fractional' },
  { ...base, cell: 'gru', resetAfter: false, batch: 7, steps: 5, inputSize: 8, units: 6, activation: 'relu', recurrentActivation: 'hardSigmoidKeras2', mask: 'binary' },
  { ...base, cell: 'gru', resetAfter: false, batch: 9, steps: 3, inputSize: 2, units: 33, activation: 'softsign', recurrentActivation: 'hardSigmoid', goBackwards: true },
  { ...base, cell: 'gru', resetAfter: true, batch: 6, steps: 50, inputSize: 7, units: 20, mask: 'binary' },
  { ...base, cell: 'gru', resetAfter: false, batch: 6, steps: 50, inputSize: 7, units: 19, goBackwards: true, mask: 'fractional' },
  { ...base, cell: 'gru', resetAfter: false, batch: 4, steps: 4, inputSize: 5, units: 8, activation: 'linear', recurrentActivation: 'relu' },
];

function caseName(c: GatedCase): string {
  const form = c.cell === 'gru' ? (c.resetAfter ? ' resetAfter' : ' resetAfter=false') : '';
  return `${c.cell}${form} B${c.batch} T${c.steps} I${c.inputSize} H${c.units} ${c.activation}/${c.recurrentActivation}${c.goBackwards ? ' goBackwards' : ''}${c.mask === 'none' ? '' : ` ${c.mask} mask`}`;
}

function maskValues(c: GatedCase): Float32Array {
  const { batch, steps } = c;
  const m = new Float32Array(batch * steps);
  const r = uniform(batch * steps, 17, 0, 1);
  for (let k = 0; k < m.length; k++) {
    const n = Math.floor(k / steps);
    const t = k % steps;
    if (n === 0 && t < 2) m[k] = 0; // a left-padded example
    else if (c.mask === 'binary') m[k] = r[k]! < 0.3 ? 0 : 1;
    else m[k] = r[k]! < 0.2 ? 0 : r[k]! < 0.5 ? Math.fround(r[k]!) : 1;
  }
  return m;
}

function inputsOf(c: GatedCase): RecurrenceInputs {
  const { batch, steps, inputSize, units } = c;
  const g = (c.cell === 'lstm' ? 4 : 3) * units;
  const inputs: RecurrenceInputs = {
    x: tf.tensor3d(uniform(batch * steps * inputSize, 1), [batch, steps, inputSize]),
    kernel: tf.tensor2d(uniform(inputSize * g, 2, -0.6, 0.6), [inputSize, g]),
    recurrentKernel: tf.tensor2d(uniform(units * g, 3, -0.5, 0.5), [units, g]),
    bias: c.cell === 'gru' && c.resetAfter ? tf.tensor2d(uniform(2 * g, 4, -0.3, 0.3), [2, g]) : tf.tensor1d(uniform(g, 4, -0.3, 0.3)),
    h0: tf.tensor2d(uniform(batch * units, 5, -0.5, 0.5), [batch, units]),
  };
  if (c.cell === 'lstm') inputs.c0 = tf.tensor2d(uniform(batch * units, 6, -0.5, 0.5), [batch, units]);
  if (c.mask !== 'none') inputs.mask = tf.tensor2d(maskValues(c), [c.batch, c.steps]);
  return inputs;
}

function attrsOf(c: GatedCase): RecurrenceAttrs {
  return { cell: c.cell, activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: c.goBackwards, resetAfter: c.resetAfter };
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tol: { atol: number; rtol: number }, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const r = compareArrays(actual.dataSync(), expected.dataSync(), tol);
  expect(r.ok, `${what}: ${r.message}`).toBe(true);
}

/** Forward outputs and every gradient of the backward op (with dHiddenStates) on the fused or the composite path. */
function run(c: GatedCase, inputs: RecurrenceInputs, fused: boolean): Record<string, tf.Tensor> {
  setFusedKernelsEnabled(fused);
  try {
    const out = recurrence(inputs, attrsOf(c));
    const { batch, steps, units } = c;
    const dh = tf.tensor3d(uniform(batch * steps * units, 7), [batch, steps, units]);
    const dc = tf.tensor3d(uniform(batch * steps * units, 8), [batch, steps, units]);
    const grads = recurrenceGrad(inputs, attrsOf(c), { dh, ...(c.cell === 'lstm' ? { dc } : {}) }, { hiddenStateGrads: true });
    tf.dispose([dh, dc]);
    return { ...out, ...grads } as Record<string, tf.Tensor>;
  } finally {
    setFusedKernelsEnabled(true);
  }
}

function heap(): { _malloc: (n: number) => number; _free: (p: number) => void; HEAPU8: Uint8Array } {
  return (tf.backend() as BackendWasm).wasm as never;
}

/** Kernel names the engine dispatches while `f` runs (a fused kernel counts once). */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  return (await tf.profile(f)).kernels.map((k) => k.name);
}

/** Registers the fused LSTM / GRU kernel tests. `label` names the environment. */
export function gatedKernelTests(label: string): void {
  describe(`fused wasm LSTM and GRU kernels: ${label}`, () => {
    beforeAll(async () => {
      await setBackend('wasm');
      setFusedKernelsEnabled(true);
    });
    afterAll(() => setFusedKernelsEnabled(true));

    it('are registered for both cells, forward and backward', () => {
      for (const cell of ['lstm', 'gru'] as const) {
        expect(tf.getKernel(SEQUENCE_OPS[cell].kernelName, 'wasm')).toBeDefined();
        expect(tf.getKernel(SEQUENCE_OPS[cell].gradKernelName, 'wasm')).toBeDefined();
      }
    });

    const tol = cellToleranceFor('wasm');
    for (const c of CASES) {
      it(`equal the composite: ${caseName(c)}`, () => {
        const before = tf.memory().numTensors;
        const inputs = inputsOf(c);
        const fused = run(c, inputs, true);
        const composite = run(c, inputs, false);
        expect(Object.keys(fused).sort()).toEqual(Object.keys(composite).sort());
        for (const name of Object.keys(composite)) {
          const forward = name === 'hiddenStates' || name === 'cellStates';
          expectClose(fused[name]!, composite[name]!, forward ? tol.forward : tol.gradient, name);
        }
        tf.dispose([...Object.values(fused), ...Object.values(composite), ...Object.values(inputs)]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    // The small-batch step product (below 4 rows) sums every column in the order of the 4-row blocks: a row's
    // states do not depend on the batch it came in (kernel threads, which split batches, rely on it).
    it('rows of a batch below 4 equal the same rows run in a larger batch, bit for bit', () => {
      for (const [cell, resetAfter] of [['lstm', false], ['gru', false], ['gru', true]] as const) {
        const c: GatedCase = { ...base, cell, resetAfter, batch: 6, steps: 7, inputSize: 3, units: 11, mask: 'binary', goBackwards: true };
        const inputs = inputsOf(c);
        const big = recurrence(inputs, attrsOf(c));
        const rows = (t: tf.Tensor | undefined) => (t === undefined ? undefined : tf.slice(t, 0, 3));
        const part = { ...inputs, x: rows(inputs.x)!, h0: rows(inputs.h0)!, c0: rows(inputs.c0), mask: rows(inputs.mask) } as RecurrenceInputs;
        const small = recurrence(part, attrsOf(c));
        const head = rows(big.hiddenStates)!;
        expect(Array.from(small.hiddenStates.dataSync()), `${cell} ${resetAfter}`).toEqual(Array.from(head.dataSync()));
        tf.dispose([...Object.values(inputs), ...Object.values(part), ...Object.values(big), ...Object.values(small), head].filter((t) => t !== undefined));
      }
    });

    it('a step whose mask is 0 is skipped exactly, even when its input holds NaN', () => {
      for (const cell of ['lstm', 'gru'] as const) {
        const c: GatedCase = { ...base, cell, resetAfter: cell === 'gru', batch: 2, steps: 4, inputSize: 3, units: 5, mask: 'binary' };
        const inputs = inputsOf(c);
        const x = inputs.x.arraySync() as number[][][];
        x[0]![1]![2] = NaN; // example 0's first two steps are masked
        const withNaN = tf.tensor3d(x);
        const clean = recurrence(inputs, attrsOf(c));
        const dirty = recurrence({ ...inputs, x: withNaN }, attrsOf(c));
        expect(Array.from(dirty.hiddenStates.dataSync())).toEqual(Array.from(clean.hiddenStates.dataSync()));
        tf.dispose([withNaN, ...Object.values(clean), ...Object.values(dirty), ...Object.values(inputs)]);
      }
    });

    it('reject a non-float32 input through core’s shared validator', () => {
      const c = CASES[0]!;
      const inputs = inputsOf(c);
      const h0 = tf.cast(inputs.h0!, 'int32');
      const op = SEQUENCE_OPS.lstm;
      const filled = { ...inputs, h0, mask: tf.ones([c.batch, c.steps]) };
      const attrs = { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false };
      expect(() => tf.engine().runKernel(op.kernelName, filled as unknown as tf.NamedTensorMap, attrs)).toThrow(/h0 to be float32/);
      tf.dispose([h0, filled.mask, ...Object.values(inputs)]);
    });

    // Kernel contract (core's kernel_names.ts): outside a gradient tape the op leaves an absent h0, c0 and mask out
    // of the kernel's inputs (no tensor made per call), and the kernel reads zeros and ones for them.
    const absentCases: GatedCase[] = [
      { ...base, cell: 'lstm', batch: 1, steps: 9, inputSize: 3, units: 13 },
      { ...base, cell: 'lstm', batch: 5, steps: 6, inputSize: 4, units: 9, goBackwards: true },
      { ...base, cell: 'gru', resetAfter: true, batch: 1, steps: 9, inputSize: 3, units: 13, goBackwards: true },
      { ...base, cell: 'gru', resetAfter: false, batch: 5, steps: 6, inputSize: 4, units: 9 },
    ];
    for (const c of absentCases) {
      it(`absent h0, c0 and mask equal zeros and ones, forward and gradients, bit for bit: ${caseName(c)}`, async () => {
        const before = tf.memory().numTensors;
        const { h0, c0, ...rest } = inputsOf(c);
        const explicit: RecurrenceInputs = { ...rest, h0: tf.zerosLike(h0!), mask: tf.ones([c.batch, c.steps]) };
        if (c.cell === 'lstm') explicit.c0 = tf.zerosLike(h0!);
        const op = SEQUENCE_OPS[c.cell];
        const profile = await tf.profile(() => tf.dispose(Object.values(recurrence(rest, attrsOf(c)))));
        const call = profile.kernels.find((k) => k.name === op.kernelName)!;
        expect(call.inputShapes, 'the kernel got x, kernel, recurrentKernel, bias only').toHaveLength(4);
        const same = (a: Record<string, tf.Tensor | undefined>, b: Record<string, tf.Tensor | undefined>, what: string) => {
          for (const name of Object.keys(b)) expect(Array.from(a[name]!.dataSync()), `${what} ${name}`).toEqual(Array.from(b[name]!.dataSync()));
        };
        const absentOut = recurrence(rest, attrsOf(c));
        const explicitOut = recurrence(explicit, attrsOf(c));
        same(absentOut as never, explicitOut as never, 'forward');
        const loss = (inputs: RecurrenceInputs) => (x: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor) => {
          const out = recurrence({ ...inputs, x, kernel: k, recurrentKernel: u, bias: b }, attrsOf(c));
          return tf.add(tf.sum(tf.square(out.hiddenStates)), out.cellStates === undefined ? 0 : tf.sum(out.cellStates));
        };
        const args = [rest.x, rest.kernel, rest.recurrentKernel, rest.bias!];
        const tapeGrads = [tf.grads(loss(rest))(args), tf.grads(loss(explicit))(args)];
        same(tapeGrads[0] as never, tapeGrads[1] as never, 'tape gradients');
        tf.dispose(tapeGrads);
        const dh = tf.onesLike(explicitOut.hiddenStates);
        const absentGrads = recurrenceGrad(rest, attrsOf(c), { dh });
        const explicitGrads = recurrenceGrad(explicit, attrsOf(c), { dh });
        same(absentGrads as never, explicitGrads as never, 'recurrenceGrad');
        // Inference calls with absent inputs leave the wasm heap as they found it.
        const wasm = heap();
        const malloc = wasm._malloc;
        const free = wasm._free;
        let balance = 0;
        wasm._malloc = (n: number) => (balance++, malloc(n));
        wasm._free = (p: number) => (balance--, free(p));
        try {
          for (let i = 0; i < 20; i++) tf.dispose(Object.values(recurrence(rest, attrsOf(c))));
        } finally {
          wasm._malloc = malloc;
          wasm._free = free;
        }
        expect(balance).toBe(0);
        tf.dispose([h0!, c0, dh, ...Object.values(rest), ...Object.values(explicit), ...Object.values(absentOut), ...Object.values(explicitOut)].filter((t) => t !== undefined));
        tf.dispose([...Object.values(absentGrads), ...Object.values(explicitGrads)]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    // The final-states kernels (core's LstmSequenceFinal / GruSequenceFinal): the forward's last step, bit for bit,
    // for the cases above (masks, goBackwards, batches around the tile, every form) with and without h0/c0/mask.
    for (const c of [...CASES.slice(0, 3), ...CASES.slice(6, 12), ...absentCases]) {
      it(`final-states kernel equals the forward's last step: ${caseName(c)}`, () => {
        const before = tf.memory().numTensors;
        const inputs = inputsOf(c);
        const named = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
        const attrs = { activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: c.goBackwards, resetAfter: c.resetAfter };
        const finalName = c.cell === 'lstm' ? LstmSequenceFinal : GruSequenceFinal;
        for (const given of [named, { x: named.x!, kernel: named.kernel!, recurrentKernel: named.recurrentKernel!, bias: named.bias! }]) {
          const full = [tf.engine().runKernel(SEQUENCE_OPS[c.cell].kernelName, given, attrs)].flat() as tf.Tensor[];
          const finals = [tf.engine().runKernel(finalName, given, attrs)].flat() as tf.Tensor[];
          expect(finals).toHaveLength(full.length);
          full.forEach((seq, k) => {
            const last = tf.tidy(() => tf.squeeze(tf.slice(seq, [0, c.steps - 1, 0], [c.batch, 1, c.units]), [1]));
            expect(finals[k]!.shape).toEqual([c.batch, c.units]);
            expect(Array.from(finals[k]!.dataSync()), `output ${k}`).toEqual(Array.from(last.dataSync()));
            last.dispose();
          });
          tf.dispose([...full, ...finals]);
        }
        tf.dispose(Object.values(inputs).filter((t) => t !== undefined));
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    for (const cell of ['lstm', 'gru'] as const) {
      it(`${cell}: a layer without sequences predicts with the final-states kernel (2 dispatches with the Dense head), equal to the unfused path, stateful too`, async () => {
        const finalName = cell === 'lstm' ? LstmSequenceFinal : GruSequenceFinal;
        const model = sequential({ layers: [layers[cell]({ units: 9 }), layers.dense({ units: 2 })], seed: 4 });
        model.build([null, 6, 3]);
        const x = tf.tensor3d(uniform(5 * 6 * 3, 12), [5, 6, 3]);
        const profile = await tf.profile(() => model.predict(x));
        expect(profile.kernelNames).toEqual([finalName, 'BasicDenseForward']);
        const fused = model.predict(x) as tf.Tensor;
        setFusedKernelsEnabled(false);
        const composite = model.predict(x) as tf.Tensor;
        setFusedKernelsEnabled(true);
        expectClose(fused, composite, tol.forward, 'predict');
        // returnState and stateful: the final states as the sequence path gives them, call after call.
        expectFinalStatesLikeSequences(cell, x);
        tf.dispose([x, fused, composite]);
        model.dispose();
      });
    }

    // One kernel forward and one backward per recurrent layer, whatever T: no per-step op.
    for (const cell of ['lstm', 'gru'] as const) {
      it(`${cell}: model.call and its gradient dispatch one fused kernel each way, a count independent of T`, async () => {
        const op = SEQUENCE_OPS[cell];
        const counts: { forward: number; backward: number }[] = [];
        for (const steps of [5, 60]) {
          const model = new BasicRNN({ cell, hiddenSize: 12, outputSize: 2, seed: 5 });
          model.build([null, steps, 3]);
          const x = tf.tensor3d(uniform(4 * steps * 3, 8), [4, steps, 3]);
          const forward = await kernelsOf(() => {
            const { output, state } = model.call(x);
            state.dispose();
            return output;
          });
          const backward = await kernelsOf(() => {
            const { value, grads } = tf.variableGrads(() => {
              const { output, state } = model.call(x);
              state.dispose();
              return tf.sum(output) as tf.Scalar;
            }, model.trainableVariables());
            return [value, ...Object.values(grads)];
          });
          expect(forward.filter((n) => n === op.kernelName)).toHaveLength(1);
          expect(backward.filter((n) => n === op.kernelName)).toHaveLength(1);
          expect(backward.filter((n) => n === op.gradKernelName)).toHaveLength(1);
          counts.push({ forward: forward.length, backward: backward.length });
          tf.dispose(x);
          model.dispose();
        }
        expect(counts[0]).toEqual(counts[1]);
      });
    }

    for (const cell of ['lstm', 'gru'] as const) {
      it(`${cell}: 200 fused training steps leak no tensor and no wasm heap block`, async () => {
        const model = new BasicRNN({ cell, hiddenSize: 16, outputSize: 1, seed: 9 });
        model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
        const x = tf.tensor3d(uniform(8 * 12 * 4, 10), [8, 12, 4]);
        const y = tf.tensor2d(uniform(8, 11), [8, 1]);
        for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
        const before = tf.memory().numTensors;
        const wasm = heap();
        const heapBytes = wasm.HEAPU8.buffer.byteLength;
        const malloc = wasm._malloc;
        const free = wasm._free;
        // As in fused_kernel_tests.ts: blocks taken and still held balance older blocks freed; a leaked scratch
        // block per call would tip the balance by 200 or more.
        const live = new Set<number>();
        let freedOlder = 0;
        let calls = 0;
        wasm._malloc = (n: number) => {
          const p = malloc(n);
          live.add(p >>> 0);
          calls++;
          return p;
        };
        wasm._free = (p: number) => {
          if (!live.delete(p >>> 0)) freedOlder++;
          free(p);
        };
        const profile = await tf.profile(async () => {
          for (let i = 0; i < 200; i++) await model.trainOnBatch(x, y);
        });
        wasm._malloc = malloc;
        wasm._free = free;
        expect(profile.kernelNames).toContain(SEQUENCE_OPS[cell].gradKernelName);
        expect(calls).toBeGreaterThan(400);
        expect(tf.memory().numTensors).toBe(before);
        expect(live.size - freedOlder).toBe(0);
        expect(wasm.HEAPU8.buffer.byteLength).toBe(heapBytes);
        tf.dispose([x, y]);
        model.dispose();
      });
    }
  });
}
