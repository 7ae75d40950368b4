import * as tf from '@tensorflow/tfjs-core';
import { AdamUpdate, DTypeError, ShapeError, adamUpdateInputNames, layers, sequential, setBackend } from '@basicrnn/core';
import { uniform } from '@basicrnn/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js';

// core's AdamUpdate on wasm (kernels/AdamUpdate.ts, assembly/rnn.ts adamUpdate): one SIMD pass per weight, all of a
// step's weights in one call, that must give bit for bit what tfjs's Adam ops give on this backend, whole vectors
// and a tail alike.

beforeAll(async () => {
  await setBackend('wasm');
});

const ATTRS = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, c1: Math.fround(1 - 0.9 ** 3), c2: Math.fround(1 - 0.999 ** 3) };

/** tfjs's Adam step (adam_optimizer.js), as its ops: [value', m', v']. */
function tfjsAdam(value: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, ATTRS.beta1), tf.mul(g, 1 - ATTRS.beta1));
    const v1 = tf.add(tf.mul(v, ATTRS.beta2), tf.mul(tf.square(g), 1 - ATTRS.beta2));
    const mh = tf.div(m1, tf.scalar(ATTRS.c1));
    const vh = tf.div(v1, tf.scalar(ATTRS.c2));
    return [tf.add(tf.mul(tf.div(mh, tf.add(tf.sqrt(vh), ATTRS.epsilon)), -ATTRS.learningRate), value), m1, v1];
  });
}

describe('AdamUpdate (wasm)', () => {
  it.each([[[1]], [[7]], [[3, 5]], [[33, 129]]])('matches tfjs\'s Adam ops bit for bit, shape %j', async (shape) => {
    const before = tf.memory().numTensors;
    const n = shape.reduce((a, d) => a * d, 1);
    const make = (seed: number, lo: number, hi: number) => tf.tensor(uniform(n, seed, lo, hi), shape);
    const [value, m, g] = [make(1, -2, 2), make(2, -0.5, 0.5), make(4, -3, 3)];
    const v = tf.tidy(() => tf.abs(make(3, 0, 0.2)));
    const got = tf.engine().runKernel(AdamUpdate, { value, m, v, gradient: g }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const want = tfjsAdam(value, m, v, g);
    for (let k = 0; k < 3; k++) {
      expect(got[k]!.shape).toEqual(shape);
      expect(Array.from(await got[k]!.data())).toEqual(Array.from(await want[k]!.data()));
    }
    expect(Array.from(await got[0]!.data())).not.toEqual(Array.from(await value.data()));
    tf.dispose([value, m, v, g, ...got, ...want]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('updates several weights of different shapes in one call, in order, bit for bit', async () => {
    const before = tf.memory().numTensors;
    const shapes = [[7], [3, 5], [1], [33, 9]];
    const inputs: tf.NamedTensorMap = {};
    const want: tf.Tensor[] = [];
    shapes.forEach((shape, i) => {
      const n = shape.reduce((a, d) => a * d, 1);
      const make = (seed: number, lo: number, hi: number) => tf.tensor(uniform(n, 10 * i + seed, lo, hi), shape);
      const names = adamUpdateInputNames(i);
      const [value, m, g] = [make(1, -2, 2), make(2, -0.5, 0.5), make(4, -3, 3)];
      const v = tf.tidy(() => tf.abs(make(3, 0, 0.2)));
      Object.assign(inputs, { [names.value]: value, [names.m]: m, [names.v]: v, [names.gradient]: g });
      want.push(...tfjsAdam(value, m, v, g));
    });
    const got = tf.engine().runKernel(AdamUpdate, inputs, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
    expect(got.length).toBe(3 * shapes.length);
    for (let k = 0; k < got.length; k++) {
      expect(got[k]!.shape).toEqual(shapes[Math.floor(k / 3)]);
      expect(Array.from(await got[k]!.data())).toEqual(Array.from(await want[k]!.data()));
    }
    tf.dispose([...Object.values(inputs), ...got, ...want]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a later weight of the indexed form with a gradient of another shape, before making any output', () => {
    const before = tf.memory().numTensors;
    const t = () => tf.zeros([4]);
    const inputs = { value0: t(), m0: t(), v0: t(), gradient0: t(), value1: t(), m1: t(), v1: t(), gradient1: tf.zeros([5]) };
    expect(() => tf.engine().runKernel(AdamUpdate, inputs, ATTRS as unknown as tf.NamedAttrMap)).toThrow(ShapeError);
    tf.dispose(Object.values(inputs));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a gradient of another shape (ShapeError) or dtype (DTypeError)', () => {
    const before = tf.memory().numTensors;
    const [value, m, v] = [tf.zeros([4]), tf.zeros([4]), tf.zeros([4])];
    const run = (gradient: tf.Tensor) => () => tf.engine().runKernel(AdamUpdate, { value, m, v, gradient }, ATTRS as unknown as tf.NamedAttrMap);
    const short = tf.zeros([3]);
    const ints = tf.zeros([4], 'int32');
    expect(run(short)).toThrow(ShapeError);
    expect(run(ints)).toThrow(DTypeError);
    tf.dispose([value, m, v, short, ints]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a model compiled with adam trains as with tfjs\'s ops: the same weights after 3 steps, bit for bit, one call per step', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor(uniform(3 * 5 * 4, 7, -1, 1), [3, 5, 4]);
    const y = tf.tensor(uniform(3, 8, -1, 1), [3, 1]);
    const train = async (): Promise<number[][]> => {
      const model = sequential({ layers: [layers.lstm({ units: 6 }), layers.dense({ units: 1 })], seed: 3 });
      model.build([3, 5, 4]);
      model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'meanSquaredError' });
      for (let s = 0; s < 3; s++) await model.trainOnBatch(x, y);
      const out = await Promise.all(model.trainableVariables().map(async (w) => Array.from(await w.data())));
      model.dispose();
      return out;
    };
    const config = tf.getKernel(AdamUpdate, 'wasm')!;
    let calls = 0;
    tf.unregisterKernel(AdamUpdate, 'wasm');
    let want: number[][];
    try {
      want = await train();
    } finally {
      tf.registerKernel({ ...config, kernelFunc: (args) => (calls++, config.kernelFunc(args)) });
    }
    let got: number[][];
    try {
      got = await train();
    } finally {
      tf.unregisterKernel(AdamUpdate, 'wasm');
      tf.registerKernel(config);
    }
    expect(calls).toBe(3);
    expect(got).toEqual(want);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
