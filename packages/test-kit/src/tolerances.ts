/**
 * Parity tolerances, in one place: per backend, per cell, per quantity. A value passes when
 * |actual − expected| ≤ atol + rtol·|expected|. The references are float64 (or, for `oracle`, tfjs-layers on
 * the same backend), so a tolerance is the float32 error a backend accumulates, not slack.
 *
 * Each value is set from the measured worst case with a stated margin: `BASICRNN_MEASURE=1` makes every
 * parity run print, per quantity, its largest |diff| / (atol + rtol·|ref|) (the share of the tolerance used)
 * and where it happened. The comment beside each entry records that worst share per environment.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
  reason: string;
}

/**
 * What is compared:
 * - `forward`: hidden states, final states and outputs against the float64 forward pass;
 * - `gradient`: every weight's, the input's and the initial state's gradient against float64 BPTT (and the
 *   loss gradients of one SGD step, through each loss);
 * - `update`: one optimizer step's weight change (SGD, and each Adam step fed our gradients) against float64;
 * - `oracle`: outputs and states against tfjs-layers with the same weights on the same backend (float32 on
 *   both sides, so about the sum of both sides' forward errors).
 */
export type Quantity = 'forward' | 'gradient' | 'update' | 'oracle';
/** Every quantity, in report order. */
export const QUANTITIES: readonly Quantity[] = ['forward', 'gradient', 'update', 'oracle'];

/** Tolerances of one cell on one backend. */
export type CellTolerances = Record<Quantity, Tolerance>;

/**
 * backend → cell → quantity. Cells other than `simpleRNN` (e.g. `lstm`, `gru`) go beside it, each with its own
 * measured values.
 */
export const TOLERANCES: Record<string, Record<string, CellTolerances>> = {
  // Margin: every bound is about 3× the worst |diff| measured over the whole suite (slow cases included), on the
  // fused and the composite path, in every environment the backend runs in. Measured 2026-11-30 (this machine:
  // Node 20.20, Debian Chromium, SwiftShader WebGL2).
  cpu: {
    simpleRNN: {
      // Measured worst: Node 34% / Chromium 34% (|diff| 5.2e-7; composite path, linear activation, hidden states).
      forward: {
        atol: 5e-7,
        rtol: 5e-6,
        reason: 'float32 arithmetic in JS typed arrays: ~6e-8 rounding per op, accumulated over H-long dot products and T steps',
      },
      // Measured worst: Node 29% / Chromium 29% (|diff| 1.1e-6; T=60, H=32, dRecurrentKernel).
      gradient: {
        atol: 1.5e-6,
        rtol: 1.5e-5,
        reason: 'float32 BPTT sums B·T terms per weight and carries the error of the forward states',
      },
      // Measured worst: Node 30% / Chromium 30% (|diff| 1.6e-7; an Adam step's update of a kernel).
      update: {
        atol: 5e-7,
        rtol: 5e-6,
        reason: 'the new float32 weight rounds the update to ~6e-8·|w|; Adam divides by √v̂ + ε in float32',
      },
      // Measured worst: Node 36% / Chromium 36% (|diff| 2.4e-7; goBackwards, output).
      oracle: { atol: 3e-7, rtol: 3e-6, reason: 'both sides float32 on the same backend, in another op order' },
    },
  },
  wasm: {
    simpleRNN: {
      // Measured worst: Node 36% / Chromium 36% / Chromium threaded 36% (|diff| 8.3e-7; fused path, H=256).
      forward: {
        atol: 2e-6,
        rtol: 2e-5,
        reason: 'float32 XNNPACK matmuls and SIMD fused kernels (FMA, another summation order than cpu), libm tanh/exp',
      },
      // Measured worst: Node 30% / Chromium 30% / threaded 30% (|diff| 2.9e-6; fused path, T=60, H=32, dRecurrentKernel).
      gradient: { atol: 5e-6, rtol: 5e-5, reason: 'as cpu, with the fused backward kernel’s summation order' },
      // Measured worst: Node 28% / Chromium 28% / threaded 28% (|diff| 1.6e-7; an Adam step's update).
      update: { atol: 5e-7, rtol: 5e-6, reason: 'as cpu' },
      // Measured worst: Node 33% / Chromium 33% / threaded 33% (|diff| 3.6e-7; goBackwards + mask + initial state, state).
      oracle: { atol: 6e-7, rtol: 6e-6, reason: 'both sides float32 on the same backend: fused kernel against tfjs-layers’ ops' },
    },
  },
  webgl: {
    simpleRNN: {
      // Measured worst: Chromium 29% (|diff| 9.3e-7; fused path, H=256, hidden states).
      forward: {
        atol: 2e-6,
        rtol: 2e-5,
        reason: 'float32 textures; GLSL tanh/exp (SwiftShader here: a real GPU’s may be less exact) and packed matmuls reorder sums',
      },
      // Measured worst: Chromium 35% (|diff| 6.1e-6; fused path, T=60, H=32, dKernel).
      gradient: { atol: 3e-6, rtol: 3e-5, reason: 'GLSL approximations carried through BPTT' },
      // Measured worst: Chromium 30% (|diff| 1.7e-7; an Adam step's update of the recurrent kernel).
      update: { atol: 5e-7, rtol: 5e-6, reason: 'float32 rounding of the weights, as cpu' },
      // Measured worst: Chromium 35% (|diff| 2.7e-7; composite path, goBackwards + mask + initial state, output).
      oracle: { atol: 5e-7, rtol: 5e-6, reason: 'both sides float32 on the same backend, in another op order' },
    },
  },
};

