import { describe, expect, it } from 'vitest';
import { randomMask, uniform } from './data.js';
import { type RefConfig, type RefWeights, referenceBackward, referenceForward } from './reference.js';

// The float64 reference is the strongest oracle, so it is itself checked: its BPTT against central finite
// differences of its forward pass (float64, so differences are accurate to ~1e-9).
describe('float64 reference', () => {
  const cases: (RefConfig & { mask?: boolean; h0?: boolean })[] = [
    { batch: 2, steps: 5, inputSize: 3, hidden: 4, outputSize: 2, activation: 'tanh', returnSequences: false, h0: true },
    { batch: 2, steps: 4, inputSize: 2, hidden: 3, outputSize: 2, activation: 'sigmoid', returnSequences: true, goBackwards: true, mask: true },
    { batch: 3, steps: 6, inputSize: 2, hidden: 5, outputSize: 1, activation: 'linear', returnSequences: true },
    { batch: 2, steps: 5, inputSize: 4, hidden: 6, outputSize: 3, activation: 'relu', returnSequences: false, mask: true, h0: true },
  ];

  it.each(cases.map((c, i) => [i, c] as const))('BPTT equals central finite differences (case %i)', (_, c) => {
    const { batch: B, steps: T, inputSize: I, hidden: H, outputSize: O } = c;
    const w: Record<'kernel' | 'recurrentKernel' | 'bias' | 'denseKernel' | 'denseBias', Float64Array> = {
      kernel: Float64Array.from(uniform(I * H, 1, -0.8, 0.8)),
      recurrentKernel: Float64Array.from(uniform(H * H, 2, -0.6, 0.6)),
      bias: Float64Array.from(uniform(H, 3, -0.3, 0.3)),
      denseKernel: Float64Array.from(uniform(H * O, 4)),
      denseBias: Float64Array.from(uniform(O, 5)),
    };
    const inp = {
      x: Float64Array.from(uniform(B * T * I, 6)),
      ...(c.h0 ? { h0: Float64Array.from(uniform(B * H, 7, -0.5, 0.5)) } : {}),
      ...(c.mask ? { mask: randomMask(B, T, 8) } : {}),
    };
    const rows = c.returnSequences ? B * T : B;
    const upstream = Float64Array.from(uniform(rows * O, 9));
    const loss = (weights: RefWeights, inputs: typeof inp) =>
      referenceForward(c, weights, inputs).output.reduce((s, v, i) => s + v * upstream[i]!, 0);
    const grads = referenceBackward(c, w, inp, upstream);
    const eps = 1e-6;
    /** Which relu units are on, over every step: a central difference is a derivative only if none flips. */
    const pattern = () => referenceForward(c, w, inp).hidden.map((h) => (h > 0 ? 1 : 0)).join('');
    /** Central difference of the loss with respect to arr[k], or null when it straddles a relu kink. */
    const numeric = (arr: Float64Array, k: number) => {
      const keep = arr[k]!;
      arr[k] = keep + eps;
      const plus = loss(w, inp);
      const patternPlus = c.activation === 'relu' ? pattern() : '';
      arr[k] = keep - eps;
      const minus = loss(w, inp);
      const patternMinus = c.activation === 'relu' ? pattern() : '';
      arr[k] = keep;
      return patternPlus === patternMinus ? (plus - minus) / (2 * eps) : null;
    };
    let checked = 0;
    let total = 0;
    const all: [Float64Array, Float64Array][] = [
      ...(Object.keys(w) as (keyof typeof w)[]).map((name) => [w[name], grads[name]] as [Float64Array, Float64Array]),
      [inp.x, grads.x],
      ...(inp.h0 ? [[inp.h0, grads.h0] as [Float64Array, Float64Array]] : []),
    ];
    for (const [values, analytic] of all) {
      for (let k = 0; k < values.length; k++) {
        total++;
        const n = numeric(values, k);
        // Skipped only where the ±eps step switches a relu unit on or off (decided from the forward pass, not
        // from the disagreement); elsewhere relu is linear and the difference is exact up to rounding.
        if (n === null) continue;
        expect(analytic[k]!, `element ${k}`).toBeCloseTo(n, 6);
        checked++;
      }
    }
    // Every element is checked, bar at most a handful at relu kinks (none expected with eps = 1e-6).
    expect(total - checked).toBeLessThanOrEqual(c.activation === 'relu' ? 2 : 0);
  });
});
