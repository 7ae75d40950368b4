// Learning real tasks with fixed seeds on wasm in Node (issue: training). Final figures are logged for the notes.
import * as tf from '@tensorflow/tfjs-core';
import '@basicrnn/backend-wasm';
import { BasicRNN, setBackend } from '@basicrnn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { markerData, runningSignData, sentimentData, sentimentModel, sineData, type TaskData } from './index.js';

function tensors(d: TaskData, from: number, to: number) {
  const { seqLength: t, inputSize: i, outputSize: o } = d.shape;
  const n = to - from;
  const x = tf.tensor3d(d.x.subarray(from * t * i, to * t * i), [n, t, i]);
  const y = d.returnSequences ? tf.tensor3d(d.y.subarray(from * t * o, to * t * o), [n, t, o]) : tf.tensor2d(d.y.subarray(from * o, to * o), [n, o]);
  return { x, y };
}

describe('learning real tasks (wasm, Node, fixed seeds)', () => {
  beforeAll(async () => {
    await setBackend('wasm');
  }, 120_000);

  it('forecasts the next value of a noisy sine wave: validation MSE < 10% of the series variance', async () => {
    const data = sineData({ samples: 1200, seqLength: 20, seed: 1 });
    const train = tensors(data, 0, 1000);
    const test = tensors(data, 1000, 1200);
    const model = new BasicRNN({ hiddenSize: 32, outputSize: 1, seed: 1 });
    model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'meanSquaredError' });
    await model.fit(train.x, train.y, { epochs: 15, batchSize: 32, seed: 1 });
    const mse = (await model.evaluate(test.x, test.y)) as number;
    console.log(`sine: held-out MSE ${mse.toFixed(5)} = ${((100 * mse) / data.variance).toFixed(2)}% of variance ${data.variance.toFixed(4)}`);
    expect(mse).toBeLessThan(0.1 * data.variance);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
    await setBackend('wasm');
  }, 120_000);

  it('classifies which marker appeared in the first half (memory across time): held-out accuracy ≥ 95%', async () => {
    const data = markerData({ samples: 1500, seqLength: 20, inputSize: 10, seed: 2 });
    const train = tensors(data, 0, 1200);
    const test = tensors(data, 1200, 1500);
    // The seed's model: SimpleRNN + Dense, binary cross-entropy (logits), Adam.
    const model = new BasicRNN({ hiddenSize: 64, outputSize: 1, seed: 2 });
    model.compile({ optimizer: 'adam', learningRate: 0.003, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: 15, batchSize: 32, seed: 2 });
    const [loss, accuracy] = (await model.evaluate(test.x, test.y)) as number[];
    console.log(`marker: held-out accuracy ${(100 * accuracy!).toFixed(1)}%, loss ${loss!.toFixed(4)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
    await setBackend('wasm');
  }, 120_000);

  it('sequence to sequence (returnSequences): sign of the running sum at each step, per-step accuracy ≥ 95%', async () => {
    const data = runningSignData({ samples: 1500, seqLength: 20, seed: 3 });
    const train = tensors(data, 0, 1200);
    const test = tensors(data, 1200, 1500);
    const model = new BasicRNN({ hiddenSize: 16, outputSize: 1, returnSequences: true, seed: 3 });
    model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    // 10 epochs: at this learning rate Adam oscillates after ~10 (per-step accuracy at epoch 20 ranged 93.4–98.8%
    // over seeds 1–5 and moved by 4 points with a tanh differing in the last bits; at epoch 10 every seed gave ≥ 96%).
    await model.fit(train.x, train.y, { epochs: 10, batchSize: 32, seed: 3 });
    const [loss, accuracy] = (await model.evaluate(test.x, test.y)) as number[];
    console.log(`running sign: held-out per-step accuracy ${(100 * accuracy!).toFixed(1)}%, loss ${loss!.toFixed(4)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
    await setBackend('wasm');
  }, 120_000);

  it('learns the sentiment set from token ids (embedding → SimpleRNN → Dense, on cpu), negations included: held-out accuracy 100%', async () => {
    // On cpu, where core's fused simpleRNN loops make 15 epochs quick (wasm trains it too: see backend-wasm's
    // embedding_grad.test.ts).
    await setBackend('cpu');
    const data = sentimentData({ samples: 1200, seqLength: 8, seed: 4 });
    const ids = (from: number, to: number) => tf.tensor2d(data.ids.subarray(from * 8, to * 8), [to - from, 8], 'int32');
    const labels = (from: number, to: number) => tf.tensor2d(data.y.subarray(from, to), [to - from, 1]);
    const train = { x: ids(0, 1000), y: labels(0, 1000) };
    const test = { x: ids(1000, 1200), y: labels(1000, 1200) };
    const model = sentimentModel({ cell: 'simpleRNN', hiddenSize: 32, outputSize: 1, seed: 4 });
    model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: 15, batchSize: 32, seed: 4 });
    const [loss, accuracy] = (await model.evaluate(test.x, test.y)) as number[];
    const negated = data.reviews.slice(1000).filter((r) => / not /.test(` ${r.text} `)).length;
    console.log(`sentiment (embedding): held-out accuracy ${(100 * accuracy!).toFixed(1)}% (${negated} of 200 negated), loss ${loss!.toFixed(4)}`);
    expect(negated).toBeGreaterThan(40);
    expect(accuracy).toBe(1);
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
    await setBackend('wasm');
  }, 120_000);
});
