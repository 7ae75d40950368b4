import * as tf from '@tensorflow/tfjs-core';
import { type Activation, BasicRNN, type LossName, type OutputActivation } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { type ParityCase, refConfig } from './cases.js';
import { uniform } from './data.js';
import { referenceLoss } from './loss_reference.js';
import { type RefWeights, referenceBackward, referenceForward } from './reference.js';
import { FAST } from './run_flags.js';
import type { Quantity } from './tolerances.js';

/** Compares `actual` with `expected` under the run's tolerance for `quantity` (and records the share used). */
export type Check = (quantity: Quantity, actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) => void;

interface LossCase extends ParityCase {
  loss: LossName;
  head: OutputActivation;
}

// One shape for every training case: on webgl each new shape compiles new shader programs (seconds each under
// SwiftShader), so the cases vary the loss, head and activation, not the sizes.
const SHAPE = { batch: 4, steps: 5, inputSize: 3, hidden: 5, outputSize: 3 };

// Every loss core offers, on each head it accepts; with a linear head the cross-entropies take logits.
const LOSS_CASES: LossCase[] = [
  { name: 'meanSquaredError, tanh, final output', ...SHAPE, loss: 'meanSquaredError', head: 'linear' },
  { name: 'meanSquaredError, relu, returnSequences', ...SHAPE, returnSequences: true, activation: 'relu', loss: 'meanSquaredError', head: 'linear' },
  { name: 'meanAbsoluteError, sigmoid', ...SHAPE, activation: 'sigmoid', loss: 'meanAbsoluteError', head: 'linear' },
  { name: 'huber (errors both sides of delta 1)', ...SHAPE, loss: 'huber', head: 'linear' },
  { name: 'binaryCrossentropy on logits (linear head)', ...SHAPE, loss: 'binaryCrossentropy', head: 'linear' },
  { name: 'binaryCrossentropy, sigmoid head, returnSequences', ...SHAPE, returnSequences: true, loss: 'binaryCrossentropy', head: 'sigmoid' },
  { name: 'categoricalCrossentropy on logits (linear head)', ...SHAPE, loss: 'categoricalCrossentropy', head: 'linear' },
  { name: 'categoricalCrossentropy, softmax head, linear recurrence', ...SHAPE, activation: 'linear', loss: 'categoricalCrossentropy', head: 'softmax' },
  { name: 'sparseCategoricalCrossentropy on logits, returnSequences', ...SHAPE, returnSequences: true, loss: 'sparseCategoricalCrossentropy', head: 'linear' },
  { name: 'sparseCategoricalCrossentropy, softmax head', ...SHAPE, loss: 'sparseCategoricalCrossentropy', head: 'softmax' },
];

const ADAM_CASES: ParityCase[] = [
  { name: 'tanh, final output', ...SHAPE },
  { name: 'relu, returnSequences', ...SHAPE, returnSequences: true, activation: 'relu' },
];

const WEIGHT_NAMES = ['kernel', 'recurrentKernel', 'bias', 'denseKernel', 'denseBias'] as const;

function newModel(c: ParityCase, head: OutputActivation = 'linear', seed = 21): BasicRNN {
  const model = new BasicRNN({
    hiddenSize: c.hidden,
    outputSize: c.outputSize,
    returnSequences: c.returnSequences ?? false,
    activation: (c.activation ?? 'tanh') as Activation,
    outputActivation: head,
    seed,
  });
  model.build([null, c.steps, c.inputSize]);
  return model;
}

function outputShape(c: ParityCase): number[] {
  return c.returnSequences ? [c.batch, c.steps, c.outputSize] : [c.batch, c.outputSize];
}

function readWeights(model: BasicRNN): Float32Array[] {
  const ws = model.getWeights();
  const out = ws.map((w) => Float32Array.from(w.dataSync()));
  tf.dispose(ws);
  return out;
}

function refWeights(values: Float32Array[]): Required<RefWeights> {
  const [kernel, recurrentKernel, bias, denseKernel, denseBias] = values;
  return { kernel: kernel!, recurrentKernel: recurrentKernel!, bias: bias!, denseKernel: denseKernel!, denseBias: denseBias! };
}

/** Labels for a loss case, and their tensor as trainOnBatch takes them. */
function labelsFor(c: LossCase): { values: Float32Array; shape: number[] } {
  const shape = outputShape(c);
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const n = rows * c.outputSize;
  const rng = uniform(n, 6, 0, 1);
  switch (c.loss) {
    case 'meanSquaredError':
    case 'meanAbsoluteError':
      return { values: uniform(n, 6), shape };
    case 'huber':
      return { values: uniform(n, 6, -3, 3), shape };
    case 'binaryCrossentropy':
      return { values: rng.map((v) => (v > 0.5 ? 1 : 0)), shape };
    case 'categoricalCrossentropy': {
      const values = new Float32Array(n);
      for (let r = 0; r < rows; r++) values[r * c.outputSize + Math.floor(rng[r]! * c.outputSize)] = 1;
      return { values, shape };
    }
    case 'sparseCategoricalCrossentropy':
      return { values: Float32Array.from({ length: rows }, (_, r) => Math.floor(rng[r]! * c.outputSize)), shape: shape.slice(0, -1) };
  }
}

