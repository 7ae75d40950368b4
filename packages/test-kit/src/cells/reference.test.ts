// The float64 cell references' BPTT against float64 central finite differences of their own forward pass.
import { describe, expect, it } from 'vitest';
import { CELL_CASES, cellCaseInputs } from './cases.js';
import { type CellRefInputs, cellReferenceBackward, cellReferenceForward } from './reference.js';

describe('float64 cell references: BPTT equals finite differences', () => {
  // Small cases: every case but the long ones (T=40), which only repeat the same step.
  const cases = CELL_CASES.filter((c) => c.steps <= 7);
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { inputs, gh, gc } = cellCaseInputs(c);
    const loss = (inp: CellRefInputs) => {
      const out = cellReferenceForward(c, inp);
      let sum = 0;
      out.h.forEach((v, k) => (sum += v * gh[k]!));
      out.c?.forEach((v, k) => (sum += v * gc[k]!));
      return sum;
    };
    const grads = cellReferenceBackward(c, inputs, gh, c.cell === 'lstm' ? gc : undefined);
    const checks: [keyof CellRefInputs, Float64Array][] = [
      ['x', grads.dx],
      ['kernel', grads.dKernel],
      ['recurrentKernel', grads.dRecurrentKernel],
      ['h0', grads.dh0],
    ];
    if (inputs.bias) checks.push(['bias', grads.dBias]);
    if (inputs.c0) checks.push(['c0', grads.dc0!]);
    const eps = 1e-6;
    for (const [key, analytic] of checks) {
      const arr = inputs[key] as Float64Array;
      expect(analytic.length, key).toBe(arr.length);
      for (let k = 0; k < arr.length; k++) {
        const keep = arr[k]!;
        arr[k] = keep + eps;
        const up = loss(inputs);
        arr[k] = keep - eps;
        const down = loss(inputs);
        arr[k] = keep;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(numeric - analytic[k]!), `${key}[${k}]: numeric ${numeric} vs BPTT ${analytic[k]}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(numeric));
      }
    }
  });

  it('dHidden is the gradient of the loss with respect to each hidden state (perturbing h_t through the next steps)', () => {
    // With T = 1 the total gradient reaching h_0 is just dh; with h0 as "the state before step 0", dh0 equals
    // the gradient reaching that state: so dHidden at step t equals dh0 of the same sequence started at t + 1.
    const c = CELL_CASES.find((k) => k.cell === 'gru' && k.resetAfter && k.steps <= 7 && k.mask === false)!;
    const { inputs, gh } = cellCaseInputs(c);
    const full = cellReferenceBackward(c, inputs, gh);
    const { batch: B, steps: T, inputSize: I, units: H } = c;
    const fwd = cellReferenceForward(c, inputs);
    const t = 2;
    const tail: CellRefInputs = {
      ...inputs,
      x: new Float64Array(B * (T - t - 1) * I),
      h0: new Float64Array(B * H),
    };
    for (let n = 0; n < B; n++) {
      tail.x.set(inputs.x.subarray((n * T + t + 1) * I, (n + 1) * T * I), n * (T - t - 1) * I);
      tail.h0.set(fwd.h.subarray((n * T + t) * H, (n * T + t + 1) * H), n * H);
    }
    const tailGh = new Float64Array(B * (T - t - 1) * H);
    for (let n = 0; n < B; n++) tailGh.set(gh.subarray((n * T + t + 1) * H, (n + 1) * T * H), n * (T - t - 1) * H);
    const tailGrads = cellReferenceBackward({ ...c, steps: T - t - 1 }, tail, tailGh);
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < H; j++) {
        const expected = tailGrads.dh0[n * H + j]! + gh[(n * T + t) * H + j]!;
        expect(full.dHidden[(n * T + t) * H + j]).toBeCloseTo(expected, 12);
      }
    }
  });
});
