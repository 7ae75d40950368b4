import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackendError,
  BasicRNN,
  BasicRNNError,
  ConfigError,
  DTypeError,
  DisposedError,
  NotBuiltError,
  ShapeError,
  WeightsError,
  getBackend,
  listBackends,
  setBackend,
} from './index.js';

/** Asserts `fn` throws `type` with a message matching `pattern`, and that no tensor leaked. */
function expectTypedError(fn: () => unknown, type: new (...args: never[]) => Error, pattern: RegExp): void {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(type);
  expect(caught).toBeInstanceOf(BasicRNNError);
  expect((caught as Error).message).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

describe('BasicRNN', () => {
  let model: BasicRNN;
  beforeEach(() => {
    model = new BasicRNN({ hiddenSize: 64, outputSize: 1, seed: 7 });
  });
  afterEach(() => model.dispose());

  it('starts on cpu after import', () => {
    expect(getBackend()).toBe('cpu');
    expect(listBackends()).toContain('cpu');
  });

  it('builds, runs the forward pass and returns the Keras shapes', () => {
    model.build([null, 20, 10]);
    const x = tf.randomNormal([32, 20, 10]);
    const { output, state, hiddenStates } = model.call(x);
    expect(output.shape).toEqual([32, 1]);
    expect(state.shape).toEqual([32, 64]);
    expect(hiddenStates).toBeUndefined();
    tf.dispose([x, output, state]);
  });

  it('returnSequences applies the head to every step and returns all hidden states on request', () => {
    const seq = new BasicRNN({ hiddenSize: 8, outputSize: 3, returnSequences: true, seed: 1 });
    const x = tf.randomNormal([2, 5, 4]);
    const { output, state, hiddenStates } = seq.call(x, { returnHiddenStates: true });
    expect(output.shape).toEqual([2, 5, 3]);
    expect(state.shape).toEqual([2, 8]);
    expect(hiddenStates!.shape).toEqual([2, 5, 8]);
    // The final state is the last hidden state.
    const last = tf.slice(hiddenStates!, [0, 4, 0], [2, 1, 8]);
    expect(Array.from(last.dataSync())).toEqual(Array.from(state.dataSync()));
    tf.dispose([x, output, state, hiddenStates!, last]);
    seq.dispose();
  });

  it('builds on first call, as Keras, accepting any batch and sequence length', () => {
    const x1 = tf.zeros([3, 7, 5]);
    const x2 = tf.zeros([1, 30, 5]);
    const a = model.predict(x1);
    const b = model.predict(x2);
    expect(model.inputSize).toBe(5);
    expect(a.shape).toEqual([3, 1]);
    expect(b.shape).toEqual([1, 1]);
    tf.dispose([x1, x2, a, b]);
  });

  it('counts parameters as H·(I+H+1) + O·(H+1), and without biases', () => {
    model.build([null, 20, 10]);
    expect(model.countParams()).toBe(64 * (10 + 64 + 1) + 1 * (64 + 1));
    const noBias = new BasicRNN({ hiddenSize: 64, outputSize: 2, useBias: false, seed: 1 });
    noBias.build([null, null, 10]);
    expect(noBias.countParams()).toBe(64 * (10 + 64) + 2 * 64);
    expect(noBias.getWeights().map((w) => w.shape)).toEqual([[10, 64], [64, 64], [64, 2]]);
    noBias.dispose();
  });

  it('prints the Keras summary table', () => {
    model.build([null, 20, 10]);
    const lines: string[] = [];
    const text = model.summary({ printFn: (l) => lines.push(l) });
    expect(lines.join('\n')).toBe(text);
    expect(text).toMatch(/^Model: "basic_rnn(_\d+)?"$/m);
    expect(text).toMatch(/^ Layer \(type\)\s+Output Shape\s+Param #$/m);
    expect(text).toMatch(/^ simple_rnn \(SimpleRNN\)\s+\(None, 64\)\s+4,800$/m);
    expect(text).toMatch(/^ dense \(Dense\)\s+\(None, 1\)\s+65$/m);
    expect(text).toMatch(/^Total params: 4,865$/m);
    expect(text).toMatch(/^Trainable params: 4,865$/m);
    expect(text).toMatch(/^Non-trainable params: 0$/m);
    // Columns line up under their headers, at Keras's positions for a 65-character table.
    const header = text.split('\n').find((l) => l.startsWith(' Layer (type)'))!;
    const rnnRow = text.split('\n').find((l) => l.startsWith(' simple_rnn'))!;
    expect(header.indexOf('Output Shape')).toBe(29);
    expect(rnnRow.indexOf('(None, 64)')).toBe(29);
    expect(header.indexOf('Param #')).toBe(55);
    expect(rnnRow.indexOf('4,800')).toBe(55);
    const seq = new BasicRNN({ hiddenSize: 64, outputSize: 1, returnSequences: true, seed: 1 });
    seq.build([null, 20, 10]);
    expect(seq.summary({ printFn: () => {} })).toMatch(/\(None, 20, 64\)[\s\S]*\(None, 20, 1\)/);
    seq.dispose();
  });

  it('round-trips weights in Keras order, and setWeights builds an unbuilt model without initialising', () => {
    model.build([null, 20, 10]);
    const weights = model.getWeights();
    expect(weights.map((w) => w.shape)).toEqual([[10, 64], [64, 64], [64], [64, 1], [1]]);
    const other = new BasicRNN({ hiddenSize: 64, outputSize: 1, seed: 99 });
    other.setWeights(weights);
    expect(other.inputSize).toBe(10);
    const x = tf.randomNormal([4, 20, 10]);
    const a = model.predict(x);
    const b = other.predict(x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([...weights, x, a, b]);
    other.dispose();
  });

  it('predict in batches equals one pass', () => {
    const x = tf.randomNormal([10, 6, 3]);
    const whole = model.predict(x, { batchSize: 64 });
    const batched = model.predict(x, { batchSize: 3 });
    expect(batched.shape).toEqual([10, 1]);
    const diff = tf.max(tf.abs(tf.sub(whole, batched)));
    expect(diff.dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, whole, batched, diff]);
  });

  it('is differentiable inside tf.grad', () => {
    const x = tf.randomNormal([2, 4, 3]);
    const dx = tf.grad((input: tf.Tensor) => {
      const { output, state } = model.call(input);
      return tf.add(tf.sum(output), tf.sum(state));
    })(x);
    expect(dx.shape).toEqual([2, 4, 3]);
    expect(Number.isFinite(tf.sum(tf.abs(dx)).dataSync()[0]!)).toBe(true);
    tf.dispose([x, dx]);
  });

  it('mask carries the state over skipped steps', () => {
    const m = new BasicRNN({ hiddenSize: 4, outputSize: 1, returnSequences: true, seed: 2 });
    const x = tf.randomNormal([1, 4, 2]);
    const mask = tf.tensor2d([[1, 0, 0, 1]], [1, 4], 'bool');
    const { output, state, hiddenStates } = m.call(x, { mask, returnHiddenStates: true });
    const hs = hiddenStates!.arraySync()[0]!;
    expect(hs[1]).toEqual(hs[0]);
    expect(hs[2]).toEqual(hs[0]);
    expect(hs[3]).not.toEqual(hs[0]);
    tf.dispose([x, mask, output, state, hiddenStates!]);
    m.dispose();
  });
});

describe('bad input: typed errors naming argument, expected and received; nothing leaks', () => {
  let model: BasicRNN;
  beforeEach(() => {
    model = new BasicRNN({ hiddenSize: 8, outputSize: 2, seed: 1 });
    model.build([null, 5, 3]);
  });
  afterEach(() => model.dispose());

  it('rank ≠ 3', () => {
    const x = tf.zeros([4, 3]);
    expectTypedError(() => model.call(x), ShapeError, /call\(x\): expected rank 3, received rank 2 \(shape \[4,3\]\)/);
    expectTypedError(() => model.predict(x), ShapeError, /predict\(x\): expected rank 3/);
    x.dispose();
  });

  it('input size other than the built one', () => {
    const x = tf.zeros([2, 5, 4]);
    expectTypedError(() => model.call(x), ShapeError, /expected inputSize 3 .*received shape \[2,5,4\]/);
    x.dispose();
  });

  it('sequence length other than a fixed built one', () => {
    const x = tf.zeros([2, 6, 3]);
    expectTypedError(() => model.call(x), ShapeError, /built for sequence length 5, received shape \[2,6,3\]/);
    x.dispose();
  });

  it('initialState of the wrong shape', () => {
    const x = tf.zeros([2, 5, 3]);
    const h = tf.zeros([2, 9]);
    const h3 = tf.zeros([2, 8, 1]);
    expectTypedError(() => model.call(x, { initialState: h }), ShapeError, /initialState.*expected shape \[2,8\].*received \[2,9\]/);
    expectTypedError(() => model.call(x, { initialState: h3 }), ShapeError, /initialState.*expected rank 2, received rank 3/);
    tf.dispose([x, h, h3]);
  });

  it('non-float dtype', () => {
    const x = tf.zeros([2, 5, 3], 'int32');
    const h = tf.zeros([2, 8], 'int32');
    const xf = tf.zeros([2, 5, 3]);
    expectTypedError(() => model.call(x), DTypeError, /call\(x\): expected dtype float32, received int32/);
    expectTypedError(() => model.call(xf, { initialState: h }), DTypeError, /initialState.*float32, received int32/);
    tf.dispose([x, h, xf]);
  });

  it('not a tensor at all', () => {
    expectTypedError(() => model.call([[[1]]] as unknown as tf.Tensor), ShapeError, /call\(x\): expected a rank-3 float32 tensor, received \[object Array\]|received \[\[/);
  });

  it('non-positive or non-integer sizes, unknown activation', () => {
    expectTypedError(() => new BasicRNN({ hiddenSize: 0, outputSize: 1 }), ConfigError, /hiddenSize: expected a positive integer, received 0/);
    expectTypedError(() => new BasicRNN({ hiddenSize: 2.5, outputSize: 1 }), ConfigError, /hiddenSize: expected a positive integer, received 2.5/);
    expectTypedError(() => new BasicRNN({ hiddenSize: 4, outputSize: -1 }), ConfigError, /outputSize: expected a positive integer, received -1/);
    expectTypedError(
      () => new BasicRNN({ hiddenSize: 4, outputSize: 1, activation: 'gelu' as 'tanh' }),
      ConfigError,
      /activation: expected one of 'tanh', 'relu', 'sigmoid', 'linear', received "gelu"/,
    );
    const fresh = new BasicRNN({ hiddenSize: 4, outputSize: 1 });
    expectTypedError(() => fresh.build([null, 0, 3] as unknown as [null, number, number]), ConfigError, /seqLength\): expected a positive integer, received 0/);
    expectTypedError(() => fresh.build([null, 3] as unknown as [null, number, number]), ShapeError, /expected \[batch, seqLength, inputSize\] \(rank 3\), received \[null,3\]/);
    fresh.dispose();
  });

  it('setWeights with the wrong count or shapes changes nothing', () => {
    const weights = model.getWeights();
    const before = model.getWeights();
    expectTypedError(() => model.setWeights(weights.slice(0, 4)), WeightsError, /expected 5 tensors \(kernel, recurrentKernel, bias, denseKernel, denseBias\), received 4/);
    const wrong = tf.zeros([8, 3]);
    const swapped = [weights[0]!, weights[1]!, weights[2]!, wrong, weights[4]!];
    expectTypedError(() => model.setWeights(swapped), WeightsError, /weights\[3\] denseKernel\): expected shape \[8,2\], received \[8,3\]/);
    const after = model.getWeights();
    after.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!.dataSync())));
    tf.dispose([...weights, ...before, ...after, wrong]);
  });

  it('summary(), getWeights() and countParams() before the model is built', () => {
    const fresh = new BasicRNN({ hiddenSize: 4, outputSize: 1 });
    expectTypedError(() => fresh.summary(), NotBuiltError, /summary\(\): the model is not built yet/);
    expectTypedError(() => fresh.getWeights(), NotBuiltError, /getWeights\(\): the model is not built yet/);
    expectTypedError(() => fresh.countParams(), NotBuiltError, /countParams\(\)/);
    fresh.dispose();
  });

  it('a disposed model refuses work', () => {
    const m = new BasicRNN({ hiddenSize: 4, outputSize: 1 });
    m.dispose();
    const x = tf.zeros([1, 2, 3]);
    expectTypedError(() => m.call(x), DisposedError, /was disposed/);
    x.dispose();
  });

  it('unknown backend name rejects with a typed error and leaves the previous backend active', async () => {
    const before = tf.memory().numTensors;
    await expect(setBackend('tpu')).rejects.toBeInstanceOf(BackendError);
    await expect(setBackend('tpu')).rejects.toThrow(/unknown backend "tpu"; registered backends: .*cpu/);
    await expect(setBackend('webgl')).rejects.toThrow(/import '@basicrnn\/backend-webgl' first/);
    await expect(setBackend(42 as unknown as string)).rejects.toBeInstanceOf(ConfigError);
    expect(getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
  });
});
