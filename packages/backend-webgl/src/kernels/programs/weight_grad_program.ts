import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { MASK_SELECT_GLSL, PACKED_HELPERS, maskGlsl } from './glsl.js';

/** Which sequence a {@link WeightGradProgram} multiplies with dz. */
export type WeightGradSource =
  /** x [B, T, I] in original time order (dW): step s reads x at T-1-s with goBackwards. */
  | 'input'
  /** The previous states h_{s-1} (dU): h0 [B, H] at step 0, else hiddenStates [B, T, H] at s-1. */
  | 'previousState';

/**
 * A weight gradient summed over every batch row and timestep in one program:
 * `out[k, n] = Σ_b Σ_s a[b, s, k] · dz[b, s, n]`, packed [K, N]. With a = x this is dW, with a = h_{s-1} it is
 * dU. Each output texel walks the (b, s) pairs two steps per texel read, the same 2×2 outer-product update
 * tfjs's packed matmul uses.
 * With `masked` ('input' only) the rows of masked steps are zeroed by select before the product: dz is 0 there,
 * but x may be NaN (padding), and 0·NaN is NaN.
 * Inputs: `deltas` dz [B, T, N] (processing order, zero padding), then `xs` [B, T, K] and `mask` [B, T] (masked) for 'input', or
 * `states` [B, T, K] and `h0` [B, K] for 'previousState'; with T even the [B, T, ·] ones as [B·T, ·] views
 * ({@link weightGradReadsFlat}).
 */
export class WeightGradProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, steps: number, inner: number, outer: number, source: WeightGradSource, goBackwards: boolean, masked = false) {
    const splits = weightGradSplits(batch, steps);
    this.outputShape = splits > 1 ? [splits, inner, outer] : [inner, outer];
    const maskInput = masked && source === 'input';
    this.variableNames = source === 'input' ? ['deltas', 'xs', ...(maskInput ? ['mask'] : [])] : ['deltas', 'states', 'h0'];
    const code = steps % 2 === 0
      ? flatLoop(batch, steps, inner, outer, source, goBackwards, splits, maskInput)
      : nestedLoop(batch, steps, inner, outer, source, goBackwards, maskInput);
    // The mask helpers go after PACKED_HELPERS (they use elementOf): both loops start with it.
    this.userCode = code.replace(PACKED_HELPERS, `${PACKED_HELPERS}\n${maskGlsl(maskInput, steps, goBackwards)}\n${MASK_SELECT_GLSL}`);
  }
}

/** Rows (b, s pairs) one partial sum of {@link WeightGradProgram} covers when the sum is split. */
export const WEIGHT_GRAD_SPLIT_ROWS = 256;

/**
 * How many partial sums {@link WeightGradProgram} writes, [splits, K, N], for {@link PartialSumProgram} to add
 * up; 1: it writes [K, N] itself. Only the flat loop (T even) splits, and only past 4 splits' worth of rows.
 * Why: every output texel walks a column of both [B·T, ·] inputs; past the L2 cache (1 MiB per core here:
 * B8·T250·H128 is 1 MiB per input) each walk streams from L3 or memory, and the cost grew faster than B·T
 * (T=1000 cost up to 11× T=250 on a loaded machine). A split reads 256 rows, 128 KiB at H = 128, that
 * every fragment of the split shares.
 */
export function weightGradSplits(batch: number, steps: number): number {
  if (!weightGradReadsFlat(steps)) return 1;
  const rows = batch * steps;
  return rows >= 4 * WEIGHT_GRAD_SPLIT_ROWS ? Math.ceil(rows / WEIGHT_GRAD_SPLIT_ROWS) : 1;
}

