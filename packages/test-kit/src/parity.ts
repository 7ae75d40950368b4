import * as tf from '@tensorflow/tfjs-core';
import {
  BasicRNN,
  RnnSequence,
  RnnSequenceGrad,
  getBackend,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomMask, uniform } from './data.js';
import { type ParityCase, refConfig } from './cases.js';
import { activeGradientTests, expectCoreGradientsActive, opGradientTests } from './gradient_checks.js';
import { type RefWeights, referenceBackward, referenceForward } from './reference.js';
import { FAST, MEASURE } from './run_flags.js';
import { type Quantity, ToleranceUse, compareArrays, toleranceFor } from './tolerances.js';
import { type Check, trainingParityTests } from './training_parity.js';
import { initialWeightTests } from './weight_checks.js';

/** Where a parity run happens. */
export interface ParityContext {
  /** Backend name to activate, e.g. 'wasm'. */
  backend: string;
  /** Shown in test names, e.g. 'wasm (Chromium, 4 threads)'. */
  label?: string;
  /** Runs before the backend is activated (e.g. wasm file locations, thread count). */
  setup?: () => Promise<void> | void;
  /** Extra assertions once the backend is active (e.g. thread count obtained). */
  check?: () => Promise<void> | void;
}

/** Forward cases: every option of the issue, each on its own, plus combinations. */
export const FORWARD_CASES: ParityCase[] = [
  { name: 'returnSequences false (tanh)', batch: 4, steps: 12, inputSize: 5, hidden: 16, outputSize: 3 },
  { name: 'returnSequences true', batch: 3, steps: 10, inputSize: 4, hidden: 8, outputSize: 2, returnSequences: true },
  { name: 'initial state', batch: 4, steps: 8, inputSize: 3, hidden: 6, outputSize: 2, initialState: true },
  { name: 'activation relu', batch: 3, steps: 15, inputSize: 4, hidden: 10, outputSize: 2, activation: 'relu', returnSequences: true },
  { name: 'activation sigmoid', batch: 3, steps: 15, inputSize: 4, hidden: 10, outputSize: 2, activation: 'sigmoid' },
  { name: 'activation linear', batch: 3, steps: 15, inputSize: 4, hidden: 10, outputSize: 2, activation: 'linear', initialState: true },
  { name: 'useBias false', batch: 2, steps: 6, inputSize: 3, hidden: 5, outputSize: 2, useBias: false, returnSequences: true },
  { name: 'batch 1', batch: 1, steps: 20, inputSize: 8, hidden: 32, outputSize: 1 },
  { name: 'sequence length 1', batch: 5, steps: 1, inputSize: 4, hidden: 7, outputSize: 3, initialState: true },
  { name: 'long sequence T=256', batch: 2, steps: 256, inputSize: 4, hidden: 16, outputSize: 1, slow: true },
  { name: 'hidden size 1', batch: 3, steps: 10, inputSize: 2, hidden: 1, outputSize: 1, returnSequences: true },
  { name: 'hidden size 256', batch: 2, steps: 20, inputSize: 8, hidden: 256, outputSize: 4, slow: true },
  { name: 'goBackwards', batch: 3, steps: 9, inputSize: 4, hidden: 6, outputSize: 2, goBackwards: true, returnSequences: true },
  { name: 'mask', batch: 4, steps: 10, inputSize: 3, hidden: 6, outputSize: 2, mask: true, returnSequences: true },
  {
    name: 'goBackwards + mask + initial state (relu)',
    batch: 3, steps: 7, inputSize: 3, hidden: 5, outputSize: 2,
    goBackwards: true, mask: true, initialState: true, activation: 'relu',
  },
];

/** Gradient cases (loss Σ output ⊙ G for a fixed random G; linear head). */
export const GRADIENT_CASES: ParityCase[] = [
  { name: 'tanh, final output, initial state', batch: 3, steps: 8, inputSize: 4, hidden: 6, outputSize: 2, initialState: true },
  { name: 'relu, returnSequences', batch: 2, steps: 6, inputSize: 3, hidden: 5, outputSize: 2, activation: 'relu', returnSequences: true },
  { name: 'sigmoid, goBackwards + mask', batch: 3, steps: 7, inputSize: 3, hidden: 4, outputSize: 1, activation: 'sigmoid', goBackwards: true, mask: true, returnSequences: true, initialState: true },
  { name: 'linear, useBias false', batch: 2, steps: 5, inputSize: 2, hidden: 3, outputSize: 2, activation: 'linear', useBias: false },
  { name: 'tanh, T=60, H=32', batch: 4, steps: 60, inputSize: 6, hidden: 32, outputSize: 1, returnSequences: true, slow: true },
  { name: 'relu, goBackwards, initial state, T=40, H=24', batch: 3, steps: 40, inputSize: 5, hidden: 24, outputSize: 2, activation: 'relu', goBackwards: true, initialState: true },
];

