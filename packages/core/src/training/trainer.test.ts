import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BasicRNN,
  BusyError,
  ConfigError,
  DTypeError,
  NonFiniteError,
  NotCompiledError,
  ShapeError,
  earlyStopping,
  getBackend,
  setBackend,
} from '../index.js';

async function expectRejects(fn: () => Promise<unknown>, type: new (...args: never[]) => Error, pattern: RegExp) {
  const before = tf.memory().numTensors;
  await expect(fn()).rejects.toBeInstanceOf(type);
  await expect(fn()).rejects.toThrow(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

function expectThrows(fn: () => unknown, type: new (...args: never[]) => Error, pattern: RegExp) {
  const before = tf.memory().numTensors;
  expect(fn).toThrow(type);
  expect(fn).toThrow(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

/** A separable toy problem: label = mean of the first feature over time > 0. */
function toyData(n: number, steps = 5, features = 2, seed = 1) {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, steps, features], -1, 1, 'float32', seed);
    const y = tf.cast(tf.greater(tf.mean(tf.slice(x, [0, 0, 0], [n, steps, 1]), 1), 0), 'float32');
    return { x, y: y as tf.Tensor2D };
  });
}

describe('compile / trainOnBatch / fit / evaluate', () => {
  let model: BasicRNN;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeEach(() => {
    model = new BasicRNN({ hiddenSize: 8, outputSize: 1, seed: 3 });
    ({ x, y } = toyData(64));
  });
  afterEach(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  it('trainOnBatch returns the loss, or [loss, ...metrics] with metrics (Keras)', async () => {
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const loss = await model.trainOnBatch(x, y);
    expect(typeof loss).toBe('number');
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', 'mae'] });
    const withMetrics = (await model.trainOnBatch(x, y)) as number[];
    expect(withMetrics).toHaveLength(3);
    expect(withMetrics[1]).toBeGreaterThanOrEqual(0);
    expect(withMetrics[1]).toBeLessThanOrEqual(1);
  });

  it('the seed setup (linear Dense + binary cross-entropy, Adam) learns: logits, not probabilities', async () => {
    model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 30, batchSize: 16, seed: 1 });
    const losses = history.history.loss!;
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.6);
    expect(history.history.accuracy!.at(-1)!).toBeGreaterThan(0.85);
    const [evalLoss, evalAcc] = (await model.evaluate(x, y)) as number[];
    expect(evalLoss).toBeLessThan(losses[0]!);
    expect(evalAcc).toBeGreaterThan(0.85);
  });

  it('History has Keras keys, validation from the end of the data, and repeats for a seed', async () => {
    const run = async () => {
      const m = new BasicRNN({ hiddenSize: 8, outputSize: 1, seed: 5 });
      m.compile({ optimizer: 'rmsprop', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 10, validationSplit: 0.25, seed: 4 });
      m.dispose();
      return h;
    };
    const a = await run();
    const b = await run();
    expect(a.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(a.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(a.history).toEqual(b.history);
  });

  it('every optimizer by name trains one step; a tfjs Optimizer instance is used as given', async () => {
    for (const optimizer of ['sgd', 'momentum', 'adam', 'adamax', 'rmsprop', 'adagrad', 'adadelta'] as const) {
      model.compile({ optimizer, loss: 'meanSquaredError' });
      expect(Number.isFinite(await model.trainOnBatch(x, y))).toBe(true);
    }
    const sgd = tf.train.sgd(0.5);
    model.compile({ optimizer: sgd, loss: 'meanSquaredError' });
    const before = model.getWeights();
    await model.trainOnBatch(x, y);
    const after = model.getWeights();
    expect(Array.from(after[0]!.dataSync())).not.toEqual(Array.from(before[0]!.dataSync()));
    tf.dispose([...before, ...after]);
    sgd.dispose();
  });

  it('each loss trains; categorical and sparse labels follow their loss', async () => {
    const multi = new BasicRNN({ hiddenSize: 6, outputSize: 3, seed: 2 });
    const labels = tf.tensor1d([0, 1, 2, 1], 'int32');
    const oneHot = tf.oneHot(labels, 3);
    const xs = tf.randomNormal([4, 5, 2], 0, 1, 'float32', 3);
    multi.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    expect((await multi.trainOnBatch(xs, labels)) as number[]).toHaveLength(2);
    multi.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['categoricalAccuracy'] });
    expect((await multi.trainOnBatch(xs, tf.cast(oneHot, 'float32'))) as number[]).toHaveLength(2);
    for (const loss of ['meanSquaredError', 'meanAbsoluteError', 'huber'] as const) {
      multi.compile({ optimizer: 'sgd', loss });
      expect(Number.isFinite(await multi.trainOnBatch(xs, tf.cast(oneHot, 'float32')))).toBe(true);
    }
    tf.dispose([labels, oneHot, xs]);
    multi.dispose();
  });

  it('losses match their definitions (logits for a linear head, probabilities for sigmoid/softmax)', async () => {
    const m = new BasicRNN({ hiddenSize: 3, outputSize: 2, seed: 9 });
    const xs = tf.randomNormal([5, 4, 2], 0, 1, 'float32', 8);
    const z = m.predict(xs);
    const ys = tf.tensor2d([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]]);
    const zs = z.arraySync() as number[][];
    const ts = ys.arraySync() as number[][];
    let bce = 0;
    zs.forEach((row, i) => row.forEach((v, j) => (bce += -(ts[i]![j]! * Math.log(1 / (1 + Math.exp(-v))) + (1 - ts[i]![j]!) * Math.log(1 - 1 / (1 + Math.exp(-v)))))));
    m.compile({ optimizer: 'sgd', learningRate: 1e-9, loss: 'binaryCrossentropy' });
    expect(await m.evaluate(xs, ys)).toBeCloseTo(bce / 10, 5);
    let mse = 0;
    zs.forEach((row, i) => row.forEach((v, j) => (mse += (v - ts[i]![j]!) ** 2)));
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(await m.evaluate(xs, ys)).toBeCloseTo(mse / 10, 5);
    tf.dispose([xs, z, ys]);
    m.dispose();
  });

  it('callbacks run in order and are awaited; earlyStopping stops and restores the best weights', async () => {
    model.compile({ optimizer: 'sgd', learningRate: 1e-6, loss: 'binaryCrossentropy' });
    const events: string[] = [];
    const stopper = earlyStopping({ monitor: 'loss', patience: 1, minDelta: 10, restoreBestWeights: true });
    const history = await model.fit(x, y, {
      epochs: 10,
      batchSize: 32,
      callbacks: [
        {
          onTrainBegin: () => void events.push('trainBegin'),
          onEpochBegin: (e) => void events.push(`epochBegin${e}`),
          onBatchEnd: async (b) => {
            await new Promise((r) => setTimeout(r, 1));
            events.push(`batch${b}`);
          },
          onEpochEnd: (e) => void events.push(`epochEnd${e}`),
          onTrainEnd: () => void events.push('trainEnd'),
        },
        stopper,
      ],
    });
    // minDelta 10 means no epoch improves on the first: stop after 1 + patience epochs.
    expect(history.epoch).toEqual([0, 1]);
    expect(stopper.stoppedEpoch).toBe(1);
    expect(events).toEqual(['trainBegin', 'epochBegin0', 'batch0', 'batch1', 'epochEnd0', 'epochBegin1', 'batch0', 'batch1', 'epochEnd1', 'trainEnd']);
  });

  it('an AbortSignal stops at a batch boundary and returns the History so far', async () => {
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const controller = new AbortController();
    let batches = 0;
    const history = await model.fit(x, y, {
      epochs: 50,
      batchSize: 8,
      signal: controller.signal,
      callbacks: {
        onBatchEnd: () => {
          if (++batches === 20) controller.abort();
        },
      },
    });
    expect(batches).toBe(20);
    expect(history.epoch).toEqual([0, 1]); // 8 batches per epoch: epochs 0 and 1 finished, 2 aborted
  });

  it('fit yields to the event loop between batches', async () => {
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await model.fit(x, y, { epochs: 2, batchSize: 4 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  it('setBackend during fit is rejected with BusyError and the backend stays', async () => {
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    let error: unknown;
    await model.fit(x, y, {
      epochs: 1,
      batchSize: 32,
      callbacks: {
        onBatchEnd: async () => {
          error ??= await setBackend('cpu').then(() => null, (e: unknown) => e);
        },
      },
    });
    expect(error).toBeInstanceOf(BusyError);
    expect(getBackend()).toBe('cpu');
    await setBackend('cpu'); // released after fit
  });

  it('non-finite loss stops training with NonFiniteError naming epoch and batch; weights and optimizer state stay', async () => {
    const adam = tf.train.adam(0.01);
    model.compile({ optimizer: adam, loss: 'meanSquaredError' });
    await model.trainOnBatch(x, y);
    const iterations = (adam as unknown as { iterations: number }).iterations;
    const before = model.getWeights();
    const poisoned = tf.tidy(() => tf.concat([x, tf.fill([1, 5, 2], NaN)], 0));
    const yPoisoned = tf.tidy(() => tf.concat([y, tf.zeros([1, 1])], 0));
    const tensors = tf.memory().numTensors;
    const err = await model.fit(poisoned, yPoisoned, { epochs: 2, batchSize: 65, shuffle: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).epoch).toBe(0);
    expect((err as NonFiniteError).batch).toBe(0);
    expect((err as Error).message).toMatch(/epoch 0, batch 0: the loss \(NaN\) is not finite/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect((adam as unknown as { iterations: number }).iterations).toBe(iterations);
    const after = model.getWeights();
    after.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!.dataSync())));
    tf.dispose([...before, ...after, poisoned, yPoisoned]);
    adam.dispose();
  });
});

