// The training step reads one value when no metric is compiled: loss + the gradients' finiteness probe. A probe
// that reports a non-finite gradient (mocked here: a finite loss with a NaN gradient is hard to build from data)
// must stop the step with the right words, change nothing and leak nothing, with and without metrics.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BasicRNN, NonFiniteError } from '../index.js';

const poison = vi.hoisted(() => ({ on: false }));

vi.mock('./finite_probe.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./finite_probe.js')>();
  return {
    ...original,
    finiteProbe: (tensors: readonly tf.Tensor[]) => {
      const probe = original.finiteProbe(tensors);
      if (!poison.on) return probe;
      probe.dispose();
      return tf.scalar(Number.NaN);
    },
  };
});

describe('trainOnBatch: a non-finite gradient with a finite loss', () => {
  let model: BasicRNN;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeEach(() => {
    poison.on = false;
    model = new BasicRNN({ hiddenSize: 6, outputSize: 1, seed: 5 });
    x = tf.randomUniform([8, 4, 3], -1, 1, 'float32', 1);
    y = tf.randomUniform([8, 1], -1, 1, 'float32', 2);
  });
  afterEach(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  for (const metrics of [[], ['mae']] as const) {
    it(`stops with "a gradient is not finite", changes nothing, leaks nothing (metrics: [${metrics.join(', ')}])`, async () => {
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: [...metrics] });
      await model.trainOnBatch(x, y);
      const before = model.getWeights();
      const tensors = tf.memory().numTensors;
      poison.on = true;
      const err = await model.trainOnBatch(x, y).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonFiniteError);
      expect((err as Error).message).toMatch(/a gradient is not finite/);
      expect(tf.memory().numTensors).toBe(tensors);
      const after = model.getWeights();
      after.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!.dataSync())));
      tf.dispose([...before, ...after]);
    });
  }

  it('with the probe at 0 the value read is the loss (loss + 0)', async () => {
    model.compile({ optimizer: 'sgd', learningRate: 1e-9, loss: 'meanSquaredError' });
    const expected = (await model.evaluate(x, y)) as number;
    const loss = (await model.trainOnBatch(x, y)) as number;
    expect(loss).toBeCloseTo(expected, 6);
  });
});
