import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import { FiniteProbe, finiteProbe, finiteProbeInputName } from './finite_probe.js';

// The training step's check of its gradients (finite_probe.ts): tfjs's ops, or one backend kernel call.

const read = (t: tf.Tensor): number => {
  const [v] = t.dataSync();
  t.dispose();
  return v!;
};

describe('finiteProbe', () => {
  it.each([NaN, Infinity, -Infinity])('is NaN when one element is %s, 0 when all are finite (tfjs ops)', (bad) => {
    const before = tf.memory().numTensors;
    const a = tf.tensor1d([1, -2, 3e38]);
    const b = tf.tensor2d([[0.5, -0], [7, 1e-45]]);
    expect(read(finiteProbe([a, b]))).toBe(0);
    const c = tf.tensor2d([[0.5, bad], [7, 1]]);
    expect(read(finiteProbe([a, c]))).toBeNaN();
    expect(read(finiteProbe([]))).toBe(0);
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('makes one FiniteProbe kernel call for all tensors where the backend registers one', () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    tf.registerKernel({
      kernelName: FiniteProbe,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const cpu = backend as unknown as { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
        let sum = 0;
        for (let i = 0; inputs[finiteProbeInputName(i)] !== undefined; i++) {
          const values = cpu.data.get(inputs[finiteProbeInputName(i)]!.dataId).values;
          seen.push(values.length);
          for (const v of values) sum += v * 0;
        }
        return cpu.makeTensorInfo([], 'float32', new Float32Array([sum]));
      },
    });
    try {
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.tensor1d([4, Infinity]);
      expect(read(finiteProbe([a, b]))).toBeNaN();
      expect(seen).toEqual([3, 2]);
      tf.dispose([a, b]);
    } finally {
      tf.unregisterKernel(FiniteProbe, 'cpu');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