describe('training bad input: typed errors, nothing leaked', () => {
  let model: BasicRNN;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeEach(() => {
    model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 3 });
    ({ x, y } = toyData(10));
  });
  afterEach(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  it('fit, trainOnBatch and evaluate before compile', async () => {
    await expectRejects(() => model.fit(x, y), NotCompiledError, /fit\(x, y\): the model is not compiled/);
    await expectRejects(() => model.trainOnBatch(x, y), NotCompiledError, /trainOnBatch/);
    await expectRejects(() => model.evaluate(x, y), NotCompiledError, /evaluate/);
  });

  it('unknown optimizer, loss or metric names; bad learning rate or clipping', () => {
    expectThrows(() => model.compile({ optimizer: 'adamw' as 'adam', loss: 'meanSquaredError' }), ConfigError, /optimizer.*expected one of 'sgd'.*received "adamw"/);
    expectThrows(() => model.compile({ optimizer: 'adam', loss: 'mse' as 'huber' }), ConfigError, /loss.*received "mse"/);
    expectThrows(() => model.compile({ optimizer: 'adam', loss: 'huber', metrics: ['f1' as 'mae'] }), ConfigError, /metrics\[0\].*received "f1"/);
    expectThrows(() => model.compile({ optimizer: 'adam', loss: 'huber', learningRate: -1 }), ConfigError, /learningRate.*received -1/);
    expectThrows(() => model.compile({ optimizer: 'adam', loss: 'huber', clipNorm: 0 }), ConfigError, /clipNorm.*received 0/);
    expect(model.isCompiled).toBe(false);
  });

  it('mismatched x/y batch sizes, labels of the wrong shape for the loss, non-numeric labels', async () => {
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const y9 = tf.zeros([9, 1]);
    const y2 = tf.zeros([10, 2]);
    await expectRejects(() => model.fit(x, y9), ShapeError, /x has 10 examples but y has 9/);
    await expectRejects(() => model.trainOnBatch(x, y2), ShapeError, /loss 'meanSquaredError' expects labels of shape \[10,1\] \(the output shape\), received \[10,2\]/);
    const multi = new BasicRNN({ hiddenSize: 4, outputSize: 3 });
    multi.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await expectRejects(() => multi.trainOnBatch(x, y2), ShapeError, /expects labels of shape \[10\] \(class indices/);
    const ys = tf.tensor(Array(10).fill('a'), [10, 1], 'string');
    await expectRejects(() => model.trainOnBatch(x, ys), DTypeError, /numeric labels/);
    tf.dispose([y9, y2, ys]);
    multi.dispose();
  });

  it('validationSplit outside (0, 1), batchSize ≤ 0, epochs not a positive integer', async () => {
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await expectRejects(() => model.fit(x, y, { validationSplit: 1 }), ConfigError, /validationSplit.*expected a number in \(0, 1\), received 1/);
    await expectRejects(() => model.fit(x, y, { validationSplit: 0 }), ConfigError, /validationSplit/);
    await expectRejects(() => model.fit(x, y, { validationSplit: 0.95 }), ConfigError, /leaves 0 for training and 10 for validation/);
    await expectRejects(() => model.fit(x, y, { batchSize: 0 }), ConfigError, /fit\(x, y, options\)\.batchSize: expected a positive integer, received 0/);
    await expectRejects(() => model.fit(x, y, { batchSize: -4 }), ConfigError, /batchSize/);
    await expectRejects(() => model.fit(x, y, { epochs: 1.5 }), ConfigError, /epochs/);
    await expectRejects(() => model.evaluate(x, y, { batchSize: 0 }), ConfigError, /batchSize/);
  });
});
