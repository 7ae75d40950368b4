// What fit does with the data, checked through what users see: batch sizes and their order, the epoch value as
// the size-weighted mean of batch values, the validation split taken from the end, shuffling and its seed,
// label dtypes, and who disposes an optimizer. Small models, SGD; core and tfjs-core only.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicRNN, type Logs } from '../index.js';

const N = 7;
const x = tf.tensor3d(
  Array.from({ length: N * 4 * 2 }, (_, i) => Math.sin(0.9 * i + 0.3)),
  [N, 4, 2],
);
const y = tf.tensor2d(Array.from({ length: N }, (_, i) => [Math.cos(1.3 * i)]));

const models: BasicRNN[] = [];
function model(seed = 5): BasicRNN {
  const m = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed });
  m.compile({ optimizer: 'sgd', learningRate: 0.1, loss: 'meanSquaredError', metrics: ['mae'] });
  models.push(m);
  return m;
}
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
});

function weights(m: BasicRNN): number[] {
  return m.getWeights().flatMap((w) => {
    const v = Array.from(w.dataSync());
    w.dispose();
    return v;
  });
}

describe('fit batches and epoch logs', () => {
  it('batches of batchSize with a short last one; the epoch loss is the size-weighted mean of batch losses', async () => {
    const m = model();
    const batches: Logs[] = [];
    let epochLogs: Logs = {};
    await m.fit(x, y, {
      epochs: 1,
      batchSize: 3,
      shuffle: false,
      callbacks: {
        onBatchEnd: (_b, logs) => void batches.push({ ...logs }),
        onEpochEnd: (_e, logs) => void (epochLogs = { ...logs }),
      },
    });
    expect(batches.map((b) => [b.batch, b.size])).toEqual([
      [0, 3],
      [1, 3],
      [2, 1],
    ]);
    const weighted = (key: string) => batches.reduce((s, b) => s + b[key]! * b.size!, 0) / N;
    expect(epochLogs.loss).toBeCloseTo(weighted('loss'), 6);
    expect(epochLogs.mae).toBeCloseTo(weighted('mae'), 6);
    // not the plain mean of the three batch values
    const plain = batches.reduce((s, b) => s + b.loss!, 0) / 3;
    expect(Math.abs(epochLogs.loss! - plain)).toBeGreaterThan(1e-4);
  });

  it('without shuffling, one full batch of fit is one trainOnBatch step', async () => {
    const a = model();
    const b = model();
    await a.fit(x, y, { epochs: 1, batchSize: N, shuffle: false });
    await b.trainOnBatch(x, y);
    expect(weights(a)).toEqual(weights(b));
  });

  it('shuffling reorders batches (weights differ from the unshuffled run), the same seed repeats, another seed differs', async () => {
    const run = async (options: { shuffle?: boolean; seed?: number }) => {
      const m = model();
      await m.fit(x, y, { epochs: 2, batchSize: 2, ...options });
      return weights(m);
    };
    const plain = await run({ shuffle: false });
    const s1 = await run({ seed: 1 });
    expect(await run({ seed: 1 })).toEqual(s1);
    expect(s1).not.toEqual(plain);
    expect(await run({ seed: 2 })).not.toEqual(s1);
    // shuffle defaults to true, and without a seed a model's successive fits differ but fresh twins repeat
    expect(await run({})).not.toEqual(plain);
    expect(await run({})).toEqual(await run({}));
  });

  it('validationSplit holds out the last examples: val_loss is their loss after the epoch', async () => {
    const m = model();
    let seen = 0;
    const history = await m.fit(x, y, {
      epochs: 1,
      batchSize: 2,
      validationSplit: 0.3,
      callbacks: { onBatchEnd: (_b, logs) => void (seen += logs.size!) },
    });
    // Keras: the first int(7 · (1 − 0.3)) = 4 train, the last 3 validate
    expect(seen).toBe(4);
    const xVal = tf.slice(x, [4, 0, 0], [3, 4, 2]);
    const yVal = tf.slice(y, [4, 0], [3, 1]);
    const [valLoss, valMae] = (await m.evaluate(xVal, yVal)) as number[];
    expect(history.history.val_loss![0]).toBeCloseTo(valLoss!, 6);
    expect(history.history.val_mae![0]).toBeCloseTo(valMae!, 6);
    tf.dispose([xVal, yVal]);
  });

  it('validationData is evaluated after each epoch and takes precedence over validationSplit', async () => {
    const m = model();
    const xv = tf.slice(x, [0, 0, 0], [3, 4, 2]);
    const yv = tf.slice(y, [0, 0], [3, 1]);
    let seen = 0;
    const history = await m.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      validationSplit: 0.5,
      validationData: [xv, yv],
      callbacks: { onBatchEnd: (_b, logs) => void (seen += logs.size!) },
    });
    expect(seen).toBe(N);
    const [valLoss] = (await m.evaluate(xv, yv)) as number[];
    expect(history.history.val_loss![0]).toBeCloseTo(valLoss!, 6);
    tf.dispose([xv, yv]);
  });

  it('evaluate without options uses batches of 32 and weights them by size', async () => {
    const m = model();
    const [loss] = (await m.evaluate(x, y)) as number[];
    const [loss2] = (await m.evaluate(x, y, { batchSize: 2 })) as number[];
    expect(loss2).toBeCloseTo(loss!, 5);
  });
});

describe('labels and optimizers', () => {
  it('int32 and bool labels are read as float32', async () => {
    const m = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    models.push(m);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const yi = tf.tensor2d(Array.from({ length: N }, (_, i) => [i % 3]), [N, 1], 'int32');
    const yf = tf.cast(yi, 'float32');
    expect(await m.evaluate(x, yi)).toBeCloseTo((await m.evaluate(x, yf)) as number, 6);
    expect(Number.isFinite((await m.trainOnBatch(x, yi)) as number)).toBe(true);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const yb = tf.tensor2d(Array.from({ length: N }, (_, i) => [i % 2 === 0 ? 1 : 0]), [N, 1], 'bool');
    expect(Number.isFinite((await m.trainOnBatch(x, yb)) as number)).toBe(true);
    tf.dispose([yi, yf, yb]);
  });

  it('an Optimizer instance passed to compile stays the caller\'s: disposing the model leaves it usable', async () => {
    const mine = tf.train.sgd(0.1);
    const m = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    m.compile({ optimizer: mine, loss: 'meanSquaredError' });
    await m.trainOnBatch(x, y);
    m.dispose();
    const v = tf.variable(tf.scalar(1), true, 'fit_test_owned_v');
    expect(() => tf.tidy(() => mine.applyGradients({ [v.name]: tf.scalar(1) }))).not.toThrow();
    expect(v.dataSync()[0]).toBeCloseTo(0.9, 6);
    v.dispose();
    mine.dispose();
  });

  it('a named optimizer is the model\'s: disposing the model frees it (tensor count back where it was)', async () => {
    const before = tf.memory().numTensors;
    const m = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    m.compile({ optimizer: 'momentum', loss: 'meanSquaredError' });
    await m.trainOnBatch(x, y);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
