// tfjs-layers as an independent oracle for the layers API: the same weights in tfjs-layers' own SimpleRNN /
// LSTM / GRU (Keras 2's reset-before form, tfjs-layers' only one; it refuses resetAfter true) / Bidirectional / Masking / Dense, compared
// on outputs, states and one SGD step. Kept in its own file: importing @tensorflow/tfjs registers tfjs's own
// gradients over core's for the whole process.
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Layer, layers, sequential } from '../index.js';

// Measured max |ours − tfjs-layers| on these cases is recorded below and printed after the run; float32 on the
// cpu backend with the same weights differs only by summation order (≈1e-7); 1e-5 catches any wrong gate,
// step or mask rule while tolerating another backend's order.
const TOL = 1e-5;
const measured: Record<string, number> = {};
afterAll(() => {
  console.info('[layers oracle] max |ours − tfjs-layers|:', JSON.stringify(measured, null, 1));
});

function maxDiff(a: tf.Tensor, b: tfl.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(Array.from(a.shape)).toEqual(Array.from(b.shape));
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

function toTfl(ws: tf.Tensor[]): tfl.Tensor[] {
  return ws.map((w) => tfl.tensor(w.dataSync(), w.shape as number[]));
}

function xBatch(batch: number, steps: number, features: number, seed: number, padding = false): tf.Tensor {
  const x = tf.randomNormal([batch, steps, features], 0, 1, 'float32', seed);
  if (!padding) return x;
  // Right-pad example 0 by two steps, left-pad example 1 by three (zeros: the Masking layers' maskValue).
  const mask = tf.tensor2d(
    Array.from({ length: batch }, (_, b) => Array.from({ length: steps }, (_, t) => (b === 0 ? t < steps - 2 : b === 1 ? t >= 3 : true) ? 1 : 0)),
  );
  const out = tf.mul(x, tf.expandDims(mask, 2));
  tf.dispose([x, mask]);
  return out;
}

type Case = {
  label: string;
  ours: () => Layer[];
  theirs: () => tfl.layers.Layer[];
  padding?: boolean;
};

const T = 7;
const I = 3;
const cases: Case[] = [
  {
    label: 'simpleRNN sequences + dense per step',
    ours: () => [layers.simpleRNN({ units: 5, returnSequences: true }), layers.dense({ units: 2 })],
    theirs: () => [tfl.layers.simpleRNN({ units: 5, returnSequences: true, inputShape: [T, I] }), tfl.layers.dense({ units: 2 })],
  },
  {
    label: 'lstm last output, goBackwards',
    ours: () => [layers.lstm({ units: 4, goBackwards: true }), layers.dense({ units: 1, activation: 'sigmoid' })],
    theirs: () => [tfl.layers.lstm({ units: 4, goBackwards: true, recurrentActivation: 'sigmoid', inputShape: [T, I] }), tfl.layers.dense({ units: 1, activation: 'sigmoid' })],
  },
  {
    label: "lstm with Keras 2 hard sigmoid (tfjs 'hardSigmoid' = our 'hardSigmoidKeras2')",
    ours: () => [layers.lstm({ units: 4, recurrentActivation: 'hardSigmoidKeras2', returnSequences: true })],
    theirs: () => [tfl.layers.lstm({ units: 4, recurrentActivation: 'hardSigmoid', returnSequences: true, inputShape: [T, I] })],
  },
  {
    label: 'gru resetAfter false, sequences, no bias',
    ours: () => [layers.gru({ units: 4, resetAfter: false, useBias: false, returnSequences: true })],
    theirs: () => [tfl.layers.gru({ units: 4, useBias: false, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [T, I] })],
  },
  {
    label: 'stack: lstm(seq) → gru(resetAfter false) → dense',
    ours: () => [layers.lstm({ units: 5, returnSequences: true }), layers.gru({ units: 3, resetAfter: false }), layers.dense({ units: 2 })],
    theirs: () => [
      tfl.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] }),
      tfl.layers.gru({ units: 3, recurrentActivation: 'sigmoid' }),
      tfl.layers.dense({ units: 2 }),
    ],
  },
  ...(['concat', 'sum', 'mul', 'ave'] as const).map(
    (mergeMode): Case => ({
      label: `bidirectional lstm ${mergeMode}, sequences`,
      ours: () => [layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), mergeMode })],
      theirs: () => [
        tfl.layers.bidirectional({
          layer: tfl.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }) as tfl.RNN,
          mergeMode,
          inputShape: [T, I],
        }),
      ],
    }),
  ),
  {
    label: 'bidirectional gru(resetAfter false) concat, last output',
    ours: () => [layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false }) })],
    theirs: () => [
      tfl.layers.bidirectional({ layer: tfl.layers.gru({ units: 3, recurrentActivation: 'sigmoid' }) as tfl.RNN, inputShape: [T, I] }),
    ],
  },
  {
    label: 'masking → simpleRNN last output (right- and left-padded)',
    padding: true,
    ours: () => [layers.masking(), layers.simpleRNN({ units: 4 })],
    theirs: () => [tfl.layers.masking({ maskValue: 0, inputShape: [T, I] }), tfl.layers.simpleRNN({ units: 4 })],
  },
  {
    label: 'masking → lstm(seq) → lstm (right- and left-padded)',
    padding: true,
    ours: () => [layers.masking(), layers.lstm({ units: 4, returnSequences: true }), layers.lstm({ units: 3 })],
    theirs: () => [
      tfl.layers.masking({ maskValue: 0, inputShape: [T, I] }),
      tfl.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }),
      tfl.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }),
    ],
  },
  {
    label: 'masking → gru(resetAfter false) sequences (right- and left-padded)',
    padding: true,
    ours: () => [layers.masking(), layers.gru({ units: 4, resetAfter: false, returnSequences: true })],
    theirs: () => [tfl.layers.masking({ maskValue: 0, inputShape: [T, I] }), tfl.layers.gru({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true })],
  },
];

