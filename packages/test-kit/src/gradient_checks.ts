import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, type LossName, type OutputActivation, opGradientConfigs, rnnSequenceGradConfig } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { uniform } from './data.js';

/** Every gradient core registers: the recurrence op's and the tfjs kernels' it runs through. */
function coreGradients(): Map<string, tf.GradConfig> {
  return new Map([rnnSequenceGradConfig, ...opGradientConfigs()].map((c) => [c.kernelName, c]));
}

/**
 * Throws unless every gradient core carries is the registered one. Loading `@tensorflow/tfjs` (tfjs-layers'
 * oracle) first registers tfjs's gradients, and core then keeps them: a test file that loads it must not run
 * parity checks of gradients, and vitest must run it in its own process (node: `pool: 'forks'`, one process
 * per file; Chromium: one iframe per file).
 */
export function expectCoreGradientsActive(): void {
  const replaced = [...coreGradients().values()]
    .filter((c) => tf.getGradient(c.kernelName)?.gradFunc !== c.gradFunc)
    .map((c) => c.kernelName);
  expect(replaced, `kernels whose active gradient is not core's (was @tensorflow/tfjs loaded in this process?)`).toEqual([]);
}

const PROFILED: { loss: LossName; head: OutputActivation }[] = [
  { loss: 'meanSquaredError', head: 'linear' },
  { loss: 'meanAbsoluteError', head: 'linear' },
  { loss: 'huber', head: 'linear' },
  { loss: 'binaryCrossentropy', head: 'linear' },
  { loss: 'binaryCrossentropy', head: 'sigmoid' },
  { loss: 'categoricalCrossentropy', head: 'linear' },
  { loss: 'categoricalCrossentropy', head: 'softmax' },
  { loss: 'sparseCategoricalCrossentropy', head: 'softmax' },
];

/**
 * For the current path: every kernel a training step runs, under every loss and head, has core's gradient or
 * none at all (never another package's), and the kernels that need one have core's.
 */
export function activeGradientTests(): void {
  it("every gradient core registers is the active one (no @tensorflow/tfjs in this process)", () => {
    expectCoreGradientsActive();
  });

  it("a training step under every loss runs only kernels whose gradient is core's", async () => {
    const ours = coreGradients();
    const seen = new Set<string>();
    for (const p of PROFILED) {
      // The training cases' shape (training_parity.ts), so webgl reuses its compiled shaders.
      const model = new BasicRNN({ hiddenSize: 5, outputSize: 3, outputActivation: p.head, seed: 4 });
      model.build([null, 5, 3]);
      model.compile({ optimizer: 'sgd', loss: p.loss, metrics: [] });
      const x = tf.tensor3d(uniform(60, 3), [4, 5, 3]);
      const y =
        p.loss === 'sparseCategoricalCrossentropy'
          ? tf.tensor1d([0, 2, 1, 2])
          : tf.tensor2d([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1], [4, 3]);
      const info = await tf.profile(async () => {
        await model.trainOnBatch(x, y);
        return [];
      });
      for (const k of info.kernels) seen.add(k.name);
      tf.dispose([x, y]);
      model.dispose();
    }
    const foreign = [...seen].filter((name) => {
      const active = tf.getGradient(name);
      return active !== undefined && active.gradFunc !== ours.get(name)?.gradFunc;
    });
    expect(foreign, 'kernels run by training whose active gradient is not core').toEqual([]);
    // The step did differentiate through core's gradients: the matmul of the head, and a loss kernel.
    expect(seen.has(tf.BatchMatMul)).toBe(true);
    expect(seen.has(tf.Mean)).toBe(true);
  });
}

interface OpInput {
  values: number[] | Float32Array;
  shape: number[];
  /** Integer inputs (indices) are held fixed and not differentiated. */
  dtype?: 'int32';
}

