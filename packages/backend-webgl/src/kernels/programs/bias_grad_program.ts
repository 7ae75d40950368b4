import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/**
 * `db = Σ_b Σ_s dz[b, s, :]`, packed [H], in one program (tfjs's sum would take a reshape and a reduction
 * pass or more). Input: `deltas` dz [B, T, H] with zero padding.
 */
export class BiasGradProgram implements GPGPUProgram {
  variableNames = ['deltas'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, steps: number, hidden: number) {
    this.outputShape = [hidden];
    const full = steps - (steps % 2);
    this.userCode = `
      void main() {
        int n = getOutputCoords();
        vec2 acc = vec2(0.0);
        for (int b = 0; b < ${batch}; b++) {
          for (int s = 0; s < ${full}; s += 2) {
            vec4 d = getDeltas(b, s, n);
            acc += d.xy + d.zw;
          }
          ${steps % 2 === 1 ? `acc += getDeltas(b, ${steps - 1}, n).xy;` : ''}
        }
        if (n + 1 >= ${hidden}) acc.y = 0.0;
        setOutput(vec4(acc, 0.0, 0.0));
      }
    `;
  }
}
