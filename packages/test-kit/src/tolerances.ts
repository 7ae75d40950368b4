/**
 * Parity tolerances, in one place. A value passes when |actual − expected| ≤ atol + rtol·|expected|.
 * The reference is float64, so every tolerance is the float32 error a backend accumulates, not slack.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
  reason: string;
}

export const TOLERANCES: Record<string, Tolerance> = {
  cpu: {
    atol: 2e-5,
    rtol: 2e-4,
    reason: 'float32 arithmetic in JS typed arrays: ~1e-7 rounding per op, accumulated over H-long dot products and T steps',
  },
  wasm: {
    atol: 2e-5,
    rtol: 2e-4,
    reason: 'float32 XNNPACK matmuls (SIMD FMA, different summation order than cpu) and libm tanh/exp',
  },
  webgl: {
    atol: 2e-4,
    rtol: 2e-3,
    reason: 'float32 textures, but GLSL tanh/exp are approximations (SwiftShader here), and packed matmuls reorder sums',
  },
};

/** Gradients accumulate T·B terms per weight, so they get 5× the forward tolerance. */
export const GRADIENT_FACTOR = 5;

export function toleranceFor(backend: string): Tolerance {
  const t = TOLERANCES[backend];
  if (!t) throw new Error(`no parity tolerance is defined for backend '${backend}'`);
  return t;
}

/** Largest violation of the tolerance, with where it happened (for readable failures). */
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Pick<Tolerance, 'atol' | 'rtol'>,
): { ok: boolean; maxAbsDiff: number; worstIndex: number; message: string } {
  if (actual.length !== expected.length) {
    return { ok: false, maxAbsDiff: Infinity, worstIndex: -1, message: `length ${actual.length} ≠ expected ${expected.length}` };
  }
  let maxAbsDiff = 0;
  let worstIndex = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    if (!(diff <= tol.atol + tol.rtol * Math.abs(e))) {
      const excess = Number.isNaN(diff) ? Infinity : diff - (tol.atol + tol.rtol * Math.abs(e));
      if (worstIndex === -1 || excess > worstExcess) {
        worstExcess = excess;
        worstIndex = i;
      }
    }
    if (diff > maxAbsDiff || Number.isNaN(diff)) maxAbsDiff = Number.isNaN(diff) ? NaN : diff;
  }
  const ok = worstIndex === -1;
  const message = ok
    ? `max |diff| ${maxAbsDiff.toExponential(2)}`
    : `index ${worstIndex}: ${actual[worstIndex]} vs expected ${expected[worstIndex]} (max |diff| ${maxAbsDiff}, atol ${tol.atol}, rtol ${tol.rtol})`;
  return { ok, maxAbsDiff, worstIndex, message };
}
