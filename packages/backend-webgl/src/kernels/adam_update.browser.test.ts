import * as tf from '@tensorflow/tfjs-core';
import { AdamUpdate, DTypeError, ShapeError, adamUpdateInputNames, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { ADAM_TEST_ATTRS, tfjsAdamStep, trainWithAndWithoutAdamKernel, uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { programsRunBy } from '../test/programs_run_by.js';

// core's AdamUpdate on webgl (kernels/adam_update.ts): three element-wise programs per weight that must give what
// tfjs's Adam ops give on this backend: the same float32 operations in the same order, bit for bit on SwiftShader
// (a GPU whose compiler fuses a product and a sum into one rounding could differ in the last bit).

beforeAll(async () => {
  await setBackend('webgl');
  setFusedKernelsEnabled(true);
});
afterAll(() => setFusedKernelsEnabled(true));

const ATTRS = ADAM_TEST_ATTRS;

/** Largest |a − b| / max(1, |b|) over two arrays. */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

describe('AdamUpdate (webgl)', () => {
  it.each([[[]], [[1]], [[7]], [[3, 5]], [[33, 129]], [[2, 3, 5]]])('matches tfjs\'s Adam ops on webgl bit for bit, shape %j', async (shape) => {
    const before = tf.memory().numTensors;
    const n = shape.reduce((a, d) => a * d, 1);
    const make = (seed: number, lo: number, hi: number) => tf.tensor(uniform(n, seed, lo, hi), shape);
    // The first element has g = v = 0, so v' = 0 and ε alone keeps the step finite.
    const zeroFirst = (data: Float32Array) => (n > 1 && (data[0] = 0), data);
    const [value, m] = [make(1, -2, 2), make(2, -0.5, 0.5)];
    const g = tf.tensor(zeroFirst(uniform(n, 4, -3, 3)), shape);
    const v = tf.tensor(zeroFirst(uniform(n, 3, 0, 0.2)), shape);
    const { result: got, programs } = await programsRunBy(
      () => tf.engine().runKernel(AdamUpdate, { value: value!, m: m!, v, gradient: g! }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[],
    );
    // CPU-resident inputs are uploaded first (EncodeMatrixPackedProgram); then one program per output.
    expect(programs.filter((name) => name !== 'EncodeMatrixPackedProgram')).toEqual(n === 0 ? [] : ['AdamUpdateProgram', 'AdamUpdateProgram', 'AdamUpdateProgram']);
    const want = tfjsAdamStep(value!, m!, v, g!);
    for (let k = 0; k < 3; k++) {
      expect(got[k]!.shape).toEqual(shape);
      expect(maxRelativeError(await got[k]!.data(), await want[k]!.data())).toBe(0);
    }
    expect(maxRelativeError(await got[0]!.data(), await value!.data())).toBeGreaterThan(1e-4);
    tf.dispose([value!, m!, v, g!, ...got, ...want]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('updates several weights of different shapes in one call (indexed inputs), each as tfjs\'s ops do, in order', async () => {
    const before = tf.memory().numTensors;
    const shapes = [[4, 6], [6], [1]];
    const weights = shapes.map((shape, i) => {
      const n = shape.reduce((a, d) => a * d, 1);
      return [uniform(n, 10 + i, -2, 2), uniform(n, 20 + i, -0.5, 0.5), uniform(n, 30 + i, 0, 0.2), uniform(n, 40 + i, -3, 3)].map((d) => tf.tensor(d, shape));
    });
    const inputs: tf.NamedTensorMap = {};
    weights.forEach(([value, m, v, g], i) => {
      const names = adamUpdateInputNames(i);
      Object.assign(inputs, { [names.value]: value!, [names.m]: m!, [names.v]: v!, [names.gradient]: g! });
    });
    const { result: got, programs } = await programsRunBy(() => tf.engine().runKernel(AdamUpdate, inputs, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[]);
    expect(got.length).toBe(9);
    expect(programs.filter((name) => name === 'AdamUpdateProgram').length).toBe(9);
    for (let i = 0; i < weights.length; i++) {
      const want = tfjsAdamStep(...(weights[i] as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]));
      for (let k = 0; k < 3; k++) {
        expect(got[3 * i + k]!.shape).toEqual(shapes[i]);
        expect(maxRelativeError(await got[3 * i + k]!.data(), await want[k]!.data())).toBe(0);
      }
      tf.dispose(want);
    }
    // A weight with a missing moment is refused before any program runs.
    const { m: m1 } = adamUpdateInputNames(1);
    const partial = { ...inputs };
    delete partial[m1];
    expect(() => tf.engine().runKernel(AdamUpdate, partial, ATTRS as unknown as tf.NamedAttrMap)).toThrow(new RegExp(`input ${m1} is missing`));
    tf.dispose([...weights.flat(), ...got]);
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

  it('a model compiled with adam trains as with tfjs\'s Adam on webgl: the same weights after 4 steps, bit for bit, one call per step (3 programs per weight)', async () => {
    const before = tf.memory().numTensors;
    const { want, got, calls } = await trainWithAndWithoutAdamKernel('webgl', 4);
    expect(calls).toBe(4);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(maxRelativeError(got[i]!, want[i]!)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
