import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BasicRNN, setBackend } from '@basicrnn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js';

// The wasm Identity this package registers in place of tfjs's (kernels/Identity.ts): a clone shares its input's heap
// buffer by reference count, and each tensor still lives and dies on its own.

beforeAll(async () => {
  await setBackend('wasm');
});

describe('Identity (wasm, shared buffer)', () => {
  it('clones without a new heap buffer, and either tensor outlives the other', () => {
    const backend = tf.backend() as BackendWasm;
    const buffers = backend.numDataIds();
    const bytes = tf.memory().numBytes;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    const z = tf.clone(y);
    y.dispose();
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    z.dispose();
    expect(backend.numDataIds()).toBe(buffers);
    expect(tf.memory().numBytes).toBe(bytes);
  });

  it('keeps int32, bool and string values and dtypes', () => {
    const a = tf.tensor1d([1, -2, 3], 'int32');
    const b = tf.tensor1d([true, false], 'bool');
    const s = tf.tensor1d(['x', 'yz']);
    const [ca, cb, cs] = [a, b, s].map((t) => tf.clone(t)) as [tf.Tensor, tf.Tensor, tf.Tensor];
    tf.dispose([a, b, s]);
    expect([ca.dtype, cb.dtype, cs.dtype]).toEqual(['int32', 'bool', 'string']);
    expect(Array.from(ca.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(cb.dataSync())).toEqual([1, 0]);
    expect(cs.arraySync()).toEqual(['x', 'yz']);
    tf.dispose([ca, cb, cs]);
  });

  it('a variable assigned a clone and the clone\'s source disposed keep the values', () => {
    const v = tf.variable(tf.zeros([3]));
    const src = tf.tensor1d([7, 8, 9]);
    v.assign(tf.clone(src));
    src.dispose();
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    v.dispose();
  });

  it('training runs with the states saved for the backward shared, not copied, and leaks nothing', async () => {
    const model = new BasicRNN({ cell: 'lstm', hiddenSize: 8, outputSize: 1, seed: 3 });
    model.compile({ optimizer: 'adam', learningRate: 1e-2, loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 6, 3], 0, 1, 'float32', 1);
    const y = tf.randomNormal([4, 1], 0, 1, 'float32', 2);
    const first = (await model.trainOnBatch(x, y)) as number;
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 30; i++) last = (await model.trainOnBatch(x, y)) as number;
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    model.dispose();
    tf.dispose([x, y]);
  });
});