describe('layers against tfjs-layers with the same weights', () => {
  cases.forEach((c, n) => {
    it(`${c.label}: forward, then one SGD step`, async () => {
      const ours = sequential({ layers: c.ours(), seed: 100 + n });
      ours.build([null, T, I]);
      const theirs = tfl.sequential({ layers: c.theirs() });
      const weights = ours.getWeights();
      theirs.setWeights(toTfl(weights));
      const x = xBatch(4, T, I, n, c.padding);
      const xt = tfl.tensor(x.dataSync(), x.shape as number[]);
      const y1 = ours.predict(x);
      const y2 = theirs.predict(xt) as tfl.Tensor;
      const forward = maxDiff(y1, y2);
      measured[`${c.label} forward`] = forward;
      expect(forward).toBeLessThan(TOL);

      // One SGD step on MSE towards fixed targets: the updated weights must agree.
      const target = tf.randomNormal(y1.shape, 0, 1, 'float32', 7);
      const targetT = tfl.tensor(target.dataSync(), target.shape as number[]);
      ours.compile({ optimizer: 'sgd', learningRate: 0.1, loss: 'meanSquaredError' });
      theirs.compile({ optimizer: tfl.train.sgd(0.1), loss: 'meanSquaredError' });
      await ours.trainOnBatch(x, target);
      await theirs.trainOnBatch(xt, targetT);
      const after = ours.getWeights();
      const afterT = theirs.getWeights();
      const step = Math.max(...after.map((w, i) => maxDiff(w, afterT[i]!)));
      measured[`${c.label} SGD step`] = step;
      expect(step).toBeLessThan(TOL);
      tf.dispose([...weights, ...after, x, y1, target]);
      tfl.dispose([xt, y2, targetT]);
      ours.dispose();
      theirs.dispose();
    });
  });

  it('returnState and initial states match tfjs-layers (lstm: [output, h, c])', () => {
    const ours = layers.lstm({ units: 3, returnState: true, returnSequences: true, seed: 4 });
    ours.build([null, T, I]);
    const theirs = tfl.layers.lstm({ units: 3, returnState: true, returnSequences: true, recurrentActivation: 'sigmoid' });
    const x = xBatch(2, T, I, 9);
    const xt = tfl.tensor(x.dataSync(), x.shape as number[]);
    theirs.apply(xt);
    const ws = ours.getWeights();
    theirs.setWeights(toTfl(ws));
    const h0 = tf.randomNormal([2, 3], 0, 1, 'float32', 1);
    const c0 = tf.randomNormal([2, 3], 0, 1, 'float32', 2);
    const a = ours.apply(x, { initialState: [h0, c0] }) as tf.Tensor[];
    const b = theirs.apply(xt, { initialState: [tfl.tensor(h0.dataSync(), [2, 3]), tfl.tensor(c0.dataSync(), [2, 3])] }) as tfl.Tensor[];
    const d = Math.max(...a.map((t, i) => maxDiff(t, b[i]!)));
    measured['lstm returnState + initialState'] = d;
    expect(a.length).toBe(3);
    expect(d).toBeLessThan(TOL);
    tf.dispose([x, h0, c0, ...a, ...ws]);
    ours.dispose();
  });
});
