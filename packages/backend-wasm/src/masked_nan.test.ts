import * as tf from '@tensorflow/tfjs-core';
import {
  BasicRNN,
  type CellType,
  type RecurrenceAttrs,
  type RecurrenceInputs,
  recurrence,
  recurrenceGrad,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './index.js';

// A step whose mask is 0 is skipped exactly by the fused wasm kernels: its input is never read into the state
// (forward: a select, not the blend h + m·(next − h), which turns a NaN input into a NaN state) and no gradient is
// formed from it (backward: no 0·NaN in dW or in the gate values recomputed from x). So a batch whose skipped steps
// hold NaN or ±Inf gives bit for bit what the same batch with zeros there gives, finite everywhere.

const B = 5; // one 4-row tile and a tail row
const T = 6;
const I = 3;
const H = 9; // one 8-column panel and a column tail

// Example 0 left-padded, example 2 with holes in the middle, example 4 fully masked; the others take every step.
const MASK = [
  [0, 0, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1],
  [1, 0, 1, 0, 0, 1],
  [1, 1, 1, 1, 1, 1],
  [0, 0, 0, 0, 0, 0],
];

interface Form {
  cell: CellType;
  resetAfter: boolean;
  goBackwards: boolean;
}

const FORMS: Form[] = [
  { cell: 'simpleRNN', resetAfter: false, goBackwards: false },
  { cell: 'simpleRNN', resetAfter: false, goBackwards: true },
  { cell: 'lstm', resetAfter: false, goBackwards: false },
  { cell: 'lstm', resetAfter: false, goBackwards: true },
  { cell: 'gru', resetAfter: true, goBackwards: false },
  { cell: 'gru', resetAfter: false, goBackwards: true },
];

function formName(f: Form): string {
  return `${f.cell}${f.cell === 'gru' ? (f.resetAfter ? ' resetAfter' : ' resetAfter=false') : ''}${f.goBackwards ? ' goBackwards' : ''}`;
}

/** x [B, T, I] with `fill` at every masked step (and the same values elsewhere whatever `fill`). */
function inputWith(fill: number): tf.Tensor3D {
  const v = uniform(B * T * I, 1);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (MASK[b]![t] === 0) for (let i = 0; i < I; i++) v[(b * T + t) * I + i] = fill;
    }
  }
  return tf.tensor3d(v, [B, T, I]);
}

/** Forward outputs and every gradient (LSTM, GRU: with ∂loss/∂h_t) of one fused call each way, as plain arrays. */
function runAll(f: Form, x: tf.Tensor3D): Record<string, Float32Array> {
  const g = (f.cell === 'lstm' ? 4 : f.cell === 'gru' ? 3 : 1) * H;
  const inputs: RecurrenceInputs = {
    x,
    kernel: tf.tensor2d(uniform(I * g, 2, -0.6, 0.6), [I, g]),
    recurrentKernel: tf.tensor2d(uniform(H * g, 3, -0.5, 0.5), [H, g]),
    bias: f.cell === 'gru' && f.resetAfter ? tf.tensor2d(uniform(2 * g, 4, -0.3, 0.3), [2, g]) : tf.tensor1d(uniform(g, 4, -0.3, 0.3)),
    h0: tf.tensor2d(uniform(B * H, 5, -0.5, 0.5), [B, H]),
    mask: tf.tensor2d(MASK),
  };
  if (f.cell === 'lstm') inputs.c0 = tf.tensor2d(uniform(B * H, 6, -0.5, 0.5), [B, H]);
  const attrs: RecurrenceAttrs = { cell: f.cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: f.goBackwards, resetAfter: f.resetAfter };
  const dh = tf.tensor3d(uniform(B * T * H, 7), [B, T, H]);
  const dc = tf.tensor3d(uniform(B * T * H, 8), [B, T, H]);
  const out = recurrence(inputs, attrs);
  // SimpleRNN's op hands hiddenStateGrads to core's composite: ask for them from the gated kernels only.
  const hiddenStateGrads = f.cell !== 'simpleRNN';
  const grads = recurrenceGrad(inputs, attrs, { dh, ...(f.cell === 'lstm' ? { dc } : {}) }, { hiddenStateGrads });
  const all = { ...out, ...grads } as Record<string, tf.Tensor>;
  const result: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(all)) result[name] = t.dataSync() as Float32Array;
  const { x: _, ...owned } = inputs;
  tf.dispose([dh, dc, ...Object.values(all), ...Object.values(owned)]);
  return result;
}

describe('wasm fused kernels: a step whose mask is 0 is skipped exactly, even when its input holds NaN or Inf', () => {
  beforeAll(async () => {
    await setBackend('wasm');
    setFusedKernelsEnabled(true);
  });
  afterAll(async () => setBackend('cpu'));

  for (const f of FORMS) {
    it(`${formName(f)}: states and every gradient equal the zero-filled batch's, bit for bit`, () => {
      const before = tf.memory().numTensors;
      const xs = [0, NaN, Infinity, -Infinity].map(inputWith);
      const [zeros, ...dirty] = xs.map((x) => runAll(f, x));
      const names = Object.keys(zeros!).sort();
      expect(names).toContain('hiddenStates');
      expect(names).toContain('dKernel');
      for (const name of names) {
        const clean = Array.from(zeros![name]!);
        expect(clean.every(Number.isFinite), `${name} (zeros) finite`).toBe(true);
        for (const d of dirty) expect(Array.from(d[name]!), name).toEqual(clean);
      }
      tf.dispose(xs);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('BasicRNN.call: NaN in a masked step leaves the state finite and equal to the clean batch', async () => {
    const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
    const make = (v: number) => {
      const b = tf.buffer([2, 4, 2]);
      for (let i = 0; i < b.size; i++) b.values[i] = (i % 5) / 5 - 0.4;
      b.set(v, 0, 2, 0);
      return b.toTensor();
    };
    const mask = tf.tensor2d([[1, 1, 0, 1], [1, 1, 1, 1]]);
    const xs = [make(0.1), make(1e6), make(NaN), make(-Infinity)];
    const results = xs.map((x) => model.call(x, { mask }));
    const clean = Array.from(results[0]!.state.dataSync());
    expect(clean.every(Number.isFinite)).toBe(true);
    for (const r of results.slice(1)) expect(Array.from(r.state.dataSync())).toEqual(clean);
    tf.dispose([mask, ...xs, ...results.flatMap((r) => [r.output, r.state])]);
    model.dispose();
  });
});