interface OpCase {
  kernel: string;
  variant?: string;
  inputs: OpInput[];
  run: (...xs: tf.Tensor[]) => tf.Tensor;
}

const f = (n: number, seed: number, lo = -1, hi = 1) => uniform(n, seed, lo, hi);
/** Values at least `gap` away from the kinks at 0 (relu, abs) so a central difference is a derivative. */
const awayFromZero = (n: number, seed: number, gap = 0.1) => f(n, seed).map((v) => (v >= 0 ? v + gap : v - gap));
/** b = a ± (0.1..0.5): maximum/minimum are smooth away from a = b. */
const separated = (a: Float32Array, seed: number) => a.map((v, i) => v + (i % 2 === 0 ? 1 : -1) * (0.1 + 0.4 * f(a.length, seed, 0, 1)[i]!));

const A = f(6, 1);
const OP_CASES: OpCase[] = [
  { kernel: tf.Add, inputs: [{ values: A, shape: [2, 3] }, { values: f(3, 2), shape: [3] }], run: (a, b) => tf.add(a!, b!) },
  { kernel: tf.Sub, inputs: [{ values: A, shape: [2, 3] }, { values: f(2, 3), shape: [2, 1] }], run: (a, b) => tf.sub(a!, b!) },
  { kernel: tf.Multiply, inputs: [{ values: A, shape: [2, 3] }, { values: f(3, 4), shape: [1, 3] }], run: (a, b) => tf.mul(a!, b!) },
  { kernel: tf.RealDiv, inputs: [{ values: A, shape: [2, 3] }, { values: f(3, 5, 0.5, 2), shape: [3] }], run: (a, b) => tf.div(a!, b!) },
  { kernel: tf.SquaredDifference, inputs: [{ values: A, shape: [2, 3] }, { values: f(3, 6), shape: [3] }], run: (a, b) => tf.squaredDifference(a!, b!) },
  { kernel: tf.Maximum, inputs: [{ values: A, shape: [2, 3] }, { values: separated(A, 7), shape: [2, 3] }], run: (a, b) => tf.maximum(a!, b!) },
  { kernel: tf.Minimum, inputs: [{ values: A, shape: [2, 3] }, { values: separated(A, 8), shape: [2, 3] }], run: (a, b) => tf.minimum(a!, b!) },
  { kernel: tf.BatchMatMul, variant: 'a·b', inputs: [{ values: f(6, 9), shape: [2, 3] }, { values: f(12, 10), shape: [3, 4] }], run: (a, b) => tf.matMul(a!, b!) },
  { kernel: tf.BatchMatMul, variant: 'a·bᵀ', inputs: [{ values: f(6, 9), shape: [2, 3] }, { values: f(12, 10), shape: [4, 3] }], run: (a, b) => tf.matMul(a!, b!, false, true) },
  { kernel: tf.BatchMatMul, variant: 'aᵀ·b', inputs: [{ values: f(6, 9), shape: [3, 2] }, { values: f(12, 10), shape: [3, 4] }], run: (a, b) => tf.matMul(a!, b!, true, false) },
  { kernel: tf.BatchMatMul, variant: 'aᵀ·bᵀ', inputs: [{ values: f(6, 9), shape: [3, 2] }, { values: f(12, 10), shape: [4, 3] }], run: (a, b) => tf.matMul(a!, b!, true, true) },
  { kernel: tf.BatchMatMul, variant: 'batched', inputs: [{ values: f(12, 9), shape: [2, 2, 3] }, { values: f(12, 10), shape: [2, 3, 2] }], run: (a, b) => tf.matMul(a!, b!) },
  { kernel: tf.AddN, inputs: [{ values: A, shape: [2, 3] }, { values: f(6, 11), shape: [2, 3] }, { values: f(6, 12), shape: [2, 3] }], run: (a, b, c) => tf.addN([a!, b!, tf.mul(c!, 2)]) },
  { kernel: tf.Tanh, inputs: [{ values: f(6, 13, -1.5, 1.5), shape: [2, 3] }], run: (a) => tf.tanh(a!) },
  { kernel: tf.Sigmoid, inputs: [{ values: f(6, 14, -2, 2), shape: [2, 3] }], run: (a) => tf.sigmoid(a!) },
  { kernel: tf.Exp, inputs: [{ values: f(6, 15), shape: [2, 3] }], run: (a) => tf.exp(a!) },
  { kernel: tf.Relu, inputs: [{ values: awayFromZero(6, 16), shape: [2, 3] }], run: (a) => tf.relu(a!) },
  { kernel: tf.Log, inputs: [{ values: f(6, 17, 0.5, 2), shape: [2, 3] }], run: (a) => tf.log(a!) },
  { kernel: tf.Log1p, inputs: [{ values: f(6, 18, -0.5, 1), shape: [2, 3] }], run: (a) => tf.log1p(a!) },
  { kernel: tf.Abs, inputs: [{ values: awayFromZero(6, 19), shape: [2, 3] }], run: (a) => tf.abs(a!) },
  { kernel: tf.Square, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.square(a!) },
  { kernel: tf.Sqrt, inputs: [{ values: f(6, 20, 0.5, 2), shape: [2, 3] }], run: (a) => tf.sqrt(a!) },
  { kernel: tf.Neg, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.neg(a!) },
  { kernel: tf.Identity, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.clone(a!) },
  { kernel: tf.Cast, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.cast(a!, 'float32') },
  { kernel: tf.Reshape, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.reshape(a!, [3, 2]) },
  { kernel: tf.ExpandDims, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.expandDims(a!, 1) },
  { kernel: tf.Transpose, inputs: [{ values: f(24, 21), shape: [2, 3, 4] }], run: (a) => tf.transpose(a!, [2, 0, 1]) },
  { kernel: tf.Slice, inputs: [{ values: f(12, 22), shape: [3, 4] }], run: (a) => tf.slice(a!, [1, 1], [2, 2]) },
  { kernel: tf.Pack, inputs: [{ values: A, shape: [2, 3] }, { values: f(6, 23), shape: [2, 3] }], run: (a, b) => tf.stack([a!, b!], 1) },
  { kernel: tf.Unpack, inputs: [{ values: A, shape: [2, 3] }], run: (a) => tf.addN(tf.unstack(a!, 1).map((p, i) => tf.mul(p, i + 1))) },
  { kernel: tf.Concat, inputs: [{ values: A, shape: [2, 3] }, { values: f(4, 24), shape: [2, 2] }], run: (a, b) => tf.concat([a!, b!], 1) },
  { kernel: tf.Reverse, inputs: [{ values: f(12, 25), shape: [3, 4] }], run: (a) => tf.reverse(a!, 1) },
  { kernel: tf.Sum, inputs: [{ values: f(12, 26), shape: [2, 3, 2] }], run: (a) => tf.sum(a!, 1) },
  { kernel: tf.Mean, inputs: [{ values: f(12, 27), shape: [2, 3, 2] }], run: (a) => tf.mean(a!, [0, 2]) },
  // Distinct values per row, so the maximum is unique and stays put under a small step.
  { kernel: tf.Max, inputs: [{ values: [0.1, 0.9, -0.4, 0.5, -0.7, 0.2], shape: [2, 3] }], run: (a) => tf.max(a!, 1) },
  { kernel: tf.Softmax, inputs: [{ values: f(8, 28, -2, 2), shape: [2, 4] }], run: (a) => tf.softmax(a!) },
  { kernel: tf.ClipByValue, inputs: [{ values: [-0.9, -0.3, 0.1, 0.35, 0.8, -0.75], shape: [2, 3] }], run: (a) => tf.clipByValue(a!, -0.5, 0.5) },
  // The unselected branch gets exactly 0 (core's Select gradient; tfjs-core alone registers none).
  { kernel: tf.Select, inputs: [{ values: A, shape: [2, 3] }, { values: f(6, 30), shape: [2, 3] }],
    run: (a, b) => tf.where(tf.tensor2d([[true, false, true], [false, false, true]]), a!, b!) },
  {
    kernel: tf.GatherV2,
    inputs: [{ values: f(12, 29), shape: [4, 3] }, { values: [2, 0, 2], shape: [3], dtype: 'int32' }],
    run: (a, i) => tf.gather(a!, i!),
  },
];

