// The tfjs-layers comparison, in its own entry (`@basicrnn/test-kit/oracle`) and its own test files: loading
// @tensorflow/tfjs registers tfjs's gradients over core's, so nothing here tests gradients, and the parity
// suite's files (which do) never import this module.
import * as tf from '@tensorflow/tfjs-core';
import { RnnSequence, getBackend, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParityCase, refConfig } from './cases.js';
import { layersModel } from './oracle.js';
import { type ParityContext, inputsFor, makeCheck, modelFor } from './parity.js';
import { MEASURE } from './run_flags.js';
import { ToleranceUse } from './tolerances.js';

/** Cases compared against tfjs-layers with the same weights on the same backend: masks, goBackwards, initial states. */
export const ORACLE_CASES: ParityCase[] = [
  { name: 'tanh, final output', batch: 4, steps: 12, inputSize: 5, hidden: 16, outputSize: 3 },
  { name: 'initial state', batch: 4, steps: 8, inputSize: 3, hidden: 6, outputSize: 2, initialState: true },
  { name: 'relu, returnSequences', batch: 3, steps: 15, inputSize: 4, hidden: 10, outputSize: 2, activation: 'relu', returnSequences: true },
  { name: 'sigmoid, useBias false', batch: 2, steps: 6, inputSize: 3, hidden: 5, outputSize: 2, activation: 'sigmoid', useBias: false, returnSequences: true },
  { name: 'goBackwards', batch: 3, steps: 9, inputSize: 4, hidden: 6, outputSize: 2, goBackwards: true, returnSequences: true },
  { name: 'mask', batch: 4, steps: 10, inputSize: 3, hidden: 6, outputSize: 2, mask: true },
  { name: 'mask, returnSequences, initial state', batch: 4, steps: 10, inputSize: 3, hidden: 6, outputSize: 2, mask: true, returnSequences: true, initialState: true },
  {
    name: 'goBackwards + mask + initial state (linear)',
    batch: 3, steps: 7, inputSize: 3, hidden: 5, outputSize: 2,
    goBackwards: true, mask: true, initialState: true, activation: 'linear',
  },
  { name: 'batch 1, H=32', batch: 1, steps: 20, inputSize: 8, hidden: 32, outputSize: 1 },
];

/**
 * Registers the tfjs-layers comparison for one environment: BasicRNN against tfjs-layers `simpleRNN` + `dense`
 * with the same weights, on the same backend, on the fused and on the composite path. Call at the top level of a
 * test file of its own.
 */
export function oracleParityTests(ctx: ParityContext): void {
  const label = ctx.label ?? ctx.backend;
  describe(`tfjs-layers oracle: ${label}`, () => {
    const use = new ToleranceUse();
    const check = makeCheck(ctx.backend, use);
    beforeAll(async () => {
      await ctx.setup?.();
      await setBackend(ctx.backend);
      expect(getBackend()).toBe(ctx.backend);
      await ctx.check?.();
    });
    afterAll(() => {
      setFusedKernelsEnabled(true);
      if (MEASURE) console.log(use.report(`${label}, tfjs-layers oracle`, ctx.backend));
    });

    for (const fused of [true, false]) {
      const path = fused ? 'fused path' : 'composite path';
      describe(path, () => {
        beforeAll(() => setFusedKernelsEnabled(fused));

        it(`runs the ${fused ? 'fused kernel where this backend registers one' : 'composite (no RnnSequence kernel)'}`, async () => {
          const { model } = modelFor(ORACLE_CASES[0]!);
          const x = tf.zeros([1, 3, ORACLE_CASES[0]!.inputSize]);
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