/** Sums [S, K, N] partial weight gradients over S: the second half of a split {@link WeightGradProgram}. */
export class PartialSumProgram implements GPGPUProgram {
  variableNames = ['partials'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(splits: number, inner: number, outer: number) {
    this.outputShape = [inner, outer];
    this.userCode = `
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 acc = vec4(0.0);
        for (int i = 0; i < ${splits}; i++) acc += getPartials(i, rc.x, rc.y);
        setOutput(acc);
      }
    `;
  }
}

/**
 * Whether {@link WeightGradProgram} reads its [B, T, ·] inputs as 2-D [B·T, ·] views (pass them reshaped): with T
 * even the packed texture of [B, T, K] is also that of [B·T, K], so the reshape is free, and a 2-D sampler plus
 * one flat loop over the B·T rows costs about a third of the 3-D samplers and nested loops (measured on L,
 * B64·T100·H256: dW + dU 1,121 ms → see README).
 */
export function weightGradReadsFlat(steps: number): boolean {
  return steps % 2 === 0;
}

const ZERO_PADDING = (inner: number, outer: number) => `
        if (k + 1 >= ${inner}) acc.zw = vec2(0.0);
        if (n + 1 >= ${outer}) { acc.y = 0.0; acc.w = 0.0; }
        setOutput(acc);`;

/** T even: the inputs are [B·T, ·] views; one loop over row pairs r, r+1 (r even, never straddling a batch row). */
function flatLoop(
  batch: number,
  steps: number,
  inner: number,
  outer: number,
  source: WeightGradSource,
  goBackwards: boolean,
  splits: number,
  masked: boolean,
): string {
  let rows: string;
  if (source === 'previousState') {
    // h_{s-1} for rows r, r+1 straddles two texels: carry the odd half of the texel before in \`earlier\`, reset
    // to h0's row at the start of every batch row (a branch every fragment takes together).
    rows = `if (r == boundary) {
              earlier = rowOf(getH0(b, k), imod(b, 2));
              b++;
              boundary += ${steps};
            }
            vec4 current = getStates(r, k);
            vec4 a = vec4(earlier, current.xy);
            earlier = current.zw;`;
  } else if (goBackwards) {
    // Processing steps s, s+1 (s even) are original steps T-1-s (odd) and T-2-s: one texel, rows swapped.
    rows = `int s = r - (r / ${steps}) * ${steps};
            vec4 a = getXs(r - s + ${steps - 2} - s, k).zwxy;`;
  } else {
    rows = 'vec4 a = getXs(r, k);';
  }
  if (masked && source === 'input') {
    // a holds processing steps s, s+1 of batch row r / T (T even: never past the row).
    rows += `
            int maskRow = r / ${steps};
            int maskStep = r - maskRow * ${steps};
            a = maskZero(vec4(vec2(maskAt(maskRow, maskStep)), vec2(maskAt(maskRow, maskStep + 1))), a);`;
  }
  return `
      ${PACKED_HELPERS}

      void main() {
        ${splits > 1 ? 'ivec3 rc = getOutputCoords(); int split = rc.x; int k = rc.y; int n = rc.z;' : 'ivec2 rc = getOutputCoords(); int split = 0; int k = rc.x; int n = rc.y;'}
        vec4 acc = vec4(0.0);
        int first = split * ${WEIGHT_GRAD_SPLIT_ROWS};
        ${source === 'previousState' ? `
        // A split starting inside a batch row carries h_{s-1} from the row before it (T even: never h0 there).
        int b = first / ${steps};
        int boundary = b * ${steps};
        vec2 earlier = vec2(0.0);
        if (first != boundary) {
          earlier = getStates(first - 2, k).zw;
          b++;
          boundary += ${steps};
        }` : ''}
        // Constant loop bounds (GLSL ES 1.0); the last split stops at the end of the rows.
        for (int i = 0; i < ${splits > 1 ? WEIGHT_GRAD_SPLIT_ROWS : batch * steps}; i += 2) {
          int r = first + i;
          ${splits > 1 ? `if (r >= ${batch * steps}) break;` : ''}
          ${rows}
          vec4 d = getDeltas(r, n);
          acc += a.xxyy * d.xyxy + a.zzww * d.zwzw;
        }
        ${ZERO_PADDING(inner, outer)}
      }
    `;
}

/** T odd: [B, T, ·] inputs read with 3-D samplers, a loop over batch rows and one over step pairs. */
function nestedLoop(batch: number, steps: number, inner: number, outer: number, source: WeightGradSource, goBackwards: boolean, masked: boolean): string {
    // \`a\`: rows s and s+1 (processing order, s even) of the source, columns k and k+1, in texel order. For
    // h_{s-1} those rows straddle two texels of the states: the loop carries the odd half of the texel before
    // (h0's row at s = 0) in \`earlier\`, so a pair of steps still costs one read.
    let rows: string;
    if (source === 'previousState') {
      rows = `vec4 current = getStates(b, s, k);
        vec4 a = vec4(earlier, current.xy);
        earlier = current.zw;`;
    } else if (goBackwards) {
      rows = `int t0 = ${steps - 1} - s;
        int t1 = ${steps - 2} - s;
        if (t1 < 0) t1 = 0;
        vec4 a = vec4(rowOf(getXs(b, t0, k), imod(t0, 2)), rowOf(getXs(b, t1, k), imod(t1, 2)));`;
    } else {
      rows = 'vec4 a = getXs(b, s, k);';
    }
    if (masked && source === 'input') {
      // Rows s, s+1 in processing order (the odd T's last step: s+1 is clamped, and its half unused).
      rows += `
        a = maskZero(vec4(vec2(maskAt(b, s)), vec2(maskAt(b, s + 1 < ${steps} ? s + 1 : s))), a);`;
    }
    const full = steps - (steps % 2);
    const initEarlier = source === 'previousState' ? 'vec2 earlier = rowOf(getH0(b, k), imod(b, 2));' : '';
    return `
      ${PACKED_HELPERS}

      void main() {
        ivec2 rc = getOutputCoords();
        int k = rc.x;
        int n = rc.y;
        vec4 acc = vec4(0.0);
        for (int b = 0; b < ${batch}; b++) {
          ${initEarlier}
          for (int s = 0; s < ${full}; s += 2) {
            ${rows}
            vec4 d = getDeltas(b, s, n);
            acc += a.xxyy * d.xyxy + a.zzww * d.zwzw;
          }
          ${steps % 2 === 1 ? `{
            // The last step of an odd T has no partner row: use only the first half of the texels.
            int s = ${steps - 1};
            ${rows}
            vec4 d = getDeltas(b, s, n);
            acc += a.xxyy * d.xyxy;
          }` : ''}
        }
        ${ZERO_PADDING(inner, outer)}
      }
    `;
}
