import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { PACKED_HELPERS, pairLoop } from './glsl.js';
import type { RecurrenceShape } from './rnn_step_program.js';

/**
 * The input projection of every timestep in one program, `proj[s, b, :] = x[b, t_s, :]·W (+ b)`, written
 * TIME-MAJOR [T, B, H] in processing order (t_s = s, or T-1-s with goBackwards). Time-major puts batch rows b
 * and b+1 of one step in a texel, the layout the step programs read and write.
 * Inputs: `xs` [B, T, I], `weights` W [I, H], `bias` [H] (when present).
 */
export class InputProjectionProgram implements GPGPUProgram {
  variableNames = ['xs', 'weights'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: RecurrenceShape, inputSize: number, hasBias: boolean) {
    const { batch, steps, hidden, goBackwards } = shape;
    this.outputShape = [steps, batch, hidden];
    if (hasBias) this.variableNames.push('bias');
    this.userCode = `
      ${PACKED_HELPERS}

      void main() {
        ivec3 rc = getOutputCoords();
        int s = rc.x;
        int b = rc.y;
        int n = rc.z;
        int t = ${goBackwards ? `${steps - 1} - s` : 's'};
        int row = imod(t, 2);
        // Batch row b+1 past the end is padding: read row b again, the result is overwritten below.
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        vec2 acc0 = vec2(0.0);
        vec2 acc1 = vec2(0.0);
        ${pairLoop(inputSize, 'k', (tail) => `
          vec4 w = getWeights(k, n);
          vec2 x0 = rowOf(getXs(b, t, k), row);
          vec2 x1 = rowOf(getXs(b1, t, k), row);
          ${tail
            ? 'acc0 += x0.x * w.xy; acc1 += x1.x * w.xy;'
            : 'acc0 += x0.x * w.xy + x0.y * w.zw; acc1 += x1.x * w.xy + x1.y * w.zw;'}
        `)}
        vec4 result = vec4(acc0, acc1);
        ${hasBias ? 'result += getBias(n).xyxy;' : ''}
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}