/** Σ G ⊙ run(inputs) in float64 from the float32 outputs. */
function weightedSum(out: tf.Tensor, g: Float32Array): number {
  const y = out.dataSync();
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * g[i]!;
  return s;
}

/**
 * Each gradient in core's table against central differences of its own kernel: Σ G ⊙ op(x), differentiated
 * analytically by the registered gradient and numerically per input element (float32 forward, float64 sums).
 * A missing case fails, so a gradient added to core's table gets checked.
 */
export function opGradientTests(): void {
  describe("core's gradient table against central differences", () => {
    it('every gradient core registers has a case here', () => {
      const covered = new Set(OP_CASES.map((c) => c.kernel));
      expect(opGradientConfigs().map((c) => c.kernelName).filter((k) => !covered.has(k))).toEqual([]);
    });

    for (const c of OP_CASES) {
      it(`${c.kernel}${c.variant ? ` (${c.variant})` : ''}`, async () => {
        const before = tf.memory().numTensors;
        const inputs = c.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype ?? 'float32'));
        const out = tf.tidy(() => c.run(...inputs));
        const g = uniform(out.size, 77);
        const gT = tf.tensor(g, out.shape);
        out.dispose();
        // The kernel under test really runs (a tfjs op may route elsewhere, e.g. a no-op cast).
        const info = await tf.profile(() => tf.tidy(() => c.run(...inputs)));
        expect(info.kernels.map((k) => k.name)).toContain(c.kernel);
        tf.dispose(info.result as tf.Tensor);
        const differentiable = c.inputs.map((_, i) => i).filter((i) => c.inputs[i]!.dtype !== 'int32');
        const grads = tf.grads((...xs: tf.Tensor[]) => {
          const all = inputs.slice();
          differentiable.forEach((k, j) => (all[k] = xs[j]!));
          return tf.sum(tf.mul(c.run(...all), gT));
        })(differentiable.map((i) => inputs[i]!));
        const eps = 1e-2;
        differentiable.forEach((inputIndex, j) => {
          const analytic = grads[j]!.dataSync();
          const base = Float32Array.from(c.inputs[inputIndex]!.values);
          const numeric = new Float64Array(base.length);
          for (let k = 0; k < base.length; k++) {
            const at = (delta: number) => {
              const moved = base.slice();
              moved[k] = base[k]! + delta;
              const all = inputs.slice();
              all[inputIndex] = tf.tensor(moved, c.inputs[inputIndex]!.shape);
              const y = tf.tidy(() => c.run(...all));
              const s = weightedSum(y, g);
              tf.dispose([y, all[inputIndex]!]);
              return s;
            };
            numeric[k] = (at(eps) - at(-eps)) / (2 * eps);
          }
          // Truncation eps²·f'''/6 ≲ 1e-4 for these inputs, float32 rounding of the outputs / eps ≲ 1e-5; a lost
          // factor or a wrong derivative is off by O(0.1–1).
          for (let k = 0; k < base.length; k++) {
            expect(Math.abs(analytic[k]! - numeric[k]!), `d/d input ${inputIndex}[${k}]: ${analytic[k]} vs central difference ${numeric[k]}`).toBeLessThanOrEqual(
              1e-3 + 1e-3 * Math.abs(numeric[k]!),
            );
          }
        });
        tf.dispose([...inputs, gT, ...grads]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });
}
