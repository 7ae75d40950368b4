import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, type CellType } from '@basicrnn/core';
import { addingData } from './adding.js';

/** Options of {@link trainOnAdding}. Defaults are the settings the learning test measured (README, "the simple RNN's limitation"). */
export interface AddingRunOptions {
  cell: CellType;
  /** Sequence length T (default 100). */
  seqLength?: number;
  /** Units (default 16). */
  hiddenSize?: number;
  /** Adam's learning rate (default 0.01: Keras's 0.001 needs ~10× the steps to find the dependency). */
  learningRate?: number;
  /** Examples per step, each batch freshly drawn (default 32). */
  batchSize?: number;
  /** Most gradient steps (default 1500). */
  maxSteps?: number;
  /** Steps between test evaluations (default 100). */
  evalEvery?: number;
  /** Stop once the test MSE is at most this (default 0.01; 0 never stops early). */
  stopAt?: number;
  /** Seed of the weights and of the training batches (default 1). */
  seed?: number;
  /** Held-out examples (default 500, drawn with a seed no training batch uses). */
  testSamples?: number;
  /** Called after every evaluation; may await (the web worker yields here). */
  onEvaluate?: (step: number, testMse: number) => void | Promise<void>;
}

/** What {@link trainOnAdding} returns; the caller owns (and disposes) `model`. */
export interface AddingRun {
  cell: CellType;
  model: BasicRNN;
  /** Gradient steps taken. */
  steps: number;
  /** Test MSE after the last step (predicting the mean gives ≈ 0.167). */
  testMse: number;
  /** Test MSE after every evaluation, step 0 (untrained) first. */
  curve: { step: number; testMse: number }[];
}

/** Seed of the held-out set: far from every batch seed (seed · 1e6 + step). */
export const ADDING_TEST_SEED = 987_654_321;

/**
 * Trains a BasicRNN with the given cell on the adding problem with fresh batches each step (Adam, MSE), evaluating
 * on a held-out set every `evalEvery` steps, until the budget is spent or the test MSE reaches `stopAt`.
 */
export async function trainOnAdding(o: AddingRunOptions): Promise<AddingRun> {
  const steps = o.seqLength ?? 100;
  const batch = o.batchSize ?? 32;
  const maxSteps = o.maxSteps ?? 1500;
  const evalEvery = o.evalEvery ?? 100;
  const stopAt = o.stopAt ?? 0.01;
  const seed = o.seed ?? 1;
  const testCount = o.testSamples ?? 500;
  const test = addingData({ samples: testCount, seqLength: steps, seed: ADDING_TEST_SEED });
  const xTest = tf.tensor3d(test.x, [testCount, steps, 2]);
  const yTest = tf.tensor2d(test.y, [testCount, 1]);
  const model = new BasicRNN({ hiddenSize: o.hiddenSize ?? 16, outputSize: 1, cell: o.cell, seed });
  try {
    model.compile({ optimizer: 'adam', learningRate: o.learningRate ?? 0.01, loss: 'meanSquaredError' });
    model.build([null, steps, 2]);
    const curve: AddingRun['curve'] = [];
    const evaluate = async (step: number) => {
      const testMse = (await model.evaluate(xTest, yTest, { batchSize: testCount })) as number;
      curve.push({ step, testMse });
      await o.onEvaluate?.(step, testMse);
      return testMse;
    };
    let testMse = await evaluate(0);
    let step = 0;
    while (step < maxSteps && !(testMse <= stopAt)) {
      const d = addingData({ samples: batch, seqLength: steps, seed: seed * 1_000_000 + step });
      const x = tf.tensor3d(d.x, [batch, steps, 2]);
      const y = tf.tensor2d(d.y, [batch, 1]);
      try {
        await model.trainOnBatch(x, y);
      } finally {
        tf.dispose([x, y]);
      }
      step++;
      if (step % evalEvery === 0 || step === maxSteps) testMse = await evaluate(step);
    }
    return { cell: o.cell, model, steps: step, testMse, curve };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([xTest, yTest]);
  }
}
