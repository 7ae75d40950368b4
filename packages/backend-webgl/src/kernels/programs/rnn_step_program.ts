import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { Activation } from '@basicrnn/core';
import { PACKED_HELPERS, activationGlsl, maskGlsl, pairLoop, pendingGlsl, pendingNames } from './glsl.js';

/** Shapes and attributes of one recurrence. */
export interface RecurrenceShape {
  batch: number;
  steps: number;
  hidden: number;
  activation: Activation;
  goBackwards: boolean;
}

/**
 * Where a step program reads the state it starts from, and what it writes.
 * - `previous`: h_{s-1} is h0 (step 0), the last pending [B, H] step tensor, or row s-1 of the gathered
 *   [B, T, H] tensor (the step right after a flush).
 * - `pending`: how many [B, H] step tensors, for steps s-pending … s-1, are inputs.
 * - `gathered`: whether the [B, T, H] tensor of earlier flushes is an input.
 * - `output`: 'step' writes h_s as [B, H]; 'flush' writes [B, T, H] (batch-major, processing order) holding
 *   every state so far: the gathered ones, the pending ones and h_s.
 */
export interface StepVariant {
  previous: 'initial' | 'pending' | 'gathered';
  pending: number;
  gathered: boolean;
  output: 'step' | 'flush';
}

/**
 * One timestep of the forward recurrence, `h_s = act(xW_s + b + h_{s-1}·U)` (a masked step carries h_{s-1}).
 *
 * Most steps write only h_s, a [B, H] texture whose every texel is a 2×2 block of h·U: the work and texel
 * reads of tfjs's packed matmul, with the projected input, bias, activation and mask fused in, and no branch.
 * A fragment shader cannot write into part of a texture, so collecting the steps into the [B, T, H] output
 * needs a pass over the whole output; a `flush` step does it along with its own step, every few steps (as many
 * as the texture units allow) and at the last step. The pass costs one read per texel, and happens
 * ~T/12 times instead of T, so a forward pass is still T+1 programs (projection + one per step).
 * The step index is a custom uniform: programs of the same variant compile once and serve every step.
 * Inputs: `proj` [T, B, H] (time-major x·W + b from {@link InputProjectionProgram}), `recurrent` U [H, H],
 * `mask` [B, T], then `h0` [B, H] (previous 'initial'), `gathered` [B, T, H], `pending0…` [B, H].
 */
export class RnnStepProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  constructor(shape: RecurrenceShape, variant: StepVariant) {
    const { batch, steps, hidden, activation, goBackwards } = shape;
    const { previous, pending, gathered, output } = variant;
    this.outputShape = output === 'flush' ? [batch, steps, hidden] : [batch, hidden];
    this.variableNames = [
      'proj',
      'recurrent',
      'mask',
      ...(previous === 'initial' ? ['h0'] : []),
      ...(gathered ? ['gathered'] : []),
      ...pendingNames(pending),
    ];
    const previousBlock = {
      initial: 'return getH0(b, k);',
      pending: `return getPending${pending - 1}(b, k);`,
      gathered: `int b1 = b + 1 < ${batch} ? b + 1 : b;
        int row = imod(s - 1, 2);
        return vec4(rowOf(getGathered(b, s - 1, k), row), rowOf(getGathered(b1, s - 1, k), row));`,
    }[previous];
    const block = `
      ${pendingGlsl(pending)}

      // h_{s-1} at batch rows b, b+1 (b even) and columns k, k+1, in texel order.
      vec4 previousBlock(int s, int b, int k) {
        ${previousBlock}
      }

      // h_s at batch rows b, b+1 (b even) and columns n, n+1.
      vec4 stepBlock(int s, int b, int n) {
        vec4 acc = getProj(s, b, n);
        ${pairLoop(hidden, 'k', (tail) => `
          vec4 h = previousBlock(s, b, k);
          vec4 u = getRecurrent(k, n);
          ${tail ? 'acc += h.xxzz * u.xyxy;' : 'acc += h.xxzz * u.xyxy + h.yyww * u.zwzw;'}
        `)}
        vec4 hp = previousBlock(s, b, n);
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        vec4 m = vec4(vec2(maskAt(b, s)), vec2(maskAt(b1, s)));
        // Same blend as core's composite: a masked step keeps the previous state.
        return hp + m * (activate(acc) - hp);
      }
    `;
    const main =
      output === 'step'
        ? `
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 result = stepBlock(stepIndex, rc.x, rc.y);
        if (rc.x + 1 >= ${batch}) result.zw = vec2(0.0);
        if (rc.y + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }`
        : `
      // Row r (< s) of batch row b, columns n, n+1: from a pending step tensor or the gathered tensor.
      vec2 storedRow(int b, int r, int n, int s) {
        int first = s - ${pending};
        if (r >= first && r < s) return rowOf(pendingTexel(r - first, b, n), imod(b, 2));
        ${gathered ? 'if (r < first) return rowOf(getGathered(b, r, n), imod(r, 2));' : ''}
        return vec2(0.0);
      }

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int t = rc.y;
        int n = rc.z;
        int s = stepIndex;
        vec2 row0 = storedRow(b, t, n, s);
        vec2 row1 = storedRow(b, t + 1, n, s);
        if (t == s || t + 1 == s) {
          // A [B, T, H] texel holds one batch row: compute the 2×2 block and keep its half.
          int pairRow = imod(b, 2);
          vec2 h = rowOf(stepBlock(s, b - pairRow, n), pairRow);
          if (t == s) { row0 = h; } else { row1 = h; }
        }
        vec4 result = vec4(row0, row1);
        if (t + 1 >= ${steps}) result.zw = vec2(0.0);
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }`;
    this.userCode = `
      ${PACKED_HELPERS}
      ${activationGlsl(activation)}
      ${maskGlsl(true, steps, goBackwards)}
      ${block}
      ${main}
    `;
  }
}