/**
 * Widening of the forward tolerance for gradients, kept for suites that compare a fused gradient with the
 * composite one on the same backend.
 * @deprecated Use `toleranceFor(backend, 'gradient')`, which is set from measured data.
 */
export const GRADIENT_FACTOR = 5;

/** The tolerance of `quantity` for `cell` on `backend`; throws when none is defined (no silent default). */
export function toleranceFor(backend: string, quantity: Quantity = 'forward', cell = 'simpleRNN'): Tolerance {
  const byCell = TOLERANCES[backend];
  if (!byCell) throw new Error(`no parity tolerance is defined for backend '${backend}'`);
  const t = byCell[cell]?.[quantity];
  if (!t) throw new Error(`no parity tolerance is defined for cell '${cell}', quantity '${quantity}' on backend '${backend}'`);
  return t;
}

/** The result of comparing two arrays under a tolerance. */
export interface Comparison {
  ok: boolean;
  maxAbsDiff: number;
  /** Largest |diff| / (atol + rtol·|expected|): the share of the tolerance used (≤ 1 passes). */
  worstRatio: number;
  /** Index of the largest violation (or of the largest share when none is violated); −1 for empty arrays. */
  worstIndex: number;
  message: string;
}

/** Largest violation of the tolerance, with where it happened (for readable failures), and the share used. */
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Pick<Tolerance, 'atol' | 'rtol'>,
): Comparison {
  if (actual.length !== expected.length) {
    return { ok: false, maxAbsDiff: Infinity, worstRatio: Infinity, worstIndex: -1, message: `length ${actual.length} ≠ expected ${expected.length}` };
  }
  let maxAbsDiff = 0;
  let worstRatio = 0;
  let worstIndex = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    const ratio = Number.isNaN(diff) ? Infinity : diff / (tol.atol + tol.rtol * Math.abs(e));
    if (ratio > worstRatio || worstIndex === -1) {
      worstRatio = ratio;
      worstIndex = i;
    }
    if (diff > maxAbsDiff || Number.isNaN(diff)) maxAbsDiff = Number.isNaN(diff) ? NaN : diff;
  }
  const ok = worstRatio <= 1;
  const where = worstIndex === -1 ? '' : `index ${worstIndex}: ${actual[worstIndex]} vs expected ${expected[worstIndex]}, `;
  const message = `${where}max |diff| ${maxAbsDiff.toExponential(2)}, ${(100 * worstRatio).toFixed(1)}% of the tolerance (atol ${tol.atol}, rtol ${tol.rtol})`;
  return { ok, maxAbsDiff, worstRatio, worstIndex, message };
}

/** The worst share of a tolerance seen per quantity in one parity run, for `BASICRNN_MEASURE=1` reports. */
export class ToleranceUse {
  private readonly worst = new Map<Quantity, { ratio: number; maxAbsDiff: number; where: string }>();

  /** Records one comparison of `quantity` made at `where`. */
  record(quantity: Quantity, comparison: Comparison, where: string): void {
    const seen = this.worst.get(quantity);
    if (!seen || comparison.worstRatio > seen.ratio || Number.isNaN(comparison.worstRatio)) {
      this.worst.set(quantity, { ratio: comparison.worstRatio, maxAbsDiff: Math.max(seen?.maxAbsDiff ?? 0, comparison.maxAbsDiff), where });
    } else if (comparison.maxAbsDiff > seen.maxAbsDiff) {
      seen.maxAbsDiff = comparison.maxAbsDiff;
    }
  }

  /** One line per quantity: worst share of the tolerance, largest |diff|, and where the worst share was. */
  report(label: string, backend: string, cell = 'simpleRNN'): string {
    const lines = [`[tolerance-use] ${label} (backend ${backend}, cell ${cell})`];
    for (const q of QUANTITIES) {
      const w = this.worst.get(q);
      if (!w) continue;
      const t = toleranceFor(backend, q, cell);
      lines.push(
        `[tolerance-use]   ${q.padEnd(8)} worst ${(100 * w.ratio).toPrecision(3)}% of atol ${t.atol} + rtol ${t.rtol}·|ref| (max |diff| ${w.maxAbsDiff.toExponential(2)}) at ${w.where}`,
      );
    }
    return lines.join('\n');
  }
}
