// Weight gradients over long time-major sequences as products of row-contiguous (transposed) inputs.
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { MASK_SELECT_GLSL, PACKED_HELPERS, maskGlsl } from './glsl.js';
import type { WeightGradSource } from './weight_grad_program.js';

/**
 * `out[c, r] = source[r, c]`, packed [C, R] from packed [R, C]: each output texel is one source texel with its
 * off-diagonal swapped. Padding elements (an odd C or R) are copied as they are; the weight-gradient product
 * below zeroes the output elements they could reach.
 */
export class PackedTransposeProgram implements GPGPUProgram {
  variableNames = ['source'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode = `
    void main() {
      ivec2 rc = getOutputCoords();
      setOutput(getSource(rc.y, rc.x).xzyw);
    }
  `;

  constructor(rows: number, cols: number) {
    this.outputShape = [cols, rows];
  }
}

/**
 * `out[k, n] = Σ_r aT[k, r] · deltasT[offset + n, r]`, packed [K, N]: a weight gradient (dW with a = x, dU with
 * a = h_{s-1}) summed over every time-major row r, from the TRANSPOSED inputs ({@link PackedTransposeProgram}).
 * Why: `TimeMajorWeightGradProgram` (and the SimpleRNN's `WeightGradProgram`) walk a column of both [R, ·] inputs per output texel, one cache line
 * per texel read; here both walks run along texture rows (B64·T100·H256 LSTM dU, SwiftShader: ~1.1 s with the
 * transposes against ~1.5–2.2 s for the column walks in 256-row partial sums, loaded machine).
 * With `second`, the columns from `switchColumn` on read `a2T` from its row `offset` instead (GRU without
 * resetAfter: U_h multiplies r⊙h_{s-1}).
 * Inputs: `aT` [K, R], `deltasT` [·, R], `a2T` [·, R] (with second). R is even; padding rows of the original
 * [R, ·] inputs (odd B) are zero.
 */
export class TransposedWeightGradProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, inner: number, outer: number, offset: number, second: { switchColumn: number; offset: number } | null) {
    this.variableNames = second === null ? ['aT', 'deltasT'] : ['aT', 'deltasT', 'a2T'];
    this.outputShape = [inner, outer];
    const read = second === null ? 'getAT(k, r)' : `n >= ${second.switchColumn} ? getA2T(${second.offset} + k, r) : getAT(k, r)`;
    this.userCode = `
      void main() {
        ivec2 rc = getOutputCoords();
        int k = rc.x;
        int n = rc.y;
        vec4 acc = vec4(0.0);
        for (int r = 0; r < ${rows}; r += 2) {
          // a: rows k, k+1 × steps r, r+1; d: rows n, n+1 × steps r, r+1.
          vec4 a = ${read};
          vec4 d = getDeltasT(${offset} + n, r);
          acc += a.xxzz * d.xzxz + a.yyww * d.ywyw;
        }
        if (k + 1 >= ${inner}) acc.zw = vec2(0.0);
        if (n + 1 >= ${outer}) { acc.y = 0.0; acc.w = 0.0; }
        setOutput(acc);
      }
    `;
  }
}

/**
 * The SimpleRNN weight-gradient operand of every (b, s) row, transposed: `out[k, b·T + s]`, packed [K, B·T], T
 * even, in processing order s like dz: x at the original step (T-1-s with goBackwards), zeroed by select at
 * masked steps with `masked` (x may be NaN there; 0·NaN is NaN), or h_{s-1} (h0 at s = 0) for dU. The
 * {@link TransposedWeightGradProgram} then walks texture rows. Inputs: `xs` [B·T, K] view (and `mask` [B, T])
 * for 'input'; `states` [B·T, K] view and `h0` [B, K] for 'previousState'.
 */
export class SequenceOperandTransposeProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, steps: number, inner: number, source: WeightGradSource, goBackwards: boolean, masked: boolean) {
    if (steps % 2 !== 0) throw new Error(`SequenceOperandTransposeProgram: T must be even, got ${steps}`);
    const maskInput = masked && source === 'input';
    this.variableNames = source === 'input' ? ['xs', ...(maskInput ? ['mask'] : [])] : ['states', 'h0'];
    this.outputShape = [inner, batch * steps];
    // \`a\`: processing steps s, s+1 of batch row b (texel rows), columns k, k+1.
    let rows: string;
    if (source === 'previousState') {
      rows = `
        vec2 earlier = s == 0 ? rowOf(getH0(b, k), imod(b, 2)) : getStates(r - 2, k).zw;
        vec4 a = vec4(earlier, getStates(r, k).xy);`;
    } else {
      // Processing steps s, s+1 (s even) are original steps T-1-s and T-2-s: one texel, rows swapped.
      rows = goBackwards ? `vec4 a = getXs(r - s + ${steps - 2} - s, k).zwxy;` : 'vec4 a = getXs(r, k);';
      if (maskInput) rows += '\na = maskZero(vec4(vec2(maskAt(b, s)), vec2(maskAt(b, s + 1))), a);';
    }
    this.userCode = `
      ${PACKED_HELPERS}
      ${maskGlsl(maskInput, steps, goBackwards)}
      ${MASK_SELECT_GLSL}
      void main() {
        ivec2 rc = getOutputCoords();
        int k = rc.x;
        int r = rc.y;
        int b = r / ${steps};
        int s = r - b * ${steps};
        ${rows}
        setOutput(a.xzyw);
      }
    `;
  }
}
