import * as tf from '@tensorflow/tfjs-core';
import { layers, sequential, setBackend } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import './index.js';

// tfjs-backend-wasm has no UnsortedSegmentSum kernel, which the gather (embedding) gradient uses elsewhere: core's
// gradient falls back to one-hot rows times dy. An embedding model must train on wasm with cpu's gradients.
describe('embedding gradients on wasm', () => {
  afterAll(() => setBackend('cpu'));

  async function gradients(backend: 'cpu' | 'wasm'): Promise<number[][]> {
    await setBackend(backend);
    const model = sequential({
      layers: [layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true }), layers.gru({ units: 3 }), layers.dense({ units: 2 })],
      seed: 11,
    });
    const ids = tf.tensor2d([[3, 1, 8, 3, 0], [5, 5, 2, 0, 0], [1, 7, 7, 6, 4]], [3, 5], 'int32');
    model.build([null, 5]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.call(ids) as tf.Tensor)) as tf.Scalar, model.trainableVariables());
    const out = await Promise.all(Object.values(grads).map(async (g) => Array.from(await g.data())));
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    ids.dispose();
    model.dispose();
    return out;
  }

  it('trains through the embedding with the same gradients as cpu (within 1e-5)', async () => {
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect(wasm.length).toBe(cpu.length);
    cpu.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(wasm[i]![j]! - v)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(v))));
    // The embedding's gradient is non-zero exactly on the ids that occur (0 is masked padding but still looked up).
    const embedding = cpu[0]!;
    const used = new Set([3, 1, 8, 5, 2, 7, 6, 4, 0]);
    for (let row = 0; row < 9; row++) {
      const norm = embedding.slice(row * 4, row * 4 + 4).reduce((a, b) => a + Math.abs(b), 0);
      if (!used.has(row)) expect(norm).toBe(0);
    }
  });
});
