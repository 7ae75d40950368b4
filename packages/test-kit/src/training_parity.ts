import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, type LossName } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { uniform } from './data.js';
import { layersSequential, tfl } from './oracle.js';
import { type ParityCase, refConfig } from './cases.js';
import { referenceBackward, referenceForward } from './reference.js';
import { GRADIENT_FACTOR, compareArrays, toleranceFor } from './tolerances.js';

type TrainCase = ParityCase;

const SGD_CASES: TrainCase[] = [
  { name: 'tanh, final output', batch: 4, steps: 6, inputSize: 3, hidden: 5, outputSize: 2 },
  { name: 'relu, returnSequences', batch: 3, steps: 5, inputSize: 2, hidden: 4, outputSize: 1, returnSequences: true, activation: 'relu' },
];

const ORACLE_TRAIN_CASES: (TrainCase & { loss: LossName })[] = [
  { name: 'MSE, final output', batch: 8, steps: 10, inputSize: 4, hidden: 12, outputSize: 2, loss: 'meanSquaredError' },
  { name: 'binary cross-entropy (sigmoid head), sequences', batch: 6, steps: 7, inputSize: 3, hidden: 8, outputSize: 1, returnSequences: true, loss: 'binaryCrossentropy' },
];

function newModel(c: TrainCase, head: 'linear' | 'sigmoid' = 'linear', seed = 21): BasicRNN {
  const model = new BasicRNN({
    hiddenSize: c.hidden,
    outputSize: c.outputSize,
    returnSequences: c.returnSequences ?? false,
    activation: c.activation ?? 'tanh',
    outputActivation: head,
    seed,
  });
  model.build([null, c.steps, c.inputSize]);
  return model;
}

function outputShape(c: TrainCase): number[] {
  return c.returnSequences ? [c.batch, c.steps, c.outputSize] : [c.batch, c.outputSize];
}

function readWeights(model: BasicRNN): Float32Array[] {
  const ws = model.getWeights();
  const out = ws.map((w) => Float32Array.from(w.dataSync()));
  tf.dispose(ws);
  return out;
}

/** Training parity for one environment; registered by `parityTests`. */
export function trainingParityTests(backend: string): void {
  const tol = toleranceFor(backend);
  const gradTol = { atol: tol.atol * GRADIENT_FACTOR, rtol: tol.rtol * GRADIENT_FACTOR };

  describe('training', () => {
    for (const c of SGD_CASES) {
      it(`one SGD step equals the float64 BPTT update: ${c.name}`, async () => {
        const model = newModel(c);
        const [kernel, recurrentKernel, bias, denseKernel, denseBias] = readWeights(model);
        const x = uniform(c.batch * c.steps * c.inputSize, 5);
        const y = uniform(outputShape(c).reduce((a, b) => a * b, 1), 6);
        const cfg = refConfig(c);
        const w = { kernel: kernel!, recurrentKernel: recurrentKernel!, bias: bias!, denseKernel: denseKernel!, denseBias: denseBias! };
        const fwd = referenceForward(cfg, w, { x });
        const upstream = fwd.output.map((o, i) => (2 * (o - y[i]!)) / fwd.output.length);
        const g = referenceBackward(cfg, w, { x }, upstream);
        const lr = 0.1;
        model.compile({ optimizer: 'sgd', learningRate: lr, loss: 'meanSquaredError' });
        const xt = tf.tensor3d(x, [c.batch, c.steps, c.inputSize]);
        const yt = tf.tensor(y, outputShape(c));
        const loss = (await model.trainOnBatch(xt, yt)) as number;
        const refLoss = fwd.output.reduce((s, o, i) => s + (o - y[i]!) ** 2, 0) / fwd.output.length;
        expect(Math.abs(loss - refLoss)).toBeLessThanOrEqual(tol.atol + tol.rtol * refLoss);
        const after = readWeights(model);
        const names = ['kernel', 'recurrentKernel', 'bias', 'denseKernel', 'denseBias'] as const;
        names.forEach((name, i) => {
          const expected = w[name].map((v, k) => v - lr * g[name][k]!);
          const r = compareArrays(after[i]!, expected, gradTol);
          expect(r.ok, `${name} after one SGD step: ${r.message}`).toBe(true);
        });
        tf.dispose([xt, yt]);
        model.dispose();
      });
    }

    for (const c of ORACLE_TRAIN_CASES) {
      it(`Adam steps match tfjs-layers trainOnBatch from the same weights (1 and 10 steps): ${c.name}`, async () => {
        const head = c.loss === 'binaryCrossentropy' ? 'sigmoid' : 'linear';
        const model = newModel(c, head);
        const weights = model.getWeights();
        const oracle = layersSequential(refConfig(c, head), weights, {
          optimizer: tfl.train.adam(0.01, 0.9, 0.999, 1e-7),
          loss: c.loss === 'binaryCrossentropy' ? 'binaryCrossentropy' : 'meanSquaredError',
        });
        model.compile({ optimizer: 'adam', learningRate: 0.01, loss: c.loss });
        const x = tf.tensor3d(uniform(c.batch * c.steps * c.inputSize, 8), [c.batch, c.steps, c.inputSize]);
        const n = outputShape(c).reduce((a, b) => a * b, 1);
        const yValues = c.loss === 'binaryCrossentropy' ? uniform(n, 9, 0, 1).map((v) => (v > 0.5 ? 1 : 0)) : uniform(n, 9);
        const y = tf.tensor(yValues, outputShape(c));
        // Updates compound, so the tolerance grows with the number of steps.
        for (let step = 1; step <= 10; step++) {
          const ours = (await model.trainOnBatch(x, y)) as number;
          const theirs = (await oracle.trainOnBatch(x, y)) as number;
          expect(Math.abs(ours - theirs), `loss at step ${step}`).toBeLessThanOrEqual(gradTol.atol * step + gradTol.rtol * Math.abs(theirs));
          if (step === 1 || step === 10) {
            const mine = readWeights(model);
            const expected = oracle.getWeights().map((w) => Float32Array.from(w.dataSync()));
            mine.forEach((m, i) => {
              const r = compareArrays(m, expected[i]!, { atol: gradTol.atol * step, rtol: gradTol.rtol * step });
              expect(r.ok, `weight ${i} after ${step} Adam steps: ${r.message}`).toBe(true);
            });
          }
        }
        oracle.dispose();
        tf.dispose([x, y, ...weights]);
        model.dispose();
      });
    }

    it('gradients agree with central finite differences along random directions', () => {
      const c: TrainCase = { name: 'fd', batch: 3, steps: 6, inputSize: 3, hidden: 6, outputSize: 2 };
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
        // Truncation O(eps²) plus float32 rounding of the loss divided by eps.
        expect(Math.abs(numeric - predicted), `direction ${d}: ${numeric} vs ${predicted}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(predicted) + (backend === 'webgl' ? 5e-3 : 0));
        tf.dispose(dirs);
      }
      variables.forEach((v, i) => v.assign(base[i]!));
      tf.dispose([value, x, y, ...base, ...Object.values(grads)]);
      model.dispose();
    });

    it('500 trainOnBatch calls and fit over 20 epochs leave tf.memory().numTensors unchanged', async () => {
      const c: TrainCase = { name: 'mem', batch: 4, steps: 3, inputSize: 2, hidden: 4, outputSize: 1 };
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
