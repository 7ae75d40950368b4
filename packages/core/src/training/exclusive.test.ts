import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BasicRNN, BusyError, DisposedError, NonFiniteError, TrainingError, type Callback } from '../index.js';

/** A separable toy problem: label = mean of the first feature over time > 0. */
function toyData(n: number, seed = 1) {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 5, 2], -1, 1, 'float32', seed);
    const y = tf.cast(tf.greater(tf.mean(tf.slice(x, [0, 0, 0], [n, 5, 1]), 1), 0), 'float32');
    return { x, y };
  });
}

function newModel(): BasicRNN {
  const m = new BasicRNN({ hiddenSize: 6, outputSize: 1, seed: 11 });
  m.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'binaryCrossentropy' });
  return m;
}

function values(m: BasicRNN): number[][] {
  const ws = m.getWeights();
  const out = ws.map((w) => Array.from(w.dataSync()));
  tf.dispose(ws);
  return out;
}

const fitOptions = { epochs: 2, batchSize: 8, seed: 4 } as const;

describe('training is exclusive per model', () => {
  let x: tf.Tensor;
  let y: tf.Tensor;
  let model: BasicRNN;
  let reference: number[][];
  let footprint: number; // the weights and the optimizer state a fit leaves behind
  beforeEach(async () => {
    ({ x, y } = toyData(32));
    const single = newModel();
    const start = tf.memory().numTensors;
    await single.fit(x, y, fitOptions);
    footprint = tf.memory().numTensors - start;
    reference = values(single);
    single.dispose();
    model = newModel();
  });
  afterEach(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  it('a second fit while one runs rejects with BusyError; the first finishes with the weights of a single fit', async () => {
    const before = tf.memory().numTensors;
    const first = model.fit(x, y, fitOptions);
    const second = model.fit(x, y, fitOptions).catch((e: unknown) => e);
    const err = await second;
    expect(err).toBeInstanceOf(BusyError);
    expect((err as Error).message).toBe(
      'fit(x, y): the model is busy: fit() is running on it; wait until it resolves (abort fit() with its signal to stop early)',
    );
    const history = await first;
    expect(history.epoch).toEqual([0, 1]);
    expect(values(model)).toEqual(reference);
    expect(tf.memory().numTensors).toBe(before + footprint);
    // Released afterwards: training again works.
    await model.fit(x, y, { epochs: 1, batchSize: 32 });
  });

  it('trainOnBatch, evaluate, compile, setWeights and dispose during fit are refused, naming fit; fit is unaffected', async () => {
    const errors: unknown[] = [];
    const weights = model.isBuilt ? model.getWeights() : null;
    expect(weights).toBeNull();
    const ws: tf.Tensor[] = [];
    const probe: Callback = {
      onBatchEnd: async (batch) => {
        if (batch !== 1 || ws.length > 0) return;
        ws.push(...model.getWeights());
        errors.push(await model.trainOnBatch(x, y).catch((e: unknown) => e));
        errors.push(await model.evaluate(x, y).catch((e: unknown) => e));
        for (const call of [
          () => model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' }),
          () => model.setWeights(ws),
          () => model.dispose(),
        ]) {
          try {
            call();
            errors.push(null);
          } catch (e) {
            errors.push(e);
          }
        }
      },
    };
    await model.fit(x, y, { ...fitOptions, callbacks: [probe] });
    expect(errors).toHaveLength(5);
    for (const e of errors) {
      expect(e).toBeInstanceOf(BusyError);
      expect((e as Error).message).toMatch(/the model is busy: fit\(\) is running on it/);
    }
    expect((errors[0] as Error).message).toMatch(/^trainOnBatch\(x, y\):/);
    expect((errors[2] as Error).message).toMatch(/^compile\(config\):/);
    expect((errors[3] as Error).message).toMatch(/^setWeights\(weights\):/);
    expect(values(model)).toEqual(reference);
    tf.dispose(ws);
  });

  it('compile() from a callback, not caught: fit rejects with BusyError at a step boundary, nothing leaks, the model trains on', async () => {
    let atError = -1;
    let weightsAtError: number[][] = [];
    const err = await model
      .fit(x, y, {
        ...fitOptions,
        callbacks: {
          onBatchEnd: (batch) => {
            if (batch === 2) {
              weightsAtError = values(model);
              atError = tf.memory().numTensors;
              model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
            }
          },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusyError);
    expect((err as Error).message).toMatch(/^compile\(config\): the model is busy: fit\(\) is running on it/);
    expect(values(model)).toEqual(weightsAtError);
    expect(tf.memory().numTensors).toBe(atError);
    await model.fit(x, y, { epochs: 1, batchSize: 32 });
  });
});

describe('a step is all or nothing: failures are typed, with the original error as cause, and leak nothing', () => {
  let x: tf.Tensor;
  let y: tf.Tensor;
  let model: BasicRNN;
  beforeEach(() => {
    ({ x, y } = toyData(16));
    model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 2 });
    model.build([null, 5, 2]);
  });
  afterEach(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  for (const [name, make] of [
    ['adam', () => tf.train.adam(0.01)],
    ['sgd', () => tf.train.sgd(0.1)],
    ['momentum', () => tf.train.momentum(0.1, 0.9)],
    ['rmsprop', () => tf.train.rmsprop(0.01)],
  ] as const) {
    it(`a tf.train.${name} optimizer disposed before fit: DisposedError, weights unchanged, no leak`, async () => {
      const optimizer = make();
      model.compile({ optimizer, loss: 'meanSquaredError' });
      await model.trainOnBatch(x, y); // creates the optimizer's slots, where it has any
      optimizer.dispose();
      const weights = values(model);
      const before = tf.memory().numTensors;
      const err = await model.fit(x, y, { batchSize: 8 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DisposedError);
      expect((err as Error).message).toBe(
        'fit(x, y): the optimizer of compile() has been disposed; compile() again with a new optimizer',
      );
      expect(tf.memory().numTensors).toBe(before);
      expect(values(model)).toEqual(weights);
      // compile refuses it as well, and a fresh optimizer works.
      expect(() => model.compile({ optimizer, loss: 'meanSquaredError' })).toThrow(DisposedError);
      const fresh = make();
      model.compile({ optimizer: fresh, loss: 'meanSquaredError' });
      await model.fit(x, y, { batchSize: 8 });
      fresh.dispose();
    });
  }

  it('a tf.train optimizer disposed within fit (from a callback): the next step refuses, nothing leaks', async () => {
    const optimizer = tf.train.adam(0.01);
    model.compile({ optimizer, loss: 'meanSquaredError' });
    let afterDispose = -1;
    let weights: number[][] = [];
    const err = await model
      .fit(x, y, {
        batchSize: 4,
        callbacks: {
          onBatchEnd: (batch) => {
            if (batch !== 1) return;
            optimizer.dispose();
            weights = values(model);
            afterDispose = tf.memory().numTensors;
          },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisposedError);
    expect(tf.memory().numTensors).toBe(afterDispose);
    expect(values(model)).toEqual(weights);
  });

  it('an optimizer that throws inside applyGradients: TrainingError with the cause, gradients freed', async () => {
    const failing = tf.train.sgd(0.1);
    const boom = new TypeError("Cannot read properties of undefined (reading 'backend')");
    failing.applyGradients = () => {
      throw boom;
    };
    model.compile({ optimizer: failing, loss: 'meanSquaredError' });
    const before = tf.memory().numTensors;
    const err = await model.trainOnBatch(x, y).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as TrainingError).cause).toBe(boom);
    expect((err as Error).message).toMatch(
      /^trainOnBatch\(x, y\): the training step at epoch 0, batch 0 failed while applying the update \(the weights may be partly updated\): Cannot read properties/,
    );
    expect(tf.memory().numTensors).toBe(before);
    failing.dispose();
  });

  it('a failure inside the forward pass: TrainingError with the cause, every intermediate tensor freed', async () => {
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.trainOnBatch(x, y);
    const weights = values(model);
    const forward = model.forward.bind(model);
    const boom = new RangeError('kernel failed');
    model.forward = (input: tf.Tensor) => {
      const out = forward(input); // tensors on the tape, then a failure
      tf.mul(out, 2);
      throw boom;
    };
    const before = tf.memory().numTensors;
    const err = await model.fit(x, y, { batchSize: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as TrainingError).cause).toBe(boom);
    expect((err as Error).message).toMatch(/failed before the update \(nothing was changed\): kernel failed/);
    expect(tf.memory().numTensors).toBe(before);
    expect(values(model)).toEqual(weights);
    model.forward = forward;
    await model.fit(x, y, { batchSize: 8 }); // the model is released and trains again
  });

  it('a non-finite loss mid-fit stays a NonFiniteError (not wrapped), with nothing leaked', async () => {
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const yBad = tf.tidy(() => tf.concat([tf.slice(y, [0, 0], [8, 1]), tf.fill([8, 1], Infinity)], 0));
    const before = tf.memory().numTensors;
    const err = await model.fit(x, yBad, { batchSize: 8, shuffle: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).batch).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    yBad.dispose();
  });
});
