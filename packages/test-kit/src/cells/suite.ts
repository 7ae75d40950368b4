import * as tf from '@tensorflow/tfjs-core';
import {
  type RecurrenceAttrs,
  type RecurrenceInputs,
  SEQUENCE_OPS,
  getBackend,
  hiddenStateGradients,
  recurrence,
  recurrenceGrad,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CellCase, CELL_CASES, cellCaseInputs } from './cases.js';
import { type CellRefInputs, cellReferenceBackward, cellReferenceForward } from './reference.js';
import { cellToleranceFor } from './tolerances.js';

/** Where the cell suite runs (the same shape as the parity suite's context). */
export interface CellParityContext {
  /** Backend name to activate, e.g. 'wasm'. */
  backend: string;
  /** Shown in test names. */
  label?: string;
  /** Runs before the backend is activated. */
  setup?: () => Promise<void> | void;
  /** Extra assertions once the backend is active. */
  check?: () => Promise<void> | void;
}

type Path = 'composite' | 'fused';

/** Worst |diff| seen per `cell/path/quantity` in this process (printed after the suite, used for the tolerances). */
export const CELL_WORST: Map<string, number> = new Map();

function record(key: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }): void {
  expect(actual.length, `${key}: length`).toBe(expected.length);
  let worst = 0;
  let bad = -1;
  for (let k = 0; k < actual.length; k++) {
    const d = Math.abs(actual[k]! - expected[k]!);
    if (!(d <= worst)) worst = d;
    if (bad === -1 && !(d <= tol.atol + tol.rtol * Math.abs(expected[k]!))) bad = k;
  }
  CELL_WORST.set(key, Math.max(CELL_WORST.get(key) ?? 0, worst));
  expect(bad, bad === -1 ? '' : `${key}[${bad}]: ${actual[bad]} vs float64 ${expected[bad]} (max |diff| ${worst}, atol ${tol.atol}, rtol ${tol.rtol})`).toBe(-1);
}

/** float32 tensors for a case's float64 inputs (the values are float32-representable, so both see the same numbers). */
export function tensorsFor(c: CellCase, inp: CellRefInputs): RecurrenceInputs {
  const { batch: B, steps: T, inputSize: I, units: H } = c;
  const GH = inp.kernel.length / I;
  const t: RecurrenceInputs = {
    x: tf.tensor3d(Float32Array.from(inp.x), [B, T, I]),
    kernel: tf.tensor2d(Float32Array.from(inp.kernel), [I, GH]),
    recurrentKernel: tf.tensor2d(Float32Array.from(inp.recurrentKernel), [H, GH]),
    h0: tf.tensor2d(Float32Array.from(inp.h0), [B, H]),
  };
  if (inp.bias) t.bias = c.cell === 'gru' && c.resetAfter ? tf.tensor2d(Float32Array.from(inp.bias), [2, GH]) : tf.tensor1d(Float32Array.from(inp.bias));
  if (inp.c0) t.c0 = tf.tensor2d(Float32Array.from(inp.c0), [B, H]);
  if (inp.mask) {
    const m = tf.tensor2d(Float32Array.from(inp.mask), [B, T]);
    t.mask = c.mask === 'bool' ? tf.cast(m, 'bool') : m;
    if (c.mask === 'bool') m.dispose();
  }
  if (inp.recurrentDropoutMask) t.recurrentDropoutMask = tf.tensor2d(Float32Array.from(inp.recurrentDropoutMask), [B, H]);
  return t;
}

function attrsFor(c: CellCase): RecurrenceAttrs {
  return { cell: c.cell, activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: c.goBackwards, resetAfter: c.resetAfter };
}

/** Whether the active backend has fused kernels (forward and backward) for the cell. */
function hasFused(c: CellCase): boolean {
  const op = SEQUENCE_OPS[c.cell];
  return tf.getKernel(op.kernelName, tf.getBackend()) !== undefined && tf.getKernel(op.gradKernelName, tf.getBackend()) !== undefined;
}

/**
 * The op-level cell suite, written once and run per backend: every cell case of {@link CELL_CASES} through
 * `recurrence()` on the composite path and on the fused path where the backend registers kernels for the cell,
 * against the float64 references: forward states, gradients through the tape (core's one gradient and the
 * backward op on the fused path), the backward op called directly with per-step ∂loss/∂h_t, no leaked tensors,
 * and which kernels really ran.
 */
