import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { PACKED_HELPERS, activationSlopeGlsl, maskGlsl } from './glsl.js';
import type { RecurrenceShape } from './rnn_step_program.js';

/** Batch rows of a {@link RnnSlopeProgram} output per step: B rounded up to even, so step blocks align to texels. */
export function slopeRowsPerStep(batch: number): number {
  return batch + (batch % 2);
}

/**
 * `m_s · act'(h_s)` for every step, the factor that turns g_s into dz_s, computed once before the backward
 * steps instead of inside every step's dot product. Written as a 2-D [T·B', H] tensor (B' = B rounded up to
 * even; row s·B' + b): the step programs then read one texel per 2×2 block through tfjs's cheapest sampler
 * (a 2-D texture whose shape is the logical shape), where the [B, T, H] states need two reads and index math.
 * Inputs: `states` [B, T, H] (the forward output), `mask` [B, T] (optional).
 */
export class RnnSlopeProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: RecurrenceShape, hasMask: boolean) {
    const { batch, steps, hidden, activation, goBackwards } = shape;
    const rowsPerStep = slopeRowsPerStep(batch);
    this.variableNames = ['states', ...(hasMask ? ['mask'] : [])];
    this.outputShape = [steps * rowsPerStep, hidden];
    this.userCode = `
      ${PACKED_HELPERS}
      ${activationSlopeGlsl(activation)}
      ${maskGlsl(hasMask, steps, goBackwards)}

      void main() {
        ivec2 rc = getOutputCoords();
        int s = rc.x / ${rowsPerStep};
        int b = rc.x - s * ${rowsPerStep};
        int n = rc.y;
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        int row = imod(s, 2);
        vec4 h = vec4(rowOf(getStates(b, s, n), row), rowOf(getStates(b1, s, n), row));
        vec4 result = vec4(vec2(maskAt(b, s)), vec2(maskAt(b1, s))) * slopeFromOutput(h);
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}
