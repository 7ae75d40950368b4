// The LSTM backward carry step split in two programs (large B·H): the gate gradients of the step first, then the
// carry's product with Uᵀ reading them. Same conventions as gated_programs.ts.
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { pairLoop, pendingGlsl, pendingNames } from './glsl.js';
import {
  type GatedCarryVariant,
  type GatedShape,
  factorGlsl,
  gradSourceGlsl,
  padColumns,
  paddedWidth,
  prelude,
  stateWidth,
} from './gated_programs.js';

/**
 * One backward step's LSTM gate gradients dz_s = [dz_i, dz_f, dz_c̃, dz_o], [B, 4·Hp] (zero padding), from g_s
 * and the per-step factors of `GatedFactorsProgram`: dc' = m·gc + gh·F0, dz_i = dc'·F1, dz_f = dc'·F2,
 * dz_c̃ = dc'·F3, dz_o = m·gh·F4. `LstmSplitCarryProgram` then reads 4 texels of them and 4 of U per pair of
 * units; the one-program `GatedCarryProgram` forms them inside its product, 7 texel reads (gh, gc, F0…F4) plus
 * the 4 of U per pair and output texel.
 * Inputs: `factors`, `mask`, then `chunk` or `pending0` (g_s), as the variant says.
 */
export class LstmGateGradProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  constructor(shape: GatedShape, source: GatedCarryVariant['source']) {
    if (shape.cell !== 'lstm') throw new Error(`LstmGateGradProgram: an LSTM shape is needed, got ${shape.cell}`);
    const { batch, hidden } = shape;
    const hp = paddedWidth(hidden);
    this.variableNames = ['factors', 'mask', source === 'chunk' ? 'chunk' : 'pending0'];
    this.outputShape = [batch, 4 * hp];
    this.userCode = `
      ${prelude(shape)}
      ${gradSourceGlsl(batch, source, 1)}
      ${factorGlsl(batch, hp)}
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int col = rc.y;
        int s = stepIndex;
        int block = col / ${hp};
        int k = col - block * ${hp};
        vec4 m = maskBlock(b, s);
        vec4 gh = gradBlock(s, b, k);
        vec4 result;
        if (block == 3) result = m * gh * factor(s, b, 4, k);
        else result = (m * gradBlock(s, b, k + ${hp}) + gh * factor(s, b, 0, k)) * factor(s, b, block + 1, k);
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (k + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}

/**
 * One LSTM backward step from the step's gate gradients ({@link LstmGateGradProgram}): g_{s-1} = d_{s-1} +
 * carry, carry_h = dz·Uᵀ + (1−m)·gh, carry_c = (1−m)·gc + dc'·F5, written as the [gh, gc] pair [B, 2·Hp]
 * ('step'), or the carry alone for the initial state ('initialState'), as `GatedCarryProgram` does.
 * Inputs: `dh` [B, T, H], `dc` [B, T, H], `factors`, `recurrent` U [H, 4·Hp], `mask`, `gateGrads` [B, 4·Hp], then
 * `chunk` or `pending0` (g_s).
 */
export class LstmSplitCarryProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  constructor(shape: GatedShape, variant: GatedCarryVariant) {
    if (shape.cell !== 'lstm') throw new Error(`LstmSplitCarryProgram: an LSTM shape is needed, got ${shape.cell}`);
    if (variant.output === 'flush') throw new Error('LstmSplitCarryProgram: the flush output is not supported');
    const { batch, hidden } = shape;
    const hp = paddedWidth(hidden);
    const { source, pending, output } = variant;
    this.variableNames = ['dh', 'dc', 'factors', 'recurrent', 'mask', 'gateGrads', ...(source === 'chunk' ? ['chunk'] : []), ...pendingNames(pending)];
    this.outputShape = [batch, stateWidth(shape)];
    const rows = (name: string, col: string) =>
      `vec4(rowOf(get${name}(b, s, ${col}), imod(s, 2)), rowOf(get${name}(b1, s, ${col}), imod(s, 2)))`;
    const mul = (tail: boolean) => (tail ? 'mulBlockTTail' : 'mulBlockT');
    const value = output === 'step' ? 'upstreamBlock(s - 1, b, n) + carryBlock(s, b, n)' : 'carryBlock(s, b, n)';
    this.userCode = `
      ${prelude(shape)}
      ${pendingGlsl(pending)}
      ${gradSourceGlsl(batch, source, pending)}
      ${factorGlsl(batch, hp)}
      vec4 upstreamBlock(int s, int b, int j) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        return j >= ${hp} ? ${rows('Dc', `j - ${hp}`)} : ${rows('Dh', 'j')};
      }
      vec4 carryBlock(int s, int b, int j) {
        vec4 m = maskBlock(b, s);
        if (j >= ${hp}) {
          int jc = j - ${hp};
          vec4 gc = gradBlock(s, b, j);
          vec4 dcNew = m * gc + gradBlock(s, b, jc) * factor(s, b, 0, jc);
          return (1.0 - m) * gc + dcNew * factor(s, b, 5, jc);
        }
        vec4 acc = vec4(0.0);
        ${pairLoop(hidden, 'k', (tail) => `
          acc += ${mul(tail)}(getGateGrads(b, k), getRecurrent(j, k));
          acc += ${mul(tail)}(getGateGrads(b, ${hp} + k), getRecurrent(j, ${hp} + k));
          acc += ${mul(tail)}(getGateGrads(b, ${2 * hp} + k), getRecurrent(j, ${2 * hp} + k));
          acc += ${mul(tail)}(getGateGrads(b, ${3 * hp} + k), getRecurrent(j, ${3 * hp} + k));
        `)}
        return acc + (1.0 - m) * gradBlock(s, b, j);
      }
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int n = rc.y;
        int s = stepIndex;
        vec4 result = ${value};
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        ${padColumns(true, hidden, hp, 'n', 'result')}
        setOutput(result);
      }
    `;
  }
}
