import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, FiniteProbe, NonFiniteError, finiteProbeInputName, layers, sequential, setBackend } from '@basicrnn/core';
import { uniform } from '@basicrnn/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js';

// core's FiniteProbe on wasm (kernels/FiniteProbe.ts, assembly/rnn.ts finiteProbe): 0 when every element of every
// input is finite, NaN otherwise, whether the bad element is in a whole vector or in the tail.

beforeAll(async () => {
  await setBackend('wasm');
});

function probe(tensors: tf.Tensor[]): number {
  const inputs = Object.fromEntries(tensors.map((t, i) => [finiteProbeInputName(i), t]));
  const out = tf.engine().runKernel(FiniteProbe, inputs, {}) as tf.Tensor;
  expect(out.shape).toEqual([]);
  const [value] = out.dataSync();
  out.dispose();
  return value!;
}

describe('FiniteProbe (wasm)', () => {
  it.each([NaN, Infinity, -Infinity])('is NaN when one element of one input is %s, at any position; 0 otherwise', (bad) => {
    const before = tf.memory().numTensors;
    const sizes = [7, 1, 33, 4];
    for (const [k, n] of sizes.entries()) {
      for (const at of [0, n - 1, Math.floor(n / 2)]) {
        const values = sizes.map((m, j) => uniform(m, 10 * j + 1, -3, 3));
        const clean = values.map((v) => tf.tensor1d(v));
        expect(probe(clean)).toBe(0);
        values[k]![at] = bad;
        const dirty = values.map((v) => tf.tensor1d(v));
        expect(probe(dirty)).toBeNaN();
        tf.dispose([...clean, ...dirty]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is 0 for huge finite values and for empty inputs, and refuses int32 (DTypeError)', () => {
    const before = tf.memory().numTensors;
    const big = tf.tensor1d([3e38, -3e38, 1e-45, -0, 3e38]);
    const empty = tf.zeros([0, 3]);
    expect(probe([big, empty])).toBe(0);
    const ints = tf.zeros([4], 'int32');
    expect(() => probe([big, ints])).toThrow(DTypeError);
    tf.dispose([big, empty, ints]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a training step calls it once, and stops before the update when it reports NaN', async () => {
    const before = tf.memory().numTensors;
    const config = tf.getKernel(FiniteProbe, 'wasm')!;
    let calls = 0;
    let poisoned = false;
    tf.unregisterKernel(FiniteProbe, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        calls++;
        const out = config.kernelFunc(args) as tf.TensorInfo;
        if (poisoned) (args.backend as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(out)[0] = NaN;
        return out;
      },
    });
    const model = sequential({ layers: [layers.lstm({ units: 4 }), layers.dense({ units: 1 })], seed: 3 });
    const x = tf.tensor(uniform(2 * 3 * 2, 7, -1, 1), [2, 3, 2]);
    const y = tf.tensor2d([[0.5], [-0.5]]);
    try {
      model.build([2, 3, 2]);
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await model.trainOnBatch(x, y);
      expect(calls).toBe(1);
      const weights = await Promise.all(model.trainableVariables().map(async (w) => Array.from(await w.data())));
      poisoned = true;
      await expect(model.trainOnBatch(x, y)).rejects.toThrow(NonFiniteError);
      expect(calls).toBe(2);
      const after = await Promise.all(model.trainableVariables().map(async (w) => Array.from(await w.data())));
      expect(after).toEqual(weights);
    } finally {
      tf.unregisterKernel(FiniteProbe, 'wasm');
      tf.registerKernel(config);
      model.dispose();
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
