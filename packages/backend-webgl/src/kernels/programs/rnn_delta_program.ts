import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { PACKED_HELPERS, activationSlopeGlsl, maskGlsl } from './glsl.js';
import type { RecurrenceShape } from './rnn_step_program.js';

/**
 * dz for every step at once, `dz_s = m_s · g_s ⊙ act'(h_s)`, [B, T, H] in processing order, from the total
 * gradients g the carry steps gathered (or dy itself when T = 1). It feeds dx and the batched weight gradients.
 * Inputs: `grads` [B, T, H], `states` [B, T, H], `mask` [B, T] (optional).
 */
export class RnnDeltaProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: RecurrenceShape, hasMask: boolean) {
    const { batch, steps, hidden, activation, goBackwards } = shape;
    this.variableNames = ['grads', 'states', ...(hasMask ? ['mask'] : [])];
    this.outputShape = [batch, steps, hidden];
    this.userCode = `
      ${PACKED_HELPERS}
      ${activationSlopeGlsl(activation)}
      ${maskGlsl(hasMask, steps, goBackwards)}

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int t = rc.y;
        int n = rc.z;
        // Step t+1 past the end is padding: read step t's mask again, the result is overwritten below.
        int t1 = t + 1 < ${steps} ? t + 1 : t;
        vec4 g = getGrads(b, t, n);
        vec4 m = vec4(vec2(maskAt(b, t)), vec2(maskAt(b, t1)));
        vec4 result = m * g * slopeFromOutput(getStates(b, t, n));
        if (t + 1 >= ${steps}) result.zw = vec2(0.0);
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}
