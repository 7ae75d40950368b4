import * as tf from '@tensorflow/tfjs-core';
import { AdamUpdate, DTypeError, ShapeError, adamUpdateInputNames, setBackend } from '@basicrnn/core';
import { ADAM_TEST_ATTRS, tfjsAdamStep, trainWithAndWithoutAdamKernel, uniform } from '@basicrnn/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js';

// core's AdamUpdate on wasm (kernels/AdamUpdate.ts, assembly/rnn.ts adamUpdate): one SIMD pass per weight, all of a
// step's weights in one call, that must give bit for bit what tfjs's Adam ops give on this backend, whole vectors
// and a tail alike.

beforeAll(async () => {
  await setBackend('wasm');
});

const ATTRS = ADAM_TEST_ATTRS;

describe('AdamUpdate (wasm)', () => {
  it.each([[[1]], [[7]], [[3, 5]], [[33, 129]]])('matches tfjs\'s Adam ops bit for bit, shape %j', async (shape) => {
    const before = tf.memory().numTensors;
    const n = shape.reduce((a, d) => a * d, 1);
    const make = (seed: number, lo: number, hi: number) => tf.tensor(uniform(n, seed, lo, hi), shape);
    const [value, m, g] = [make(1, -2, 2), make(2, -0.5, 0.5), make(4, -3, 3)];
    const v = tf.tidy(() => tf.abs(make(3, 0, 0.2)));
    const got = tf.engine().runKernel(AdamUpdate, { value, m, v, gradient: g }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const want = tfjsAdamStep(value, m, v, g);
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
      want.push(...tfjsAdamStep(value, m, v, g));
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
    const { want, got, calls } = await trainWithAndWithoutAdamKernel('wasm', 3);
    expect(calls).toBe(3);
    expect(got).toEqual(want);
    expect(tf.memory().numTensors).toBe(before);
  });
});
