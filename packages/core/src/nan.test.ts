/**
 * Each claim of the README section "NaN and Infinity" (packages/core/README.md), checked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicRNN, NonFiniteError, earlyStopping, setFusedKernelsEnabled } from './index.js';

const models: BasicRNN[] = [];
function model(config: Partial<ConstructorParameters<typeof BasicRNN>[0]> = {}): BasicRNN {
  const m = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1, ...config });
  models.push(m);
  return m;
}
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
});

/** [3, 4, 2] inputs in [-0.4, 0.4], with `edits` ([b, t, i, value]) applied. */
function input(edits: [number, number, number, number][] = []): tf.Tensor3D {
  const b = tf.buffer([3, 4, 2]);
  for (let i = 0; i < b.size; i++) b.values[i] = (i % 5) / 5 - 0.4;
  for (const [bi, t, f, v] of edits) b.set(v, bi, t, f);
  return b.toTensor() as tf.Tensor3D;
}

const rows = (t: tf.Tensor) => t.arraySync() as number[][][];

describe('NaN and Infinity in inputs (predict and call propagate them, as Keras does)', () => {
  it('a NaN at (example b, step t) makes that example NaN from step t on; other examples are untouched', () => {
    const m = model({ returnSequences: true });
    const clean = input();
    const dirty = input([[0, 2, 0, NaN]]);
    const [a, b] = [m.predict(clean), m.predict(dirty)];
    const [ra, rb] = [rows(a), rows(b)];
    expect(rb[0]![0]).toEqual(ra[0]![0]);
    expect(rb[0]![1]).toEqual(ra[0]![1]);
    expect(rb[0]![2]![0]).toBeNaN();
    expect(rb[0]![3]![0]).toBeNaN();
    expect(rb[1]).toEqual(ra[1]);
    expect(rb[2]).toEqual(ra[2]);
    tf.dispose([clean, dirty, a, b]);
  });

  it('Infinity follows IEEE arithmetic: tanh saturates x·w = ±∞ to ±1, and ∞ − ∞ gives NaN', () => {
    const m = model({ hiddenSize: 2 });
    const one = tf.fill([1, 2, 1], Infinity);
    const { output, state, hiddenStates } = m.call(one, { returnHiddenStates: true });
    const hs = rows(hiddenStates!)[0]!;
    for (const h of hs.flat()) expect(Math.abs(h)).toBe(1);
    expect(Number.isFinite(output.dataSync()[0])).toBe(true);
    // Two features at +∞ meeting kernel entries of opposite signs: +∞ + (−∞) = NaN for that unit.
    const m2 = model({ hiddenSize: 3 });
    m2.build([null, null, 2]);
    const both = input([[1, 1, 0, Infinity], [1, 1, 1, Infinity]]);
    const weights = m2.getWeights();
    const kernel = weights[0]!.arraySync() as number[][];
    tf.dispose(weights);
    const seq = m2.call(both, { returnHiddenStates: true });
    const h = rows(seq.hiddenStates!)[1]![1]!;
    h.forEach((v, unit) => {
      const mixed = Math.sign(kernel[0]![unit]!) !== Math.sign(kernel[1]![unit]!);
      if (mixed) expect(v).toBeNaN();
      else expect(Math.abs(v)).toBe(1);
    });
    expect(h.some(Number.isNaN)).toBe(true);
    tf.dispose([one, output, state, hiddenStates!, both, seq.output, seq.state, seq.hiddenStates!]);
  });

  it('masked steps: finite values there are ignored exactly; NaN there is skipped by the cpu kernel only', () => {
    const m = model({ returnSequences: true });
    const mask = tf.tensor2d([[1, 1, 0, 1], [1, 1, 1, 1], [1, 1, 1, 1]]);
    const clean = input();
    const garbage = input([[0, 2, 0, 1e6], [0, 2, 1, -1e6]]);
    const dirty = input([[0, 2, 0, NaN]]);
    try {
      for (const fused of [true, false]) {
        setFusedKernelsEnabled(fused);
        const [a, b] = [m.call(clean, { mask }), m.call(garbage, { mask })];
        expect(Array.from(b.state.dataSync())).toEqual(Array.from(a.state.dataSync()));
        const c = m.call(dirty, { mask });
        const row0 = Array.from(c.state.dataSync()).slice(0, 3);
        // README: cpu's fused kernel skips the step; the composite blends h + m·(next − h), and 0·NaN is NaN.
        if (fused) expect(row0.every(Number.isFinite)).toBe(true);
        else expect(row0.every(Number.isNaN)).toBe(true);
        tf.dispose([a.output, a.state, b.output, b.state, c.output, c.state]);
      }
    } finally {
      setFusedKernelsEnabled(true);
      tf.dispose([mask, clean, garbage, dirty]);
    }
  });
});