/** A model for a case, with weights from the seed plus a non-zero bias so biases are exercised. */
export function modelFor(c: ParityCase): { model: BasicRNN; weights: RefWeights } {
  const seed = c.seed ?? 11;
  const model = new BasicRNN({
    hiddenSize: c.hidden,
    outputSize: c.outputSize,
    activation: c.activation ?? 'tanh',
    returnSequences: c.returnSequences ?? false,
    useBias: c.useBias ?? true,
    goBackwards: c.goBackwards ?? false,
    seed,
  });
  model.build([null, null, c.inputSize]);
  const useBias = c.useBias ?? true;
  const values: Float32Array[] = model.getWeights().map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  });
  if (useBias) {
    values[2] = uniform(c.hidden, seed + 1, -0.2, 0.2);
    values[4] = uniform(c.outputSize, seed + 2, -0.2, 0.2);
    const shapes = [[c.inputSize, c.hidden], [c.hidden, c.hidden], [c.hidden], [c.hidden, c.outputSize], [c.outputSize]];
    const tensors = values.map((v, i) => tf.tensor(v, shapes[i]));
    model.setWeights(tensors);
    tf.dispose(tensors);
  }
  const weights: RefWeights = useBias
    ? { kernel: values[0]!, recurrentKernel: values[1]!, bias: values[2]!, denseKernel: values[3]!, denseBias: values[4]! }
    : { kernel: values[0]!, recurrentKernel: values[1]!, denseKernel: values[2]! };
  return { model, weights };
}

/** A case's inputs as float32 arrays: x [B,T,I], and h0 [B,H] and mask [B,T] when the case has them. */
export interface CaseInputs {
  x: Float32Array;
  h0?: Float32Array;
  mask?: Float32Array;
}

/** Seeded inputs for a case (the same values on every backend). */
export function inputsFor(c: ParityCase): CaseInputs {
  const seed = (c.seed ?? 11) * 7;
  return {
    x: uniform(c.batch * c.steps * c.inputSize, seed),
    ...(c.initialState ? { h0: uniform(c.batch * c.hidden, seed + 1, -0.5, 0.5) } : {}),
    ...(c.mask ? { mask: randomMask(c.batch, c.steps, seed + 2) } : {}),
  };
}

/**
 * A check that compares under this run's tolerance for each quantity and records the share of it used (printed
 * at the end of the run with `BASICRNN_MEASURE=1`).
 */
export function makeCheck(backend: string, use: ToleranceUse): Check {
  return (quantity: Quantity, actual, expected, what) => {
    const r = compareArrays(actual, expected, toleranceFor(backend, quantity));
    use.record(quantity, r, what);
    expect(r.ok, `${what} (${quantity}): ${r.message}`).toBe(true);
  };
}

/**
 * Hooks of one run inside the caller's describe: activate the backend (after the context's setup, before its
 * check and `verify`), restore fused kernels afterwards and, with `BASICRNN_MEASURE=1`, print the share of each
 * tolerance used. Returns the run's check.
 */
export function registerRun(ctx: ParityContext, label: string, verify?: () => void): Check {
  const use = new ToleranceUse();
  beforeAll(async () => {
    await ctx.setup?.();
    await setBackend(ctx.backend);
    expect(getBackend()).toBe(ctx.backend);
    await ctx.check?.();
    verify?.();
  });
  afterAll(() => {
    setFusedKernelsEnabled(true);
    if (MEASURE) console.log(use.report(label, ctx.backend));
  });
  return makeCheck(ctx.backend, use);
}

/**
 * Registers the parity suite for one environment: forward and gradients against a float64 reference, training
 * steps through every loss, on the fused and composite paths, with core's gradients asserted to be the active
 * ones; core's gradient table against central differences; initial weights; no tensor leaks. Call at the top
 * level of a test file that does not load `@tensorflow/tfjs` (the tfjs-layers comparison is
 * `oracleParityTests`, from `@basicrnn/test-kit/oracle`, in a file of its own).
 */
