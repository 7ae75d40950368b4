// The tfjs-layers comparison, in its own entry (`@basicrnn/test-kit/oracle`) and its own test files: loading
// @tensorflow/tfjs registers tfjs's gradients over core's, so nothing here tests gradients, and the parity
// suite's files (which do) never import this module.
import * as tf from '@tensorflow/tfjs-core';
import { RnnSequence, setFusedKernelsEnabled } from '@basicrnn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ParityCase, refConfig } from './cases.js';
import { layersModel } from './oracle.js';
import { type ParityContext, inputsFor, modelFor, registerRun } from './parity.js';

// One shape for every case: on webgl each new shape compiles new shader programs for tfjs-layers' per-step ops
// (seconds each under SwiftShader); the cases vary the options. Shapes at the edges are the float64 suite's job.
const SHAPE = { batch: 4, steps: 6, inputSize: 3, hidden: 5, outputSize: 2 };

/** Cases compared against tfjs-layers with the same weights on the same backend: masks, goBackwards, initial states. */
export const ORACLE_CASES: ParityCase[] = [
  { name: 'tanh, final output', ...SHAPE },
  { name: 'initial state', ...SHAPE, initialState: true },
  { name: 'relu, returnSequences', ...SHAPE, activation: 'relu', returnSequences: true },
  { name: 'sigmoid, useBias false, returnSequences', ...SHAPE, activation: 'sigmoid', useBias: false, returnSequences: true },
  { name: 'goBackwards, returnSequences', ...SHAPE, goBackwards: true, returnSequences: true },
  { name: 'mask', ...SHAPE, mask: true },
  { name: 'mask, returnSequences, initial state', ...SHAPE, mask: true, returnSequences: true, initialState: true },
  { name: 'goBackwards + mask + initial state (linear), returnSequences', ...SHAPE, goBackwards: true, mask: true, initialState: true, activation: 'linear', returnSequences: true },
];

/**
 * Registers the tfjs-layers comparison for one environment: BasicRNN against tfjs-layers `simpleRNN` + `dense`
 * with the same weights, on the same backend, on the fused and on the composite path. Call at the top level of a
 * test file of its own.
 */
export function oracleParityTests(ctx: ParityContext): void {
  const label = ctx.label ?? ctx.backend;
  describe(`tfjs-layers oracle: ${label}`, () => {
    const check = registerRun(ctx, `${label}, tfjs-layers oracle`);

    for (const fused of [true, false]) {
      const path = fused ? 'fused path' : 'composite path';
      describe(path, () => {
        beforeAll(() => setFusedKernelsEnabled(fused));

        it(`runs the ${fused ? 'fused kernel where this backend registers one' : 'composite (no RnnSequence kernel)'}`, async () => {
          const c = ORACLE_CASES[0]!;
          const { model } = modelFor(c);
          const x = tf.zeros([c.batch, c.steps, c.inputSize]);
          const info = await tf.profile(() => model.predict(x));
          tf.dispose([x, info.result as tf.Tensor]);
          model.dispose();
          const ranFused = info.kernels.some((k) => k.name === RnnSequence);
          expect(ranFused).toBe(fused && tf.getKernel(RnnSequence, ctx.backend) !== undefined);
        });

        for (const c of ORACLE_CASES) {
          it(`matches tfjs-layers simpleRNN + dense with the same weights: ${c.name}`, () => {
            const before = tf.memory().numTensors;
            const { model } = modelFor(c);
            const inp = inputsFor(c);
            const x = tf.tensor3d(inp.x, [c.batch, c.steps, c.inputSize]);
            const h0 = inp.h0 ? tf.tensor2d(inp.h0, [c.batch, c.hidden]) : undefined;
            const mask = inp.mask ? tf.tensor2d(inp.mask, [c.batch, c.steps]) : undefined;
            const weights = model.getWeights();
            const oracle = layersModel(refConfig(c), weights);
            const [expectedOut, expectedState] = oracle.run(x, h0, mask);
            const { output, state } = model.call(x, { ...(h0 ? { initialState: h0 } : {}), ...(mask ? { mask } : {}) });
            expect(output.shape).toEqual(expectedOut.shape);
            check('oracle', output.dataSync(), expectedOut.dataSync(), `${path}, ${c.name}: output vs tfjs-layers`);
            check('oracle', state.dataSync(), expectedState.dataSync(), `${path}, ${c.name}: state vs tfjs-layers`);
            oracle.dispose();
            tf.dispose([x, output, state, expectedOut, expectedState, ...weights, ...(h0 ? [h0] : []), ...(mask ? [mask] : [])]);
            model.dispose();
            expect(tf.memory().numTensors).toBe(before);
          });
        }
      });
    }
  });
}
