import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, rnnSequence, rnnSequenceGrad, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { programsRunBy } from '../test/programs_run_by.js';

// Shader programs are counted at the backend (every runWebGLProgram call: the kernels' own programs, uploads,
// layout conversions): tf.profile would count a fused kernel as one.

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
  'SequenceGatherProgram',
  'StepStackProgram',
  'PartialSumProgram',
  'PackedTransposeProgram',
  'SequenceOperandTransposeProgram',
  'TransposedWeightGradProgram',
]);

/**
 * Programs per call. Forward: one per step (each computes its own x·W + b on WebGL2), one stack per 16 steps (the [B, H] step states
 * copied into a [B, 16, H] chunk) and the gathers that assemble the chunks into [B, T, H]: one up to 16 chunks,
 * then about one per 16 more. Backward: m·act'(h), T-1 carry steps, dh0, one stack per 16 carry steps, the
 * gathers, dz, dx, dW, dU, db, and from B·T = 1,024 (T even) dz, x and h_{s-1} transposed for dW and dU (3 more).
 * `forward` / `backward`: the exact counts with 16 texture units.
 */
const stacks = (steps: number) => Math.ceil(steps / 16);
// `others`: the programs of an Adam trainOnBatch (MSE, no metrics) outside the recurrence. Dense head 4 (S: 3):
// slice of the last step, [B,1,H] → [1,B,H] (B > 1), matMul, bias add; MSE 5 (tfjs's mean of squared
// differences: 12): e = z − y, s = e·fl(1/N) and the upload of the [B,1] fl(1/N), Σ s·e as one matMul, the
// gradient s + s; the head's backward 8 (S: 6): two matMuls, the
// bias gradient's sum (transpose, 2 reductions (S: 1), unpack), the reshape back (B > 1), the slice's pad; the
// recurrence's uploads of its mask and h0 2; the finiteness probe 1 and its pack of the unpacked bias gradient 1;
// the read 2 (loss + probe, decode); Adam 16 (3 per weight, and the bias gradient packed again).
const CONFIGS = [
  { name: 'S', batch: 1, steps: 50, input: 8, hidden: 32, forward: 50 + 1 + stacks(50), backward: 50 + 7 + stacks(49), model: true, others: 36 },
  { name: 'M', batch: 32, steps: 20, input: 10, hidden: 64, forward: 20 + 1 + stacks(20), backward: 20 + 7 + stacks(19), model: true, others: 39 },
  // Long sequences: 63 forward chunks → 5 gathers, 63 backward chunks + dy's row → 5, and B·T = 2,000 rows: dz,
  // x and h_{s-1} transposed for dW and dU (3 more).
  { name: 'Long', batch: 2, steps: 1000, input: 2, hidden: 4, forward: 1000 + 5 + stacks(1000), backward: 1000 + 14 + stacks(999), model: false },
];

describe('fused webgl kernels: shader programs per call', () => {
  beforeAll(async () => {
    await setBackend('webgl');
    setFusedKernelsEnabled(true);
  });
  afterAll(() => setFusedKernelsEnabled(true));

  for (const c of CONFIGS) {
    it(`${c.name} (B${c.batch} T${c.steps} I${c.input} H${c.hidden}): forward ${c.forward}, backward ${c.backward} programs`, async () => {
      // The counts depend on the chunk size, set by the texture units a program may sample.
      expect(tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER')).toBe(16);
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
      expect(warm.programs.length).toBe(c.forward);
      expect(warmGrad.programs.length).toBe(c.backward);
      // Linear in T: never more than one gather per 100 steps or so on top of one program per step.
      expect(warm.programs.length).toBeLessThanOrEqual(c.steps + 2 + stacks(c.steps) + Math.floor(c.steps / 100));
      expect(warmGrad.programs.length).toBeLessThanOrEqual(c.steps + 9 + stacks(c.steps) + Math.floor(c.steps / 100));
      // The first calls add one upload per CPU-resident input (EncodeMatrixPackedProgram), nothing else.
      expect(cold.programs.filter((name) => OUR_PROGRAMS.has(name))).toEqual(warm.programs);
      expect(coldGrad.programs.filter((name) => OUR_PROGRAMS.has(name))).toEqual(warmGrad.programs);
      // Stacks and gathers run between steps once enough states or chunks wait, and at the end.
      expect(warm.programs.filter((name) => name === 'StepStackProgram')).toHaveLength(stacks(c.steps));
      expect(warm.programs.filter((name) => name !== 'SequenceGatherProgram' && name !== 'StepStackProgram')).toEqual(
        Array<string>(c.steps).fill('RnnStepProgram'),
      );
      expect(warm.programs.at(-1)).toBe('SequenceGatherProgram');
      tf.dispose([cold.result, warm.result, dy, ...Object.values(coldGrad.result), ...Object.values(warmGrad.result)]);
      tf.dispose(Object.values(inputs));
      expect(tf.memory().numTensors).toBe(before);
    });

    if (!c.model) continue;
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
      expect(ours(predict.programs)).toBe(c.forward);
      expect(ours(train.programs)).toBe(c.forward + c.backward);
      // Adam as 3 programs per weight (W, U, b, the dense kernel and bias), the gradients' finiteness check as 1;
      // everything else outside the recurrence (dense head, loss, their gradients, uploads, the read): `others`.
      const count = (name: string) => train.programs.filter((n) => n === name).length;
      expect(count('AdamUpdateProgram')).toBe(3 * 5);
      expect(count('FiniteProbeProgram')).toBe(1);
      expect(train.programs.length - ours(train.programs)).toBe(c.others);
      // The loss and its gradient (core's trainingLoss): no reduction program of tfjs's Mean, and the step reads
      // one value (loss + probe), not a stack of two.
      expect(count('MeanProgram')).toBe(0);
      expect(count('ConcatProgram')).toBe(0);
      expect(count('DecodeMatrixPackedProgram') + count('DecodeMatrixProgram')).toBe(1);
      expect(count('EncodeMatrixPackedProgram')).toBe(3);
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