describe('NaN and Infinity in weights', () => {
  it('setWeights accepts them (Keras does too) and predict propagates them', () => {
    const m = model();
    m.build([null, 4, 2]);
    const ws = m.getWeights();
    const poisoned = tf.fill([3], NaN); // the recurrent bias: every unit, every example
    m.setWeights([ws[0]!, ws[1]!, poisoned, ws[3]!, ws[4]!]);
    const x = input();
    const out = m.predict(x);
    expect(Array.from(out.dataSync()).every(Number.isNaN)).toBe(true);
    tf.dispose([...ws, poisoned, x, out]);
  });

  it('training from NaN weights stops before the first update with NonFiniteError', async () => {
    const m = model();
    m.build([null, 4, 2]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const ws = m.getWeights();
    const poisoned = tf.tensor2d([[NaN], [0], [0]]);
    m.setWeights([ws[0]!, ws[1]!, ws[2]!, poisoned, ws[4]!]);
    const x = input();
    const y = tf.zeros([3, 1]);
    await expect(m.fit(x, y)).rejects.toThrow(NonFiniteError);
    const after = m.getWeights();
    expect(after[3]!.dataSync()[0]).toBeNaN();
    expect(Array.from(after[0]!.dataSync())).toEqual(Array.from(ws[0]!.dataSync()));
    tf.dispose([...ws, ...after, poisoned, x, y]);
  });
});

describe('NaN and Infinity in training data and targets', () => {
  for (const [what, xEdits, yValue] of [
    ['NaN in x', [[1, 3, 1, NaN]], 0],
    ['Infinity in x', [[1, 3, 1, Infinity], [1, 3, 0, -Infinity]], 0],
    ['NaN in y', [], NaN],
    ['Infinity in y', [], Infinity],
  ] as const) {
    it(`${what}: fit stops with NonFiniteError before the update; weights and optimizer state stay`, async () => {
      const m = model();
      m.build([null, 4, 2]);
      const adam = tf.train.adam(0.01);
      m.compile({ optimizer: adam, loss: 'meanSquaredError' });
      const x = input(xEdits.map((e) => [...e] as [number, number, number, number]));
      const y = tf.tensor2d([[0.5], [yValue], [-0.5]]);
      const before = m.getWeights();
      const tensors = tf.memory().numTensors;
      const err = await m.fit(x, y, { batchSize: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonFiniteError);
      expect((err as NonFiniteError).epoch).toBe(0);
      expect((err as NonFiniteError).batch).toBe(0);
      expect(tf.memory().numTensors).toBe(tensors);
      expect((adam as unknown as { iterations: number }).iterations).toBe(0);
      const after = m.getWeights();
      after.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!.dataSync())));
      // trainOnBatch refuses the same batch the same way.
      await expect(m.trainOnBatch(x, y)).rejects.toThrow(NonFiniteError);
      tf.dispose([...before, ...after, x, y]);
      adam.dispose();
    });
  }

  it('evaluate reports a NaN loss without throwing (nothing is updated)', async () => {
    const m = model();
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
    const x = input([[0, 0, 0, NaN]]);
    const y = tf.zeros([3, 1]);
    const [loss, mae] = (await m.evaluate(x, y)) as number[];
    expect(loss).toBeNaN();
    expect(mae).toBeNaN();
    tf.dispose([x, y]);
  });

  it('NaN in validation data: training goes on, val_loss is NaN, and earlyStopping counts it as no improvement', async () => {
    const m = model();
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = input();
    const y = tf.zeros([3, 1]);
    const xVal = input([[0, 0, 0, NaN]]);
    const stopper = earlyStopping({ monitor: 'val_loss', patience: 1 });
    const history = await m.fit(x, y, { epochs: 5, validationData: [xVal, y], callbacks: [stopper] });
    expect(history.history.loss!.every(Number.isFinite)).toBe(true);
    expect(history.history.val_loss!.every(Number.isNaN)).toBe(true);
    expect(history.epoch).toEqual([0, 1]);
    expect(stopper.stoppedEpoch).toBe(1);
    tf.dispose([x, y, xVal]);
  });
});
