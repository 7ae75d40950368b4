import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, FiniteProbe, NonFiniteError, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { programsRunBy } from '../test/programs_run_by.js';

// core's FiniteProbe on webgl (kernels/finite_probe.ts): one program per 15 inputs that must say 0 when every
// element is finite and NaN when any is NaN or ±Inf, wherever it sits (last element of odd shapes included).

beforeAll(async () => {
  await setBackend('webgl');
  setFusedKernelsEnabled(true);
});
afterAll(() => setFusedKernelsEnabled(true));

const SHAPES = [[], [1], [7], [3, 5], [2, 3, 5], [33, 129], [2, 2, 3, 3]];

/**
 * Tensors of SHAPES (GPU-resident, packed), `bad` planted at element `at` of tensor `which`: −1 the last, −2 the
 * one at row 1, column 1 of the last two dimensions (the w lane of a texel; index 1 for rank 1).
 */
function tensorsWith(which: number | null, bad: number, at: number, count = SHAPES.length): tf.Tensor[] {
  return Array.from({ length: count }, (_, i) => {
    const shape = SHAPES[i % SHAPES.length]!;
    const n = shape.reduce((a, d) => a * d, 1);
    const data = uniform(n, 10 + i, -3, 3);
    const inner = shape.length >= 2 ? Math.min(shape.at(-1)! + 1, n - 1) : Math.min(1, n - 1);
    if (i === which) data[at === -2 ? inner : at === -1 ? n - 1 : at] = bad;
    return tf.tidy(() => tf.add(tf.tensor(data, shape), 0));
  });
}

async function probe(tensors: tf.Tensor[]): Promise<{ value: number; programs: string[] }> {
  const { result, programs } = await programsRunBy(() => {
    const inputs = Object.fromEntries(tensors.map((t, i) => [`t${i}`, t]));
    return tf.engine().runKernel(FiniteProbe, inputs, {}) as tf.Tensor;
  });
  expect(result.shape).toEqual([]);
  const value = (await result.data())[0]!;
  result.dispose();
  return { value, programs };
}

describe('FiniteProbe (webgl)', () => {
  it('is 0 for finite inputs of every rank, in ONE program', async () => {
    const before = tf.memory().numTensors;
    const tensors = tensorsWith(null, 0, 0);
    const { value, programs } = await probe(tensors);
    expect(value).toBe(0);
    expect(programs.filter((name) => name !== 'EncodeMatrixPackedProgram' && name !== 'PackProgram')).toEqual(['FiniteProbeProgram']);
    tf.dispose(tensors);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['NaN', NaN],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
  ])('is NaN for a %s at the first, an inner or the last element of any input', async (_, bad) => {
    const before = tf.memory().numTensors;
    for (let which = 0; which < SHAPES.length; which++) {
      for (const at of [0, -2, -1]) {
        const tensors = tensorsWith(which, bad, at);
        const { value } = await probe(tensors);
        expect(value, `input ${which} ${JSON.stringify(SHAPES[which])}, element ${at}`).toBeNaN();
        tf.dispose(tensors);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('more than 15 inputs: one program per 15, then one over their results; a NaN in the last input counts', async () => {
    const before = tf.memory().numTensors;
    const finite = tensorsWith(null, 0, 0, 20);
    const ok = await probe(finite);
    expect(ok.value).toBe(0);
    expect(ok.programs.filter((name) => name === 'FiniteProbeProgram')).toHaveLength(3);
    const nan = tensorsWith(19, NaN, -1, 20);
    expect((await probe(nan)).value).toBeNaN();
    tf.dispose([...finite, ...nan]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a training step checks its gradients with ONE probe program, and NaN data still stops it (NonFiniteError)', async () => {
    const before = tf.memory().numTensors;
    const model = new BasicRNN({ hiddenSize: 6, outputSize: 1, seed: 3 });
    model.build([3, 5, 4]);
    model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'meanSquaredError' });
    const data = uniform(3 * 5 * 4, 7, -1, 1);
    const x = tf.tensor(data, [3, 5, 4]);
    const y = tf.tensor(uniform(3, 8, -1, 1), [3, 1]);
    const { programs } = await programsRunBy(() => model.trainOnBatch(x, y));
    expect(programs.filter((name) => name === 'FiniteProbeProgram')).toHaveLength(1);
    data[data.length - 1] = NaN;
    const bad = tf.tensor(data, [3, 5, 4]);
    await expect(model.trainOnBatch(bad, y)).rejects.toThrow(NonFiniteError);
    tf.dispose([x, y, bad]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
