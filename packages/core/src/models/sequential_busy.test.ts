import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BusyError, layers, sequential } from '../index.js';

// BasicRNN refuses compile / setWeights / dispose while fit holds it; a sequential model must too (the trainer's
// hold is per model, whatever its class).
describe('sequential models are exclusive during fit', () => {
  it('compile, setWeights and dispose from a callback are BusyErrors; fit finishes; nothing leaks', async () => {
    const before = tf.memory().numTensors;
    const model = sequential({ layers: [layers.gru({ units: 3 }), layers.dense({ units: 1 })], seed: 2 });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tf.randomNormal([8, 4, 2], 0, 1, 'float32', 1);
    const y = tf.zeros([8, 1]);
    const errors: unknown[] = [];
    await model.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      callbacks: {
        onBatchEnd: () => {
          for (const call of [
            () => model.compile({ optimizer: 'adam', loss: 'meanSquaredError' }),
            () => {
              const copies = model.getWeights();
              try {
                model.setWeights(copies);
              } finally {
                tf.dispose(copies);
              }
            },
            () => model.dispose(),
          ]) {
            try {
              call();
            } catch (e) {
              errors.push(e);
            }
          }
        },
      },
    });
    expect(errors.length).toBe(6);
    for (const e of errors) expect(e).toBeInstanceOf(BusyError);
    expect(model.isCompiled).toBe(true);
    model.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
