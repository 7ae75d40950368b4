import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** Which of core's `AdamUpdate` outputs an {@link AdamUpdateProgram} writes. */
export type AdamOutput = 'value' | 'm' | 'v';

/** The float uniforms of an {@link AdamUpdateProgram}, in the order its `customUniforms` lists them. */
export const ADAM_UNIFORMS = ['adamBeta1', 'adamBeta2', 'adamOneMinusBeta1', 'adamOneMinusBeta2', 'adamC1', 'adamC2', 'adamEpsilon', 'adamNegLr'] as const;

/**
 * One output of core's `AdamUpdate` for one weight, element-wise on tfjs's packed layout: the same float32
 * operations in the same order as tfjs's Adam ops (adam_optimizer.js) on webgl, with tfjs's packed division
 * (`a / b`, 1 where a == b), so each product and sum is rounded to float32 as there:
 * `m' = m·β1 + g·(1−β1)`, `v' = v·β2 + (g·g)·(1−β2)`, `value' = ((m'/c1) / (√(v'/c2) + ε))·(−lr) + value`.
 * `m'` reads m and g, `v'` v and g, `value'` all four (it recomputes m' and v', which costs less than a program).
 */
export class AdamUpdateProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms = ADAM_UNIFORMS.map((name) => ({ name, type: 'float' as const }));
  userCode: string;

  constructor(shape: number[], output: AdamOutput) {
    this.outputShape = shape;
    this.variableNames = { value: ['adamParam', 'adamM', 'adamV', 'adamGrad'], m: ['adamM', 'adamGrad'], v: ['adamV', 'adamGrad'] }[output];
    const m1 = 'vec4 m1 = getAdamMAtOutCoords() * adamBeta1 + g * adamOneMinusBeta1;';
    const v1 = 'vec4 v1 = getAdamVAtOutCoords() * adamBeta2 + (g * g) * adamOneMinusBeta2;';
    const body = {
      m: `${m1}\n setOutput(m1);`,
      v: `${v1}\n setOutput(v1);`,
      value: `${m1}\n ${v1}
        vec4 q = adamDivide(adamDivide(m1, vec4(adamC1)), sqrt(adamDivide(v1, vec4(adamC2))) + adamEpsilon);
        setOutput(q * adamNegLr + getAdamParamAtOutCoords());`,
    }[output];
    this.userCode = `
      // tfjs's packed RealDiv: 1 where a == b (on some drivers the vector division gives NaN for 0/0).
      vec4 adamDivide(vec4 a, vec4 b) {
        vec4 r = a / b;
        if (a.x == b.x) r.x = 1.;
        if (a.y == b.y) r.y = 1.;
        if (a.z == b.z) r.z = 1.;
        if (a.w == b.w) r.w = 1.;
        return r;
      }
      void main() {
        vec4 g = getAdamGradAtOutCoords();
        ${body}
      }
    `;
  }
}
