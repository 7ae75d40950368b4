import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { PACKED_HELPERS, maskGlsl, pairLoop, pendingGlsl, pendingNames } from './glsl.js';
import { slopeRowsPerStep } from './rnn_slope_program.js';
import type { RecurrenceShape } from './rnn_step_program.js';

/**
 * Where a carry program reads g_s and what it writes.
 * - `source`: dy (the first backward step, s = T-1, where g_s = dy_s), the last pending [B, H] tensor, or the
 *   first row of the chunk the previous step wrote (the step right after a flush).
 * - `pending`: how many [B, H] tensors of g are inputs: g_{s+pending-1} … g_s, oldest first.
 * - `output`: 'step' writes g_{s-1} [B, H]; 'flush' writes the chunk [B, pending + 1, H] of g_{s-1} … 
 *   g_{s+pending-1} (batch-major, processing order); 'initialState' writes the gradient leaving step 0,
 *   dh0 [B, H].
 */
export interface CarryVariant {
  source: 'dy' | 'pending' | 'chunk';
  pending: number;
  output: 'step' | 'flush' | 'initialState';
}

/**
 * One step of backpropagation through time. With g_s the total gradient reaching h_s (dy_s plus what flows
 * back from later steps) and dz_s = m_s · g_s ⊙ act'(h_s), the gradient reaching h_{s-1} through step s is
 * `carry_{s-1} = dz_s·Uᵀ + (1 − m_s)·g_s`, and g_{s-1} = dy_{s-1} + carry_{s-1}.
 *
 * Organised like the forward {@link RnnStepProgram}: most steps write g_{s-1} as a [B, H] texture of 2×2
 * blocks, every few steps (and at s = 1) a step also writes the pending g's with its own as one chunk, which a
 * {@link SequenceGather} assembles into [B, T, H] for the batched gradient programs. dz_s = g_s ⊙ (m_s ·
 * act'(h_s)) is formed inside the dot product from the precomputed {@link RnnSlopeProgram} factors instead of
 * being stored, so a step is one program.
 * Inputs: `dy` [B, T, H], `slopes` [T·B', H], `recurrent` U [H, H], `mask` [B, T] (optional), then
 * `chunk` [B, ·, H] and `pending0…` [B, H] as the variant says.
 */
export class RnnCarryProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  constructor(shape: RecurrenceShape, hasMask: boolean, variant: CarryVariant) {
    const { batch, steps, hidden, goBackwards } = shape;
    const { source, pending, output } = variant;
    this.variableNames = [
      'dy',
      'slopes',
      'recurrent',
      ...(hasMask ? ['mask'] : []),
      ...(source === 'chunk' ? ['chunk'] : []),
      ...pendingNames(pending),
    ];
    this.outputShape = output === 'flush' ? [batch, pending + 1, hidden] : [batch, hidden];
    const rows = (name: string) =>
      `vec4(rowOf(get${name}(b, s, k), imod(s, 2)), rowOf(get${name}(b1, s, k), imod(s, 2)))`;
    const gradBlock = {
      dy: rows('Dy'),
      pending: `getPending${pending - 1}(b, k)`,
      chunk: 'vec4(getChunk(b, 0, k).xy, getChunk(b1, 0, k).xy)',
    }[source];
    const carry = `
      ${pendingGlsl(pending)}

      // g_s at batch rows b, b+1 (b even) and columns k, k+1, in texel order.
      vec4 gradBlock(int s, int b, int k) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        return ${gradBlock};
      }

      // dy_s at batch rows b, b+1 and columns k, k+1.
      vec4 dyBlock(int s, int b, int k) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        return ${rows('Dy')};
      }

      // carry_{s-1} at batch rows b, b+1 (b even) and columns j, j+1.
      vec4 carryBlock(int s, int b, int j) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        int slopeRow = s * ${slopeRowsPerStep(batch)} + b;
        vec4 m = vec4(vec2(maskAt(b, s)), vec2(maskAt(b1, s)));
        vec4 acc = vec4(0.0);
        ${pairLoop(hidden, 'k', (tail) => `
          vec4 dz = gradBlock(s, b, k) * getSlopes(slopeRow, k);
          // U block (j, k), (j, k+1), (j+1, k), (j+1, k+1): row j of U is column j of Uᵀ.
          vec4 u = getRecurrent(j, k);
          ${tail ? 'acc += dz.xxzz * u.xzxz;' : 'acc += dz.xxzz * u.xzxz + dz.yyww * u.ywyw;'}
        `)}
        return acc + (1.0 - m) * gradBlock(s, b, j);
      }
    `;
    let main: string;
    if (output === 'flush') {
      main = `
      // Row r (>= 1) of the chunk for batch row b, columns n, n+1: g_{s-1+r}, from pending tensor pending - r.
      vec2 storedRow(int b, int r, int n) {
        if (r >= 1 && r <= ${pending}) return rowOf(pendingTexel(${pending} - r, b, n), imod(b, 2));
        return vec2(0.0);
      }

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int r = rc.y;
        int n = rc.z;
        int s = stepIndex;
        vec2 row0 = storedRow(b, r, n);
        vec2 row1 = storedRow(b, r + 1, n);
        if (r == 0) {
          // A [B, chunk, H] texel holds one batch row: compute the 2×2 block and keep its half.
          int pairRow = imod(b, 2);
          int pairStart = b - pairRow;
          row0 = rowOf(dyBlock(s - 1, pairStart, n) + carryBlock(s, pairStart, n), pairRow);
        }
        vec4 result = vec4(row0, row1);
        if (r + 1 > ${pending}) result.zw = vec2(0.0);
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }`;
    } else {
      const value =
        output === 'step' ? 'dyBlock(s - 1, b, n) + carryBlock(s, b, n)' : 'carryBlock(s, b, n)';
      main = `
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int n = rc.y;
        int s = stepIndex;
        vec4 result = ${value};
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }`;
    }
    this.userCode = `
      ${PACKED_HELPERS}
      ${maskGlsl(hasMask, steps, goBackwards)}
      ${carry}
      ${main}
    `;
  }
}
