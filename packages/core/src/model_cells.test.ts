import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BasicRNN, ConfigError, WeightsError, deriveSeed, glorotUniform, layers, orthogonal, sequential } from './index.js';

describe('BasicRNN as a preset over the layers', () => {
  it('simpleRNN initial weights are bit-identical to the seeded initialisers (kernel 0, recurrent 1, dense 2)', () => {
    const model = new BasicRNN({ hiddenSize: 6, outputSize: 2, seed: 1234 });
    model.build([null, null, 4]);
    const [k, u, b, dk, db] = model.getWeights();
    expect(Array.from(k!.dataSync())).toEqual(Array.from(glorotUniform(4, 6, deriveSeed(1234, 0))));
    expect(Array.from(u!.dataSync())).toEqual(Array.from(orthogonal(6, 6, deriveSeed(1234, 1))));
    expect(Array.from(b!.dataSync())).toEqual(new Array(6).fill(0));
    expect(Array.from(dk!.dataSync())).toEqual(Array.from(glorotUniform(6, 2, deriveSeed(1234, 2))));
    expect(Array.from(db!.dataSync())).toEqual([0, 0]);
    tf.dispose([k!, u!, b!, dk!, db!]);
    model.dispose();
  });

  for (const cell of ['lstm', 'gru'] as const) {
    it(`cell '${cell}': Keras weight shapes, summary, and the same numbers as sequential([${cell}, dense])`, () => {
      const model = new BasicRNN({ hiddenSize: 4, outputSize: 2, returnSequences: true, cell, seed: 3 });
      model.build([null, 5, 3]);
      const ws = model.getWeights();
      const g = cell === 'lstm' ? 4 : 3;
      expect(ws.map((w) => w.shape)).toEqual([[3, g * 4], [4, g * 4], cell === 'gru' ? [2, 12] : [16], [4, 2], [2]]);
      const params = cell === 'lstm' ? 4 * 4 * (3 + 4 + 1) : 3 * 4 * (3 + 4 + 2);
      expect(model.countParams()).toBe(params + 10);
      expect(model.summary({ printFn: () => {} })).toContain(` ${cell} (${cell === 'lstm' ? 'LSTM' : 'GRU'})`);
      const twin = sequential({ layers: [layers[cell]({ units: 4, returnSequences: true }), layers.dense({ units: 2 })] });
      twin.build([null, 5, 3]);
      twin.setWeights(ws);
      const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 4);
      const h0 = tf.randomNormal([2, 4], 0, 1, 'float32', 5);
      const result = model.call(x, cell === 'lstm' ? {} : { initialState: h0 });
      const expected = twin.call(x);
      if (cell === 'lstm') {
        expect(result.cellState!.shape).toEqual([2, 4]);
        const diff = tf.max(tf.abs(tf.sub(result.output, expected)));
        expect(diff.dataSync()[0]).toBeLessThan(1e-6);
        diff.dispose();
      } else {
        expect(result.cellState).toBeUndefined();
      }
      tf.dispose([...ws, x, h0, result.output, result.state, ...(result.cellState ? [result.cellState] : []), expected]);
      model.dispose();
      twin.dispose();
    });
  }

  it("lstm: initialCellState is taken, and refused for other cells; wrong weight shapes name the weight", () => {
    const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, cell: 'lstm', seed: 1 });
    const x = tf.randomNormal([2, 4, 2], 0, 1, 'float32', 1);
    const c0 = tf.ones([2, 3]);
    const a = model.call(x);
    const b = model.call(x, { initialCellState: c0 });
    expect(tf.max(tf.abs(tf.sub(a.cellState!, b.cellState!))).dataSync()[0]).toBeGreaterThan(1e-3);
    const gru = new BasicRNN({ hiddenSize: 3, outputSize: 1, cell: 'gru', seed: 1 });
    gru.build([null, null, 2]);
    const ws = gru.getWeights();
    const flat = tf.zeros([9]);
    const before = tf.memory().numTensors;
    expect(() => gru.call(x, { initialCellState: c0 })).toThrow(ConfigError);
    expect(() => gru.setWeights([ws[0]!, ws[1]!, flat, ws[3]!, ws[4]!])).toThrow(/weights\[2\] bias\): expected shape \[2,9\], received \[9\]/);
    expect(() => gru.setWeights([ws[0]!, ws[1]!, flat, ws[3]!, ws[4]!])).toThrow(WeightsError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...ws, flat]);
    tf.dispose([x, c0, a.output, a.state, a.cellState!, b.output, b.state, b.cellState!]);
    model.dispose();
    gru.dispose();
  });

  it('trains a GRU BasicRNN with the same trainer', async () => {
    const model = new BasicRNN({ hiddenSize: 8, outputSize: 1, cell: 'gru', seed: 2 });
    model.compile({ optimizer: 'adam', learningRate: 0.05, loss: 'meanSquaredError' });
    const x = tf.randomNormal([16, 6, 2], 0, 1, 'float32', 3);
    const y = tf.reshape(tf.sum(tf.slice(x, [0, 0, 0], [-1, -1, 1]), [1, 2]), [16, 1]);
    const before = (await model.evaluate(x, y)) as number;
    await model.fit(x, y, { epochs: 30, batchSize: 8 });
    const after = (await model.evaluate(x, y)) as number;
    expect(after).toBeLessThan(before * 0.3);
    tf.dispose([x, y]);
    model.dispose();
  });
});
