// clipNorm and clipValue through the public API: two models with the same seed take one SGD step with learning
// rate 1, one unclipped (its weight change is −g for each weight) and one clipped; the clipped model's change must be
// −clip(g), with clip computed here in float64 (Keras: per-tensor g·c / max(‖g‖, c); elementwise clip to ±v).
// The thresholds are picked between the weights' gradient sizes so both sides of each clip are exercised.
// Core and tfjs-core only.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BasicRNN, type CompileConfig, WEIGHT_NAMES } from '../index.js';

const x = tf.tensor3d(
  Array.from({ length: 4 * 5 * 3 }, (_, i) => Math.sin(1.7 * i) * 1.5),
  [4, 5, 3],
);
const y = tf.tensor2d([[1], [-2], [0.5], [3]]);

/** Each weight's change (flat, float64) after one trainOnBatch with `config` (SGD, learning rate 1). */
async function oneStepChange(config: Partial<CompileConfig>): Promise<number[][]> {
  const model = new BasicRNN({ hiddenSize: 6, outputSize: 1, seed: 11 });
  model.compile({ optimizer: 'sgd', learningRate: 1, loss: 'meanSquaredError', ...config });
  model.build([4, 5, 3]);
  const before = model.getWeights().map((w) => {
    const v = Array.from(w.dataSync());
    w.dispose();
    return v;
  });
  await model.trainOnBatch(x, y);
  const after = model.getWeights().map((w) => {
    const v = Array.from(w.dataSync());
    w.dispose();
    return v;
  });
  model.dispose();
  return after.map((a, i) => a.map((v, j) => v - before[i]![j]!));
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, e) => s + e * e, 0));

/** |a − b| ≤ 1e-5·max|b| + 1e-6 elementwise: float32 weights read back around a step of this size. */
function expectClose(got: number[][], want: number[][]): void {
  got.forEach((row, i) => {
    const scale = Math.max(...want[i]!.map(Math.abs));
    row.forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThanOrEqual(1e-5 * scale + 1e-6));
  });
}

describe('gradient clipping (Keras clipnorm / clipvalue)', () => {
  it('clipNorm scales each weight\'s gradient whose L2 norm exceeds it down to that norm, and leaves the rest', async () => {
    const grads = (await oneStepChange({})).map((d) => d.map((v) => -v));
    const norms = grads.map(norm);
    // a threshold with weights on both sides of it
    const sorted = [...norms].sort((a, b) => a - b);
    const c = Math.sqrt(sorted[0]! * sorted[sorted.length - 1]!);
    expect(norms.some((n) => n > 1.2 * c)).toBe(true);
    expect(norms.some((n) => n < c / 1.2)).toBe(true);
    const want = grads.map((g, i) => g.map((v) => (-v * c) / Math.max(norms[i]!, c)));
    const got = await oneStepChange({ clipNorm: c });
    expectClose(got, want);
    // the clipped weights' steps have norm c exactly; the others are unchanged
    got.forEach((d, i) => expect(norm(d)).toBeCloseTo(Math.min(norms[i]!, c), 5));
  });

  it('clipValue clips every gradient element to [−v, v] and leaves smaller ones', async () => {
    const grads = (await oneStepChange({})).map((d) => d.map((v) => -v));
    const magnitudes = grads.flat().map(Math.abs).sort((a, b) => a - b);
    const v = magnitudes[Math.floor(magnitudes.length / 2)]!;
    const want = grads.map((g) => g.map((e) => -Math.min(Math.max(e, -v), v)));
    const got = await oneStepChange({ clipValue: v });
    expectClose(got, want);
    // about half the elements sit at ±v
    const atBound = got.flat().filter((e) => Math.abs(Math.abs(e) - v) < 1e-6 * v).length;
    expect(atBound).toBeGreaterThan(magnitudes.length / 3);
  });

  it('no clipping changes nothing: a huge clipNorm / clipValue gives the unclipped step', async () => {
    const plain = await oneStepChange({});
    expectClose(await oneStepChange({ clipNorm: 1e6 }), plain);
    expectClose(await oneStepChange({ clipValue: 1e6 }), plain);
    expect(plain).toHaveLength(WEIGHT_NAMES.length);
  });
});
