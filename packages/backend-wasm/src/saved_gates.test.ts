import * as tf from '@tensorflow/tfjs-core';
import { type RecurrenceAttrs, type RecurrenceInputs, recurrence, recurrenceGrad, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './index.js';
import { savedGateCount } from './kernels/saved_gates.js';
import { savedGateBytes } from './index.js';

// The LSTM and GRU forwards keep their gate values for the backward while a gradient tape records (kernels/saved_gates.ts):
// the backward then skips recomputing them. Its gradients must be those of the recomputing backward (up to the
// summation order of the forward's step gemms), and no saved buffer may outlive the step.

const B = 5;
const T = 6;
const I = 3;
const H = 9; // a column tail
const MASK = [
  [0, 0, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1],
  [1, 0, 0.5, 1, 0, 1],
  [1, 1, 1, 1, 1, 0.25],
  [0, 0, 0, 0, 0, 0],
];

/** NaN at every step whose mask is 0: the saved gates of those rows are never read (as in masked_nan.test.ts). */
function withNaNAtSkippedSteps(v: Float32Array): Float32Array {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (MASK[b]![t] === 0) v.fill(NaN, (b * T + t) * I, (b * T + t + 1) * I);
  return v;
}

function makeInputs(): Required<Pick<RecurrenceInputs, 'x' | 'kernel' | 'recurrentKernel' | 'bias' | 'h0' | 'c0' | 'mask'>> {
  const g = 4 * H;
  return {
    x: tf.tensor3d(withNaNAtSkippedSteps(uniform(B * T * I, 1)), [B, T, I]),
    kernel: tf.tensor2d(uniform(I * g, 2, -0.6, 0.6), [I, g]),
    recurrentKernel: tf.tensor2d(uniform(H * g, 3, -0.5, 0.5), [H, g]),
    bias: tf.tensor1d(uniform(g, 4, -0.3, 0.3)),
    h0: tf.tensor2d(uniform(B * H, 5, -0.5, 0.5), [B, H]),
    c0: tf.tensor2d(uniform(B * H, 6, -0.5, 0.5), [B, H]),
    mask: tf.tensor2d(MASK),
  };
}

/** A taped forward whose output the loss does not use: its gates are saved, and no backward takes them. */
function saveWithoutBackward(inputs: RecurrenceInputs, attrs: RecurrenceAttrs): void {
  const g = tf.grad((k: tf.Tensor) => {
    recurrence({ ...inputs, kernel: k }, attrs);
    return tf.sum(k);
  })(inputs.kernel);
  g.dispose();
}

const NAMES = ['x', 'kernel', 'recurrentKernel', 'bias', 'h0', 'c0'] as const;
const GRAD_NAMES = { x: 'dx', kernel: 'dKernel', recurrentKernel: 'dRecurrentKernel', bias: 'dBias', h0: 'dh0', c0: 'dc0' } as const;

describe('wasm LSTM and GRU: gate values saved by a taped forward', () => {
  beforeAll(async () => {
    await setBackend('wasm');
    setFusedKernelsEnabled(true);
  });
  afterAll(async () => setBackend('cpu'));

  const FORMS: { cell: 'lstm' | 'gru'; resetAfter: boolean; goBackwards: boolean }[] = [
    { cell: 'lstm', resetAfter: false, goBackwards: false },
    { cell: 'lstm', resetAfter: false, goBackwards: true },
    { cell: 'gru', resetAfter: false, goBackwards: false },
    { cell: 'gru', resetAfter: false, goBackwards: true },
    { cell: 'gru', resetAfter: true, goBackwards: false },
    { cell: 'gru', resetAfter: true, goBackwards: true },
  ];
  for (const { cell, resetAfter, goBackwards } of FORMS) {
    it(`${cell}${cell === 'gru' ? ` resetAfter ${resetAfter}` : ''} goBackwards ${goBackwards}: tf.grads through the tape uses them and matches the recomputing backward`, async () => {
      const before = tf.memory().numTensors;
      const lstm = makeInputs();
      const g = 3 * H;
      const inputs: RecurrenceInputs =
        cell === 'lstm'
          ? lstm
          : {
              x: lstm.x,
              kernel: tf.tensor2d(uniform(I * g, 12, -0.6, 0.6), [I, g]),
              recurrentKernel: tf.tensor2d(uniform(H * g, 13, -0.5, 0.5), [H, g]),
              bias: resetAfter ? tf.tensor2d(uniform(2 * g, 14, -0.3, 0.3), [2, g]) : tf.tensor1d(uniform(g, 14, -0.3, 0.3)),
              h0: lstm.h0,
              mask: lstm.mask,
            };
      const names = cell === 'lstm' ? NAMES : NAMES.filter((n) => n !== 'c0');
      const attrs: RecurrenceAttrs = { cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards, resetAfter };
      const dh = tf.tensor3d(uniform(B * T * H, 7), [B, T, H]);
      const dc = tf.tensor3d(uniform(B * T * H, 8), [B, T, H]);
      let savedDuringForward = -1;
      let bytesDuringForward = -1;
      const taped = tf.grads((...args: tf.Tensor[]) => {
        const own = Object.fromEntries(names.map((n, i) => [n, args[i]!])) as unknown as RecurrenceInputs;
        const out = recurrence({ ...own, mask: inputs.mask! }, attrs);
        savedDuringForward = savedGateCount();
        bytesDuringForward = savedGateBytes();
        const loss = tf.sum(tf.mul(out.hiddenStates, dh));
        return cell === 'lstm' ? tf.add(loss, tf.sum(tf.mul(out.cellStates!, dc))) : loss;
      })(names.map((n) => inputs[n]!));
      expect(savedDuringForward).toBe(1);
      expect(savedGateCount()).toBe(0);
      // Held outside tensors while the tape waits for the backward: [B·T, 4H] (LSTM) or 2 × [B·T, 3H] (GRU) floats
      // at least; none once the backward freed them.
      expect(bytesDuringForward).toBeGreaterThanOrEqual(4 * B * T * (cell === 'lstm' ? 4 * H : 6 * H));
      expect(savedGateBytes()).toBe(0);
      // No tape: the forward saves nothing and the backward recomputes the gates.
      const direct = recurrenceGrad(inputs, attrs, cell === 'lstm' ? { dh, dc } : { dh });
      expect(savedGateCount()).toBe(0);
      for (const [i, name] of names.entries()) {
        const got = await taped[i]!.data();
        const want = await (direct as unknown as Record<string, tf.Tensor>)[GRAD_NAMES[name]]!.data();
        let worst = 0;
        want.forEach((w, k) => (worst = Math.max(worst, Math.abs(got[k]! - w) / (Math.abs(w) + 1e-3))));
        expect(worst, name).toBeLessThan(1e-5);
        expect(Array.from(want).some((w) => w !== 0), name).toBe(true);
      }
      const made = cell === 'lstm' ? [] : [inputs.kernel, inputs.recurrentKernel, inputs.bias!];
      tf.dispose([...taped, ...Object.values(direct as unknown as Record<string, tf.Tensor>), ...Object.values(lstm), ...made, dh, dc]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('gates no backward took are freed by the next forward once their forward\'s outputs are gone', () => {
    const before = tf.memory().numTensors;
    const inputs = makeInputs();
    const attrs: RecurrenceAttrs = { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false };
    saveWithoutBackward(inputs, attrs);
    expect(savedGateCount()).toBe(1);
    const next = recurrence(inputs, attrs); // no tape: saves nothing, sweeps
    expect(savedGateCount()).toBe(0);
    tf.dispose([...Object.values(next), ...Object.values(inputs)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('two saved forwards: each backward takes the gates of the forward with its own inputs', async () => {
    const before = tf.memory().numTensors;
    const inputs = makeInputs();
    const attrs: RecurrenceAttrs = { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false };
    const other = { ...inputs, recurrentKernel: tf.mul(inputs.recurrentKernel, 1.5) };
    const dh = tf.tensor3d(uniform(B * T * H, 9), [B, T, H]);
    let inner: Record<string, tf.Tensor> = {};
    const counts: number[] = [];
    const outer = tf.grad((k: tf.Tensor) => {
      const out = recurrence({ ...inputs, kernel: k }, attrs);
      counts.push(savedGateCount());
      // A second taped forward (other weights) and its backward, while the first forward's gates are held.
      inner = recurrenceGrad(other, attrs, { dh }) as unknown as Record<string, tf.Tensor>;
      for (const t of Object.values(inner)) if (t instanceof tf.Tensor) tf.keep(t);
      counts.push(savedGateCount());
      return tf.sum(tf.mul(out.hiddenStates, dh));
    })(inputs.kernel);
    counts.push(savedGateCount());
    expect(counts).toEqual([1, 1, 0]);
    const check = async (got: tf.Tensor, want: tf.Tensor, name: string) => {
      const [g, w] = [await got.data(), await want.data()];
      let worst = 0;
      w.forEach((v, k) => (worst = Math.max(worst, Math.abs(g[k]! - v) / (Math.abs(v) + 1e-3))));
      expect(worst, name).toBeLessThan(1e-5);
    };
    const refInner = recurrenceGrad(other, attrs, { dh }) as unknown as Record<string, tf.Tensor>;
    for (const name of Object.keys(refInner)) await check(inner[name]!, refInner[name]!, `inner ${name}`);
    const refOuter = recurrenceGrad(inputs, attrs, { dh }) as unknown as Record<string, tf.Tensor>;
    await check(outer, refOuter['dKernel']!, 'outer dKernel');
    tf.dispose([outer, ...Object.values(inner), ...Object.values(refInner), ...Object.values(refOuter), ...Object.values(inputs), other.recurrentKernel, dh]);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('steps of a training loop refill the input copies of earlier steps: each backward still takes its own forward\'s gates', async () => {
    const before = tf.memory().numTensors;
    const inputs = makeInputs();
    const attrs: RecurrenceAttrs = { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false };
    const dh = tf.tensor3d(uniform(B * T * H, 9), [B, T, H]);
    for (const scale of [1, 1.25, 0.5, 2]) {
      // New weights every step, as after an optimizer update: the copies kept from the last step must be rewritten.
      const kernel = tf.mul(inputs.kernel, scale);
      const counts: number[] = [];
      const got = tf.grad((k: tf.Tensor) => {
        const out = recurrence({ ...inputs, kernel: k }, attrs);
        counts.push(savedGateCount());
        return tf.sum(tf.mul(out.hiddenStates, dh));
      })(kernel);
      counts.push(savedGateCount());
      expect(counts, `scale ${scale}`).toEqual([1, 0]);
      const want = recurrenceGrad({ ...inputs, kernel }, attrs, { dh }) as unknown as Record<string, tf.Tensor>;
      const [g, w] = [await got.data(), await want['dKernel']!.data()];
      let worst = 0;
      w.forEach((v, k) => (worst = Math.max(worst, Math.abs(g[k]! - v) / (Math.abs(v) + 1e-3))));
      expect(worst, `scale ${scale}`).toBeLessThan(1e-5);
      tf.dispose([kernel, got, ...Object.values(want)]);
    }
    tf.dispose([...Object.values(inputs), dh]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
