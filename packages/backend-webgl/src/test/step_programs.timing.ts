// Throughput of single recurrence programs against tfjs's packed matmul at one shape: each program runs N times
// back to back, then one readback; prints ms per run (min over 7 interleaved rounds). TIMING_CONFIGS=Programs[,L|M|Long].
// Run: TIMING_CONFIGS=Programs pnpm exec vitest run -c vitest.timing-webgl.config.ts src/test/step_programs.timing.ts
import * as tf from '@tensorflow/tfjs-core';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { setBackend } from '@basicrnn/core';
import { it } from 'vitest';
import { InputProjectionProgram } from '../kernels/programs/input_projection_program.js';
import { RnnStepProgram } from '../kernels/programs/rnn_step_program.js';
import { RnnCarryProgram } from '../kernels/programs/rnn_carry_program.js';
import { SequenceMatMulProgram } from '../kernels/programs/sequence_matmul_program.js';
import '../index.js';

const SHAPES: Record<string, { batch: number; steps: number; input: number; hidden: number }> = {
  M: { batch: 32, steps: 20, input: 10, hidden: 64 },
  L: { batch: 64, steps: 100, input: 32, hidden: 256 },
  Long: { batch: 8, steps: 1000, input: 16, hidden: 128 },
};

async function batchTime(n: number, run: () => tf.TensorInfo): Promise<number> {
  const backend = tf.backend() as MathBackendWebGL;
  const start = performance.now();
  let last: tf.TensorInfo | null = null;
  for (let i = 0; i < n; i++) {
    if (last !== null) backend.disposeIntermediateTensorInfo(last);
    last = run();
  }
  await backend.read(last!.dataId);
  backend.disposeIntermediateTensorInfo(last!);
  return (performance.now() - start) / n;
}

it.runIf(__TIMING_CONFIGS__.startsWith('Programs'))('single-program throughput', async () => {
  await setBackend('webgl');
  const backend = tf.backend() as MathBackendWebGL;
  const name = __TIMING_CONFIGS__.split(',')[1] ?? 'L';
  const { batch, steps, input, hidden } = SHAPES[name]!;
  const n = __TIMING_RUNS__ > 0 ? __TIMING_RUNS__ : 20;
  const shape = { batch, steps, hidden, activation: 'tanh' as const, goBackwards: false };
  const x = tf.randomUniform([batch, steps, input], -1, 1, 'float32', 1);
  const w = tf.randomUniform([input, hidden], -1, 1, 'float32', 2);
  const u = tf.randomUniform([hidden, hidden], -1, 1, 'float32', 3);
  const b = tf.randomUniform([hidden], -1, 1, 'float32', 4);
  const h = tf.randomUniform([batch, hidden], -1, 1, 'float32', 5);
  const xt = tf.randomUniform([batch, input], -1, 1, 'float32', 6);
  const run = (p: GPGPUProgram, inputs: tf.TensorInfo[], custom?: number[][]) => backend.runWebGLProgram(p, inputs, 'float32', custom, true);
  const proj = run(new InputProjectionProgram(shape, input, true), [x, w, b]);
  const lines: string[] = [];
  const cases: [string, number, () => tf.TensorInfo][] = [];
  const time = async (label: string, count: number, fn: () => tf.TensorInfo) => {
    await batchTime(1, fn);
    cases.push([label, count, fn]);
  };
  await time('InputProjectionProgram (all steps)', 3, () => run(new InputProjectionProgram(shape, input, true), [x, w, b]));
  await time('tfjs matMul x_t·W (warm-up)', n, () => tf.matMul(xt, w) as unknown as tf.TensorInfo);
  const direct = new RnnStepProgram(shape, { previous: 'pending', pending: 1, chunkRows: 0, output: 'step' }, { noMask: true, inputs: { inputSize: input, hasBias: true } });
  const step = new RnnStepProgram(shape, { previous: 'pending', pending: 1, chunkRows: 0, output: 'step' }, { noMask: true });
  await time('RnnStepProgram (one step)', n, () => run(step, [proj, u, h], [[3]]));
  await time('RnnStepProgram with x·W (one step)', n, () => run(direct, [x, w, b, u, h], [[3]]));
  await time('tfjs matMul h·U', n, () => tf.matMul(h, u) as unknown as tf.TensorInfo);
  await time('tfjs matMul x_t·W', n, () => tf.matMul(xt, w) as unknown as tf.TensorInfo);
  const dhs = tf.randomUniform([batch, steps, hidden], -1, 1, 'float32', 7);
  for (const reverseTime of [false, true]) {
    for (const seqRowMajor of [false, true]) {
      const dx = new SequenceMatMulProgram(batch, steps, hidden, input, { transposeMatrix: true, reverseTime, seqRowMajor });
      await time(`SequenceMatMulProgram dx${reverseTime ? ' reversed' : ''}${seqRowMajor ? ' row-major' : ''}`, 3, () => run(dx, [dhs, w]));
    }
  }
  const hs = tf.randomUniform([batch, steps, hidden], -0.9, 0.9, 'float32', 8);
  // Interleaved rounds, min per program: load on a shared machine hits every program alike.
  const best = cases.map(() => Infinity);
  for (let round = 0; round < 7; round++) {
    for (const [i, [, count, fn]] of cases.entries()) best[i] = Math.min(best[i]!, await batchTime(count, fn));
  }
  for (const [i, [label]] of cases.entries()) lines.push(`${label.padEnd(40)} ${best[i]!.toFixed(3)} ms`);
  void dhs;
  void hs;
  void RnnCarryProgram;
  console.log(`[timing] programs at ${name} = B${batch}·T${steps}·I${input}·H${hidden}, ms per run\n${lines.join('\n')}`);
  backend.disposeIntermediateTensorInfo(proj);
  tf.dispose([x, w, u, b, h, xt, dhs, hs]);
});
