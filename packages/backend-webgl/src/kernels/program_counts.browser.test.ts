import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { BasicRNN, rnnSequence, rnnSequenceGrad, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';

// Shader programs are counted at the backend (every runWebGLProgram call: the kernels' own programs, uploads,
// layout conversions): tf.profile would count a fused kernel as one.

/** Names of the shader programs the webgl backend runs during `fn` (uploads and layout conversions included). */
async function programsRunBy<T>(fn: () => T | Promise<T>): Promise<{ result: T; programs: string[] }> {
  const backend = tf.backend() as MathBackendWebGL;
  const original = backend.runWebGLProgram;
  const programs: string[] = [];
  backend.runWebGLProgram = function (this: MathBackendWebGL, program, ...rest) {
    programs.push(program.constructor.name);
    return original.call(this, program, ...rest);
  };
  try {
    return { result: await fn(), programs };
  } finally {
    backend.runWebGLProgram = original;
  }
}

function tally(programs: string[]): string {
  const counts = new Map<string, number>();
  for (const name of programs) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name}×${n}`).join(', ');
}

/** The program classes of this package's kernels. */
const OUR_PROGRAMS = new Set([
  'InputProjectionProgram',
  'RnnStepProgram',
  'RnnSlopeProgram',
  'RnnCarryProgram',
  'RnnDeltaProgram',
  'SequenceMatMulProgram',
  'WeightGradProgram',
  'BiasGradProgram',
]);

const CONFIGS = [
  { name: 'S', batch: 1, steps: 50, input: 8, hidden: 32 },
  { name: 'M', batch: 32, steps: 20, input: 10, hidden: 64 },
];

describe('fused webgl kernels: shader programs per call', () => {
  beforeAll(async () => {
    await setBackend('webgl');
    setFusedKernelsEnabled(true);
  });
  afterAll(() => setFusedKernelsEnabled(true));

  for (const c of CONFIGS) {
    it(`${c.name} (B${c.batch} T${c.steps} I${c.input} H${c.hidden}): forward ≤ T+3, backward ≤ T+6 programs`, async () => {
      const before = tf.memory().numTensors;
      const inputs = tf.tidy(() => ({
        x: tf.randomUniform([c.batch, c.steps, c.input], -1, 1, 'float32', 1),
        kernel: tf.randomUniform([c.input, c.hidden], -0.5, 0.5, 'float32', 2),
        recurrentKernel: tf.randomUniform([c.hidden, c.hidden], -0.3, 0.3, 'float32', 3),
        bias: tf.randomUniform([c.hidden], -0.1, 0.1, 'float32', 4),
        h0: tf.zeros([c.batch, c.hidden]),
        mask: tf.ones([c.batch, c.steps]),
      }));
      const attrs = { activation: 'tanh' as const, goBackwards: false };
      const dy = tf.randomUniform([c.batch, c.steps, c.hidden], -1, 1, 'float32', 5);
      // The first call uploads the CPU-resident inputs (one encode program each) and compiles; count both calls.
      const cold = await programsRunBy(() => rnnSequence(inputs, attrs));
      const warm = await programsRunBy(() => rnnSequence(inputs, attrs));
      const hiddenStates = warm.result;
      const gradInputs = { ...inputs, hiddenStates, dy };
      const coldGrad = await programsRunBy(() => rnnSequenceGrad(gradInputs, attrs));
      const warmGrad = await programsRunBy(() => rnnSequenceGrad(gradInputs, attrs));
      console.log(
        `[programs] ${c.name} T=${c.steps}: forward ${warm.programs.length} (first call ${cold.programs.length}: ${tally(cold.programs)}), ` +
          `backward ${warmGrad.programs.length} (first call ${coldGrad.programs.length}: ${tally(coldGrad.programs)})`,
      );
      expect(warm.programs.length).toBeLessThanOrEqual(c.steps + 3);
      expect(warmGrad.programs.length).toBeLessThanOrEqual(c.steps + 6);
      // The first calls add one upload per CPU-resident input (EncodeMatrixPackedProgram), nothing else.
      expect(cold.programs.filter((name) => OUR_PROGRAMS.has(name))).toEqual(warm.programs);
      expect(coldGrad.programs.filter((name) => OUR_PROGRAMS.has(name))).toEqual(warmGrad.programs);
      expect(warm.programs).toEqual(['InputProjectionProgram', ...Array<string>(c.steps).fill('RnnStepProgram')]);
      tf.dispose([cold.result, warm.result, dy, ...Object.values(coldGrad.result), ...Object.values(warmGrad.result)]);
      tf.dispose(Object.values(inputs));
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`${c.name}: whole-model programs per predict and per Adam trainOnBatch (reported)`, async () => {
      const model = new BasicRNN({ hiddenSize: c.hidden, outputSize: 1, seed: 3 });
      model.build([null, c.steps, c.input]);
      model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
      const x = tf.randomUniform([c.batch, c.steps, c.input], -1, 1, 'float32', 7);
      const y = tf.randomUniform([c.batch, 1], -1, 1, 'float32', 8);
      tf.dispose(model.predict(x));
      await model.trainOnBatch(x, y);
      const predict = await programsRunBy(() => model.predict(x));
      predict.result.dispose();
      const train = await programsRunBy(() => model.trainOnBatch(x, y));
      const ours = (programs: string[]) => programs.filter((name) => OUR_PROGRAMS.has(name)).length;
      console.log(
        `[programs] ${c.name} whole model: predict ${predict.programs.length} (recurrence ${ours(predict.programs)}), ` +
          `Adam trainOnBatch ${train.programs.length} (recurrence ${ours(train.programs)}): ${tally(train.programs)}`,
      );
      expect(ours(predict.programs)).toBe(c.steps + 1);
      expect(ours(train.programs)).toBe(c.steps + 1 + c.steps + 6);
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