/**
 * Training parity for one environment; registered by `parityTests` on each path. Runs in a process where core's
 * gradients are the active ones (no `@tensorflow/tfjs` loaded), so these steps are what users' training runs.
 */
export function trainingParityTests(backend: string, check: Check): void {
  describe('training', () => {
    for (const c of LOSS_CASES) {
      it(`one SGD step equals the float64 update through the loss: ${c.name}`, async () => {
        const before = tf.memory().numTensors;
        const model = newModel(c, c.head);
        const w = refWeights(readWeights(model));
        const x = uniform(c.batch * c.steps * c.inputSize, 5);
        const labels = labelsFor(c);
        const cfg = refConfig(c, 'linear');
        const z = referenceForward(cfg, w, { x }).output;
        const ref = referenceLoss(c.loss, c.head, z, labels.values, c.outputSize);
        if (c.loss === 'huber') {
          // The case must reach both branches of the loss.
          const errors = Array.from(z, (v, i) => Math.abs(v - labels.values[i]!));
          expect(errors.some((e) => e < 1) && errors.some((e) => e > 1)).toBe(true);
        }
        const g = referenceBackward(cfg, w, { x }, ref.dz);
        const lr = 0.1;
        model.compile({ optimizer: 'sgd', learningRate: lr, loss: c.loss });
        const xt = tf.tensor3d(x, [c.batch, c.steps, c.inputSize]);
        const yt = tf.tensor(labels.values, labels.shape);
        const loss = (await model.trainOnBatch(xt, yt)) as number;
        check('forward', [loss], [ref.loss], `${c.name}: loss`);
        const after = readWeights(model);
        WEIGHT_NAMES.forEach((name, i) => {
          const update = after[i]!.map((v, k) => v - w[name][k]!);
          const expected = g[name].map((gk) => -lr * gk);
          check('update', update, expected, `${c.name}: SGD update of ${name}`);
        });
        tf.dispose([xt, yt]);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    // One output unit: core computes this loss as one matMul (trainingLoss), not through tfjs's mean. Checked in
    // the state two Adam steps leave (fused kernels' textures on webgl), where a tf.customGrad form of that loss
    // gave recurrence gradients ~1e-4 off on webgl while fresh models matched.
    it('after two Adam steps, one SGD step equals the float64 update through meanSquaredError with one output unit (odd batch)', async () => {
      const c: LossCase = { name: 'mse, one unit', ...SHAPE, batch: 3, outputSize: 1, loss: 'meanSquaredError', head: 'linear' };
      const before = tf.memory().numTensors;
      const model = newModel(c);
      const x = uniform(c.batch * c.steps * c.inputSize, 5);
      const labels = labelsFor(c);
      const xt = tf.tensor3d(x, [c.batch, c.steps, c.inputSize]);
      const yt = tf.tensor(labels.values, labels.shape);
      model.compile({ optimizer: 'adam', learningRate: 0.01, loss: c.loss });
      for (let step = 0; step < 2; step++) await model.trainOnBatch(xt, yt);
      const w = refWeights(readWeights(model));
      const cfg = refConfig(c, 'linear');
      const ref = referenceLoss(c.loss, c.head, referenceForward(cfg, w, { x }).output, labels.values, c.outputSize);
      const g = referenceBackward(cfg, w, { x }, ref.dz);
      const lr = 0.1;
      model.compile({ optimizer: 'sgd', learningRate: lr, loss: c.loss });
      const loss = (await model.trainOnBatch(xt, yt)) as number;
      check('forward', [loss], [ref.loss], `${c.name}: loss`);
      const after = readWeights(model);
      WEIGHT_NAMES.forEach((name, i) => {
        const update = after[i]!.map((v, k) => v - w[name][k]!);
        check('update', update, g[name].map((gk) => -lr * gk), `${c.name}: SGD update of ${name} after Adam steps`);
      });
      tf.dispose([xt, yt]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    for (const c of ADAM_CASES) {
      it(`each of 10 Adam steps equals a float64 Adam fed our gradients: ${c.name}`, async () => {
        const model = newModel(c);
        const lr = 0.01;
        model.compile({ optimizer: 'adam', learningRate: lr, loss: 'meanSquaredError' });
        const x = tf.tensor3d(uniform(c.batch * c.steps * c.inputSize, 8), [c.batch, c.steps, c.inputSize]);
        const y = tf.tensor(uniform(outputShape(c).reduce((a, b) => a * b, 1), 9), outputShape(c));
        // Keras's Adam, written out: beta1 0.9, beta2 0.999, epsilon 1e-7 (core pins it), bias-corrected moments.
        const beta1 = 0.9;
        const beta2 = 0.999;
        const epsilon = 1e-7;
        const variables = model.trainableVariables();
        const m = variables.map((v) => new Float64Array(v.size));
        const v2 = variables.map((v) => new Float64Array(v.size));
        for (let step = 1; step <= 10; step++) {
          const before = readWeights(model);
          // The gradients trainOnBatch is about to apply: the same loss through the same ops, so the same float32
          // values. Feeding them to a float64 Adam checks the optimizer's update, step by step, without float32
          // noise in the gradients compounding over a trajectory.
          const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(model.forward(x), y)) as tf.Scalar, variables);
          const ours = variables.map((v) => Float64Array.from(grads[v.name]!.dataSync()));
          tf.dispose([value, ...Object.values(grads)]);
          await model.trainOnBatch(x, y);
          const after = readWeights(model);
          variables.forEach((_, i) => {
            const g = ours[i]!;
            const expected = new Float64Array(g.length);
            for (let k = 0; k < g.length; k++) {
              m[i]![k] = beta1 * m[i]![k]! + (1 - beta1) * g[k]!;
              v2[i]![k] = beta2 * v2[i]![k]! + (1 - beta2) * g[k]! * g[k]!;
              const mHat = m[i]![k]! / (1 - beta1 ** step);
              const vHat = v2[i]![k]! / (1 - beta2 ** step);
              expected[k] = (-lr * mHat) / (Math.sqrt(vHat) + epsilon);
            }
            const update = after[i]!.map((a, k) => a - before[i]![k]!);
            check('update', update, expected, `${c.name}: Adam step ${step}, ${WEIGHT_NAMES[i]}`);
          });
        }
        tf.dispose([x, y]);
        model.dispose();
      });
    }

    it('gradients agree with central finite differences along random directions', () => {
      const c: ParityCase = { name: 'fd', ...SHAPE };
      const model = newModel(c);
      const x = tf.tensor3d(uniform(c.batch * c.steps * c.inputSize, 12), [c.batch, c.steps, c.inputSize]);
      const y = tf.tensor(uniform(c.batch * c.outputSize, 13), outputShape(c));
      const variables = model.trainableVariables();
      const lossOf = () => tf.tidy(() => tf.mean(tf.squaredDifference(model.forward(x), y)) as tf.Scalar);
      const { value, grads } = tf.variableGrads(lossOf, variables);
      const base = variables.map((v) => v.clone());
      const eps = 1e-2;
      for (let d = 0; d < 3; d++) {
        const dirs = variables.map((v, i) => tf.tensor(uniform(v.size, 100 + d * 10 + i), v.shape));
        const norm = Math.sqrt(dirs.reduce((s, t) => s + (tf.sum(tf.square(t)).dataSync()[0] as number), 0));
        const predicted = variables.reduce((s, v, i) => s + (tf.sum(tf.mul(grads[v.name]!, dirs[i]!)).dataSync()[0] as number), 0) / norm;
        const at = (sign: number) => {
          variables.forEach((v, i) => v.assign(tf.tidy(() => tf.add(base[i]!, tf.mul(dirs[i]!, (sign * eps) / norm)))));
          const l = lossOf();
          const out = l.dataSync()[0]!;
          l.dispose();
          return out;
        };
        const numeric = (at(1) - at(-1)) / (2 * eps);
        // Truncation O(eps²) plus float32 rounding of the loss divided by eps: a loose check, independent of the
        // float64 reference; the tight ones are the parity tests against float64 BPTT.
        expect(Math.abs(numeric - predicted), `direction ${d}: ${numeric} vs ${predicted}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(predicted) + (backend === 'webgl' ? 5e-3 : 0));
        tf.dispose(dirs);
      }
      variables.forEach((v, i) => v.assign(base[i]!));
      tf.dispose([value, x, y, ...base, ...Object.values(grads)]);
      model.dispose();
    });

    it.skipIf(FAST)('slow: 500 trainOnBatch calls and fit over 20 epochs leave tf.memory().numTensors unchanged', async () => {
      const c: ParityCase = { name: 'mem', batch: 4, steps: 3, inputSize: 2, hidden: 4, outputSize: 1 };
      const model = newModel(c);
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
      const x = tf.tensor3d(uniform(c.batch * c.steps * c.inputSize, 1), [c.batch, c.steps, c.inputSize]);
      const y = tf.tensor2d(uniform(c.batch, 2), [c.batch, 1]);
      await model.trainOnBatch(x, y); // the first step creates the optimizer's slots
      const before = tf.memory().numTensors;
      for (let i = 0; i < 500; i++) await model.trainOnBatch(x, y);
      expect(tf.memory().numTensors).toBe(before);
      const history = await model.fit(x, y, { epochs: 20, batchSize: 2, validationSplit: 0.5 });
      expect(history.epoch).toHaveLength(20);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
      model.dispose();
    });
  });
}