export function cellParityTests(ctx: CellParityContext): void {
  const label = ctx.label ?? ctx.backend;
  describe(`cell parity: ${label}`, () => {
    let previous = '';
    beforeAll(async () => {
      previous = getBackend();
      await ctx.setup?.();
      await setBackend(ctx.backend);
      await ctx.check?.();
    });
    afterAll(async () => {
      setFusedKernelsEnabled(true);
      const rows = [...CELL_WORST.entries()].map(([k, v]) => `${k}: ${v.toExponential(2)}`);
      console.log(`cell parity worst |diff| vs float64 (${label}):\n  ${rows.join('\n  ')}`);
      if (previous !== '' && previous !== ctx.backend) await setBackend(previous);
    });

    for (const path of ['composite', 'fused'] as const) {
      describe(path, () => {
        for (const c of CELL_CASES) {
          it(c.name, (test) => {
            if (path === 'fused' && !hasFused(c)) {
              test.skip(`${ctx.backend} registers no fused ${c.cell} kernels (composite covers it)`);
              return;
            }
            setFusedKernelsEnabled(path === 'fused');
            runCase(c, path, ctx.backend);
          });
        }
      });
    }

    describe('dispatch', () => {
      for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
        it(`${cell}: the fused kernel runs when registered and enabled, once forward and once backward; never when disabled`, async () => {
          const c = CELL_CASES.find((k) => k.cell === cell && !k.recurrentDropout)!;
          const op = SEQUENCE_OPS[cell];
          const counts = async (fused: boolean) => {
            setFusedKernelsEnabled(fused);
            const { inputs } = cellCaseInputs(c);
            const t = tensorsFor(c, inputs);
            const forward = await tf.profile(() => {
              const out = recurrence(t, attrsFor(c));
              tf.dispose(Object.values(out));
            });
            const backward = await tf.profile(() => {
              const g = tf.grad((x: tf.Tensor) => tf.sum(recurrence({ ...t, x }, attrsFor(c)).hiddenStates))(t.x);
              g.dispose();
            });
            tf.dispose(Object.values(t));
            return {
              forward: forward.kernelNames.filter((k) => k === op.kernelName).length,
              backward: backward.kernelNames.filter((k) => k === op.gradKernelName).length,
            };
          };
          const fusedCounts = await counts(true);
          const compositeCounts = await counts(false);
          setFusedKernelsEnabled(true);
          expect(compositeCounts).toEqual({ forward: 0, backward: 0 });
          if (hasFused(c)) expect(fusedCounts).toEqual({ forward: 1, backward: 1 });
          else expect(fusedCounts).toEqual({ forward: 0, backward: 0 });
        });
      }

      it('recurrent dropout runs the composite even where fused kernels exist', async () => {
        const c = CELL_CASES.find((k) => k.cell === 'lstm' && k.recurrentDropout)!;
        setFusedKernelsEnabled(true);
        const { inputs } = cellCaseInputs(c);
        const t = tensorsFor(c, inputs);
        const info = await tf.profile(() => tf.dispose(Object.values(recurrence(t, attrsFor(c)))));
        tf.dispose(Object.values(t));
        expect(info.kernelNames).not.toContain(SEQUENCE_OPS.lstm.kernelName);
      });
    });
  });
}

function runCase(c: CellCase, path: Path, backend: string): void {
  const tol = cellToleranceFor(backend);
  const before = tf.memory().numTensors;
  const { inputs, gh, gc } = cellCaseInputs(c);
  const lstm = c.cell === 'lstm';
  const ref = cellReferenceForward(c, inputs);
  const refGrads = cellReferenceBackward(c, inputs, gh, lstm ? gc : undefined);
  const t = tensorsFor(c, inputs);
  const attrs = attrsFor(c);
  const key = (q: string) => `${c.cell}/${path}/${q}`;

  const out = recurrence(t, attrs);
  record(key('h'), out.hiddenStates.dataSync(), ref.h, tol.forward);
  if (lstm) record(key('c'), out.cellStates!.dataSync(), ref.c!, tol.forward);
  tf.dispose(Object.values(out));

  // Gradients through the tape: loss = Σ h⊙gh (+ Σ c⊙gc).
  const ghT = tf.tensor3d(Float32Array.from(gh), out.hiddenStates.shape);
  const gcT = tf.tensor3d(Float32Array.from(gc), out.hiddenStates.shape);
  const names: (keyof RecurrenceInputs)[] = ['x', 'kernel', 'recurrentKernel', 'h0'];
  if (t.bias) names.push('bias');
  if (t.c0) names.push('c0');
  const grads = tf.grads((...args: tf.Tensor[]) => {
    const replaced: RecurrenceInputs = { ...t };
    names.forEach((n, k) => ((replaced as unknown as Record<string, tf.Tensor>)[n] = args[k]!));
    const o = recurrence(replaced, attrs);
    const lossH = tf.sum(tf.mul(o.hiddenStates, ghT));
    return lstm ? tf.add(lossH, tf.sum(tf.mul(o.cellStates!, gcT))) : lossH;
  })(names.map((n) => t[n] as tf.Tensor));
  const expected: Record<string, Float64Array> = {
    x: refGrads.dx,
    kernel: refGrads.dKernel,
    recurrentKernel: refGrads.dRecurrentKernel,
    h0: refGrads.dh0,
    bias: refGrads.dBias,
    c0: refGrads.dc0 ?? new Float64Array(0),
  };
  names.forEach((n, k) => record(key(`d${n}`), grads[k]!.dataSync(), expected[n]!, tol.gradient));
  tf.dispose(grads);

  // The backward op called directly, with per-step ∂loss/∂h_t.
  const direct = recurrenceGrad(t, attrs, { dh: ghT, ...(lstm ? { dc: gcT } : {}) }, { hiddenStateGrads: true });
  record(key('backward dx'), direct.dx.dataSync(), refGrads.dx, tol.gradient);
  record(key('backward dRecurrentKernel'), direct.dRecurrentKernel.dataSync(), refGrads.dRecurrentKernel, tol.gradient);
  if (t.bias) record(key('backward dBias'), direct.dBias.dataSync(), refGrads.dBias, tol.gradient);
  record(key('dHiddenStates'), direct.dHiddenStates!.dataSync(), refGrads.dHidden, tol.gradient);
  tf.dispose(Object.values(direct));
  const perStep = hiddenStateGradients(t, attrs, { dh: ghT, ...(lstm ? { dc: gcT } : {}) });
  record(key('dHiddenStates'), perStep.dataSync(), refGrads.dHidden, tol.gradient);
  perStep.dispose();

  tf.dispose([ghT, gcT, ...Object.values(t)]);
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
}
