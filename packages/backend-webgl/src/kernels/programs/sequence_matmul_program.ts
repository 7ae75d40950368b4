import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { PACKED_HELPERS, pairLoop } from './glsl.js';
import { glslFloat } from './rnn_step_program.js';

/** Options of {@link SequenceMatMulProgram}. */
export interface SequenceMatMulOptions {
  /** Read the [N, K] matrix as its transpose (dx = dz·Wᵀ reads W [I, H] this way). */
  transposeMatrix: boolean;
  /** Output step t reads sequence step T-1-t (turns processing order into original order). */
  reverseTime: boolean;
  /**
   * The sequence is a row-major packed texture (texel_layout.ts's readsRowMajor): read it at computed
   * coordinates, where tfjs's 3-D sampler divides at every read of the loop (~5× the program's time at L).
   */
  seqRowMajor?: boolean;
}

/**
 * `out[b, t, :] = seq[b, t', :] · M` for a [B, T, K] sequence and a [K, N] matrix (or its transpose), packed in
 * and out, batch-major, where t' = t, or T-1-t with `reverseTime`. The backward pass computes
 * dx = dz·Wᵀ in original time order with it, in one program, with no reverse or reshape around tfjs's matmul.
 */
export class SequenceMatMulProgram implements GPGPUProgram {
  variableNames = ['seq', 'matrix'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, steps: number, inner: number, outer: number, options: SequenceMatMulOptions) {
    this.outputShape = [batch, steps, outer];
    // Each texel of the output holds steps t and t+1 of one batch row; with reverseTime they come from steps
    // T-1-t and T-2-t of the input, which need not share a texel, so each row is read on its own.
    const stepRows = (steps + (steps % 2)) / 2;
    const seqCols = (inner + (inner % 2)) / 2;
    // Texture coordinates of texel (b, t/2, k/2) in a [B·T', K'] texture: the row is fixed per output texel.
    const at = (row: string) =>
      `texture(seq, vec2((float(k) * 0.5 + 0.5) * ${glslFloat(1 / seqCols)}, (float(b * ${stepRows} + ${row} / 2) + 0.5) * ${glslFloat(1 / (batch * stepRows))}))`;
    const read = (row: string) => (options.seqRowMajor ? at(row) : `getSeq(b, ${row}, k)`);
    const loadRows = options.reverseTime
      ? `vec2 a0 = rowOf(${read('t0')}, imod(t0, 2));
         vec2 a1 = rowOf(${read('t1')}, imod(t1, 2));`
      : `vec4 pair = ${read('t')};
         vec2 a0 = pair.xy;
         vec2 a1 = pair.zw;`;
    this.userCode = `
      ${PACKED_HELPERS}

      // The [K, N] block (k, n), (k, n+1), (k+1, n), (k+1, n+1) in texel order.
      vec4 matrixBlock(int k, int n) {
        ${options.transposeMatrix ? 'return getMatrix(n, k).xzyw;' : 'return getMatrix(k, n);'}
      }

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int t = rc.y;
        int n = rc.z;
        int t0 = ${options.reverseTime ? `${steps - 1} - t` : 't'};
        // Clamped: the row past the end is padding and its result is overwritten below.
        int t1 = ${options.reverseTime ? `${steps - 2} - t` : 't + 1'};
        if (t1 < 0) t1 = 0;
        vec2 acc0 = vec2(0.0);
        vec2 acc1 = vec2(0.0);
        ${pairLoop(inner, 'k', (tail) => `
          vec4 w = matrixBlock(k, n);
          ${loadRows}
          ${tail
            ? 'acc0 += a0.x * w.xy; acc1 += a1.x * w.xy;'
            : 'acc0 += a0.x * w.xy + a0.y * w.zw; acc1 += a1.x * w.xy + a1.y * w.zw;'}
        `)}
        // Padding stays zero so later programs (ours or tfjs's) may read whole texels.
        if (t + 1 >= ${steps}) acc1 = vec2(0.0);
        if (n + 1 >= ${outer}) { acc0.y = 0.0; acc1.y = 0.0; }
        setOutput(vec4(acc0, acc1));
      }
    `;
  }
}
