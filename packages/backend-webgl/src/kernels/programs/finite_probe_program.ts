import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/**
 * Core's `FiniteProbe` over a group of packed inputs: one fragment sums `x·zero` over every element of every
 * input (zero a uniform set to 0, so no compiler can fold the product away), which is 0 when all are finite and
 * NaN when one is NaN or ±Inf. Padding lanes of a texel (odd last two dimensions) are skipped, never multiplied:
 * they may hold anything. Output: a scalar. Inputs `probe0 …`, any ranks.
 */
export class FiniteProbeProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[] = [];
  customUniforms = [{ name: 'probeZero', type: 'float' as const }];
  userCode: string;

  constructor(shapes: number[][]) {
    this.variableNames = shapes.map((_, i) => `probe${i}`);
    const loops = shapes.map((shape, i) => sumGlsl(`getProbe${i}`, shape)).join('\n');
    this.userCode = `
      void main() {
        float acc = 0.0;
        ${loops}
        setOutput(vec4(acc));
      }
    `;
  }
}

/** GLSL adding `x·probeZero` of every element of one packed input of `shape` to `acc`. */
function sumGlsl(getter: string, shape: number[]): string {
  const rank = shape.length;
  if (shape.some((d) => d === 0)) return '';
  if (rank === 0) return `acc += (${getter}() * probeZero).x;`;
  if (rank === 1) {
    const n = shape[0]!;
    return `for (int c = 0; c < ${n}; c += 2) {
      vec4 t = ${getter}(c) * probeZero;
      acc += t.x + (c + 1 < ${n} ? t.y : 0.0);
    }`;
  }
  const rows = shape[rank - 2]!;
  const cols = shape[rank - 1]!;
  const lead = shape.slice(0, rank - 2);
  const leadVars = lead.map((_, j) => `l${j}`);
  const open = lead.map((d, j) => `for (int l${j} = 0; l${j} < ${d}; l${j}++) {`).join('\n');
  const close = lead.map(() => '}').join('');
  const coords = [...leadVars, 'r', 'c'].join(', ');
  return `${open}
    for (int r = 0; r < ${rows}; r += 2) {
      bool r1 = r + 1 < ${rows};
      for (int c = 0; c < ${cols}; c += 2) {
        bool c1 = c + 1 < ${cols};
        vec4 t = ${getter}(${coords}) * probeZero;
        acc += t.x + (c1 ? t.y : 0.0) + (r1 ? t.z : 0.0) + (r1 && c1 ? t.w : 0.0);
      }
    }
  ${close}`;
}