export function parityTests(ctx: ParityContext): void {
  const label = ctx.label ?? ctx.backend;
  describe(`parity: ${label}`, () => {
    // Everything below checks core's gradients only if they are the registered ones.
    const check = registerRun(ctx, label, expectCoreGradientsActive);

    for (const fused of [true, false]) {
      const path = fused ? 'fused path' : 'composite path';
      describe(path, () => {
        beforeAll(() => setFusedKernelsEnabled(fused));
        activeGradientTests();
        trainingParityTests(ctx.backend, check);

        for (const c of FORWARD_CASES) {
          it.skipIf(FAST && c.slow === true)(`${c.slow ? 'slow: ' : ''}forward matches float64: ${c.name}`, () => {
            const before = tf.memory().numTensors;
            const { model, weights } = modelFor(c);
            const inp = inputsFor(c);
            const ref = referenceForward(refConfig(c), weights, inp);
            const x = tf.tensor3d(inp.x, [c.batch, c.steps, c.inputSize]);
            const h0 = inp.h0 ? tf.tensor2d(inp.h0, [c.batch, c.hidden]) : undefined;
            const mask = inp.mask ? tf.tensor2d(inp.mask, [c.batch, c.steps]) : undefined;
            const { output, state, hiddenStates } = model.call(x, {
              returnHiddenStates: true,
              ...(h0 ? { initialState: h0 } : {}),
              ...(mask ? { mask } : {}),
            });
            const outShape = c.returnSequences ? [c.batch, c.steps, c.outputSize] : [c.batch, c.outputSize];
            expect(output.shape).toEqual(outShape);
            expect(state.shape).toEqual([c.batch, c.hidden]);
            expect(hiddenStates!.shape).toEqual([c.batch, c.steps, c.hidden]);
            check('forward', hiddenStates!.dataSync(), ref.hidden, `${path}, ${c.name}: hiddenStates`);
            check('forward', state.dataSync(), ref.state, `${path}, ${c.name}: state`);
            check('forward', output.dataSync(), ref.output, `${path}, ${c.name}: output`);
            tf.dispose([x, h0, mask, output, state, hiddenStates].filter((t) => t !== undefined));
            model.dispose();
            expect(tf.memory().numTensors).toBe(before);
          });
        }

        for (const c of GRADIENT_CASES) {
          it.skipIf(FAST && c.slow === true)(`${c.slow ? 'slow: ' : ''}gradients match float64 BPTT: ${c.name}`, () => {
            const before = tf.memory().numTensors;
            const { model, weights } = modelFor(c);
            const inp = inputsFor(c);
            const outShape = c.returnSequences ? [c.batch, c.steps, c.outputSize] : [c.batch, c.outputSize];
            const upstream = uniform(outShape.reduce((a, b) => a * b, 1), 99);
            const ref = referenceBackward(refConfig(c), weights, inp, upstream);
            const x = tf.tensor3d(inp.x, [c.batch, c.steps, c.inputSize]);
            const h0 = tf.tensor2d(inp.h0 ?? new Float32Array(c.batch * c.hidden), [c.batch, c.hidden]);
            const mask = inp.mask ? tf.tensor2d(inp.mask, [c.batch, c.steps]) : undefined;
            const g = tf.tensor(upstream, outShape);
            const loss = (xx: tf.Tensor, hh: tf.Tensor) => {
              const { output, state } = model.call(xx, { initialState: hh, ...(mask ? { mask } : {}) });
              state.dispose();
              return tf.sum(tf.mul(output, g));
            };
            const variables = model.trainableVariables();
            const { value, grads } = tf.variableGrads(() => loss(x, h0) as tf.Scalar, variables);
            const [dx, dh0] = tf.grads((xx: tf.Tensor, hh: tf.Tensor) => loss(xx, hh))([x, h0]);
            const names = c.useBias === false ? (['kernel', 'recurrentKernel', 'denseKernel'] as const) : (['kernel', 'recurrentKernel', 'bias', 'denseKernel', 'denseBias'] as const);
            names.forEach((name, i) => check('gradient', grads[variables[i]!.name]!.dataSync(), ref[name], `${path}, ${c.name}: d${name}`));
            check('gradient', dx!.dataSync(), ref.x, `${path}, ${c.name}: dx`);
            check('gradient', dh0!.dataSync(), ref.h0, `${path}, ${c.name}: dh0`);
            tf.dispose([value, dx!, dh0!, x, h0, g, ...(mask ? [mask] : []), ...Object.values(grads)]);
            model.dispose();
            expect(tf.memory().numTensors).toBe(before);
          });
        }
      });
    }

    it('reports which path ran: fused kernels registered for this backend or not', () => {
      const forward = tf.getKernel(RnnSequence, ctx.backend) !== undefined;
      const backward = tf.getKernel(RnnSequenceGrad, ctx.backend) !== undefined;
      // A backend registers both halves or neither: a fused forward with a composite backward would still be
      // correct, but this guards against a half-finished registration.
      expect(forward).toBe(backward);
    });

    // The gradient functions are compositions of tfjs ops, the same on every backend: checked once, on cpu.
    if (ctx.backend === 'cpu') opGradientTests();
    initialWeightTests();

    it.skipIf(FAST)('slow: 1,000 forward passes leave tf.memory().numTensors unchanged', () => {
      const model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 3 });
      const x = tf.tensor3d(uniform(2 * 3 * 2, 5), [2, 3, 2]);
      const warm = model.call(x);
      tf.dispose([warm.output, warm.state]);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 1000; i++) {
        const { output, state } = model.call(x);
        output.dispose();
        state.dispose();
      }
      const y = model.predict(x);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    });
  });
}
