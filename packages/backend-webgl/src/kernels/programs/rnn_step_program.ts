import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { Activation } from '@basicrnn/core';
import { MASK_SELECT_GLSL, PACKED_HELPERS, activationGlsl, maskGlsl, pairLoop, pendingGlsl, pendingNames } from './glsl.js';

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
 * - `previous`: h_{s-1} is h0 (step 0), the last pending [B, H] step tensor, or the last row of the chunk the
 *   previous step wrote (the step right after a flush).
 * - `pending`: how many [B, H] step tensors, for steps s-pending … s-1, are inputs.
 * - `chunkRows`: the rows of that chunk (0 unless `previous` is 'chunk').
 * - `output`: 'step' writes h_s as [B, H]; 'flush' writes the chunk [B, pending + 1, H] (batch-major,
 *   processing order) of steps s-pending … s: the pending states and h_s.
 */
export interface StepVariant {
  previous: 'initial' | 'pending' | 'chunk';
  pending: number;
  chunkRows: number;
  output: 'step' | 'flush';
}

/**
 * One timestep of the forward recurrence, `h_s = act(xW_s + b + h_{s-1}·U)` (a masked step carries h_{s-1}).
 *
 * Most steps write only h_s, a [B, H] texture whose every texel is a 2×2 block of h·U: the work and texel
 * reads of tfjs's packed matmul, with the projected input, bias, activation and mask fused in, and no branch.
 * A fragment shader cannot write into part of a texture, so the steps are collected in chunks: every few steps
 * (as many as the texture units allow) and at the last step, a `flush` step writes its own state together
 * with the pending ones as one [B, chunk, H] tensor, a pass over the chunk only. A {@link SequenceGather}
 * assembles the chunks into the [B, T, H] output, so the whole pass is linear in T.
 * The step index is a custom uniform: programs of the same variant compile once and serve every step.
 * Inputs: `proj` [T, B, H] (time-major x·W + b from {@link InputProjectionProgram}), `recurrent` U [H, H],
 * `mask` [B, T], then `h0` [B, H] (previous 'initial'), `chunk` [B, chunkRows, H], `pending0…` [B, H]; without
 * `mask` and h0 when the constructor's `constant` says so.
 */
export class RnnStepProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  /**
   * `constant`: `noMask` drops the mask input (the caller saw a mask of ones), `zeroInitial` drops h0 and reads
   * zeros (the caller saw a zero h0), so neither is uploaded. `inputs` (WebGL2, 'initial' or 'pending' steps
   * writing 'step' only): the step computes its own input projection, `h_s = act(x_s·W + b + h_{s-1}·U)`, from
   * `xs` [B, T, I], `weights` W [I, H] and `bias` [H] (when `hasBias`) in place of `proj`: no projection program,
   * whose per-texel overhead on SwiftShader cost more than its products (x·W has only I/2 texels to sum per
   * output texel). `xs` must be a row-major packed texture (the caller checks, texel_layout.ts): it is read at
   * computed coordinates, where tfjs's 3-D sampler divides at every read.
   */
  constructor(
    shape: RecurrenceShape,
    variant: StepVariant,
    constant: { noMask?: boolean; zeroInitial?: boolean; inputs?: { inputSize: number; hasBias: boolean } } = {},
  ) {
    const { batch, steps, hidden, activation, goBackwards } = shape;
    const { previous, pending, chunkRows, output } = variant;
    const { noMask = false, zeroInitial = false, inputs } = constant;
    this.outputShape = output === 'flush' ? [batch, pending + 1, hidden] : [batch, hidden];
    this.variableNames = [
      ...(inputs === undefined ? ['proj'] : ['xs', 'weights', ...(inputs.hasBias ? ['bias'] : [])]),
      'recurrent',
      ...(noMask ? [] : ['mask']),
      ...(previous === 'initial' && !zeroInitial ? ['h0'] : []),
      ...(previous === 'chunk' ? ['chunk'] : []),
      ...pendingNames(pending),
    ];
    if (inputs !== undefined) {
      if (previous === 'chunk' || output !== 'step') throw new Error(`RnnStepProgram: no input products for ${JSON.stringify(variant)}`);
      const state = previous === 'pending' ? `getPending${pending - 1}(b, k)` : zeroInitial ? null : 'getH0(b, k)';
      this.userCode = projectingStepGlsl(shape, inputs.inputSize, inputs.hasBias, state, noMask);
      return;
    }
    const previousBlock = previousStateGlsl(variant, batch, zeroInitial ? 'return vec4(0.0);' : 'return getH0(b, k);');
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
        // A masked step keeps the previous state exactly (a select: a NaN in a masked step must not leak).
        return maskSelect(m, hp, activate(acc));
      }
    `;
    const main = stepMainGlsl(output, batch, hidden, pending);
    this.userCode = `
      ${PACKED_HELPERS}
      ${activationGlsl(activation)}
      ${maskGlsl(!noMask, steps, goBackwards)}
      ${MASK_SELECT_GLSL}
      ${block}
      ${main}
    `;
  }
}

/** A float literal for GLSL (never an int literal: GLSL ES 3 does not convert). */
export function glslFloat(value: number): string {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/**
 * GLSL that adds x_s·W to accumulators, in a block of its own, inside `stepBlock(int s, int b, int n)`: for each
 * term, `acc += x[b, t_s, :]·W[:, col…col+1]` for batch rows b and b+1 (t_s = s, or T-1-s with goBackwards). x
 * is read at computed coordinates of its row-major packed [B, T, I] texture `xs` (texel row b·T'/2 + t/2 of a
 * [B·T', I'] texture: tfjs's 3-D sampler divides at every read), two x texels per pair of input columns shared by
 * every term, and one `weights` W texel per term; a term with `when` adds only where that GLSL condition holds.
 */
export function stepInputProductGlsl(
  shape: { batch: number; steps: number; goBackwards: boolean },
  inputSize: number,
  terms: { acc: string; col: string; when?: string }[],
): string {
  const { batch, steps, goBackwards } = shape;
  const stepRows = (steps + (steps % 2)) / 2;
  const inputCols = (inputSize + (inputSize % 2)) / 2;
  const xHeight = batch * stepRows;
  const loop = pairLoop(inputSize, 'k', (tail) => `
          float kx = (float(k) * 0.5 + 0.5) * ${glslFloat(1 / inputCols)};
          vec2 x0 = rowOf(texture(xs, vec2(kx, xy0)), xRow);
          vec2 x1 = rowOf(texture(xs, vec2(kx, xy1)), xRow);
          vec4 xa = vec4(x0.xx, x1.xx);
          ${tail ? '' : 'vec4 xb = vec4(x0.yy, x1.yy);'}
          ${terms
            .map((term) => {
              const update = `{ vec4 w = getWeights(k, ${term.col}); ${term.acc} += ${tail ? 'xa * w.xyxy;' : 'xa * w.xyxy + xb * w.zwzw;'} }`;
              return term.when === undefined ? update : `if (${term.when}) ${update}`;
            })
            .join('\n          ')}
        `);
  return `{
          int xt = ${goBackwards ? `${steps - 1} - s` : 's'};
          int xb1 = b + 1 < ${batch} ? b + 1 : b;
          int xtRow = xt / 2;
          int xRow = xt - 2 * xtRow;
          // Texel rows of x for batch rows b and b+1 at step t.
          float xy0 = (float(b * ${stepRows} + xtRow) + 0.5) * ${glslFloat(1 / xHeight)};
          float xy1 = (float(xb1 * ${stepRows} + xtRow) + 0.5) * ${glslFloat(1 / xHeight)};
          ${loop}
        }`;
}

/**
 * A step that computes its own input projection (see {@link RnnStepProgram}'s `inputs`): the 2×2 block starts
 * from the bias, adds x_s·W (two x texels, rows b and b1 at step t, and one W texel per pair of input columns;
 * x read at computed coordinates of its row-major texture), then h_{s-1}·U as the other steps do (the tfjs
 * samplers of 2-D textures, one state and one U texel per 2×2 block of products). `state`: the GLSL that reads
 * the h_{s-1} block at (b, k), or null for a zero state.
 */
function projectingStepGlsl(shape: RecurrenceShape, inputSize: number, hasBias: boolean, state: string | null, noMask: boolean): string {
  const { batch, steps, hidden, activation, goBackwards } = shape;
  const stateLoop = state === null ? '' : pairLoop(hidden, 'k', (tail) => `
          vec4 h = ${state};
          vec4 u = getRecurrent(k, n);
          ${tail ? 'acc += h.xxzz * u.xyxy;' : 'acc += h.xxzz * u.xyxy + h.yyww * u.zwzw;'}
        `);
  return `
      ${PACKED_HELPERS}
      ${activationGlsl(activation)}
      ${maskGlsl(!noMask, steps, goBackwards)}
      ${MASK_SELECT_GLSL}

      // h_s at batch rows b, b+1 (b even) and columns n, n+1.
      vec4 stepBlock(int s, int b, int n) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        vec4 acc = ${hasBias ? 'getBias(n).xyxy' : 'vec4(0.0)'};
        ${stepInputProductGlsl(shape, inputSize, [{ acc: 'acc', col: 'n' }])}
        ${stateLoop}
        vec4 hp = ${state === null ? 'vec4(0.0)' : state.replace('(b, k)', '(b, n)')};
        vec4 m = vec4(vec2(maskAt(b, s)), vec2(maskAt(b1, s)));
        // A masked step keeps the previous state exactly (a select: a NaN in a masked step must not leak).
        return maskSelect(m, hp, activate(acc));
      }

      ${stepMainGlsl('step', batch, hidden, 0)}
  `;
}

/**
 * The body of `previousBlock(s, b, k)` for a step variant: the state a step starts from at batch rows b, b+1 (b
 * even) and columns k, k+1 of the state tensor. `initial`: the GLSL that reads the initial state.
 */
export function previousStateGlsl(variant: StepVariant, batch: number, initial: string): string {
  const { previous, pending, chunkRows } = variant;
  return {
    initial,
    pending: `return getPending${pending - 1}(b, k);`,
    chunk: `int b1 = b + 1 < ${batch} ? b + 1 : b;
        return vec4(rowOf(getChunk(b, ${chunkRows - 1}, k), ${(chunkRows - 1) % 2}), rowOf(getChunk(b1, ${chunkRows - 1}, k), ${(chunkRows - 1) % 2}));`,
  }[previous];
}

/**
 * `main()` of a forward step program over a state tensor `width` columns wide, given `vec4 stepBlock(int s, int b,
 * int n)` (the new state at batch rows b, b+1 and columns n, n+1) and `pendingTexel`: 'step' writes the [B, width]
 * state, 'flush' the [B, pending + 1, width] chunk of the pending states and the new one.
 */
export function stepMainGlsl(output: StepVariant['output'], batch: number, width: number, pending: number): string {
  return (
      output === 'step'
        ? `
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 result = stepBlock(stepIndex, rc.x, rc.y);
        if (rc.x + 1 >= ${batch}) result.zw = vec2(0.0);
        if (rc.y + 1 >= ${width}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }`
        : `
      // Row r (< pending) of the chunk for batch row b, columns n, n+1: the pending step tensor of step s-pending+r.
      vec2 storedRow(int b, int r, int n) {
        if (r < ${pending}) return rowOf(pendingTexel(r, b, n), imod(b, 2));
        return vec2(0.0);
      }

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int r = rc.y;
        int n = rc.z;
        vec2 row0 = storedRow(b, r, n);
        vec2 row1 = storedRow(b, r + 1, n);
        if (r == ${pending} || r + 1 == ${pending}) {
          // A [B, chunk, H] texel holds one batch row: compute the 2×2 block and keep its half.
          int pairRow = imod(b, 2);
          vec2 h = rowOf(stepBlock(stepIndex, b - pairRow, n), pairRow);
          if (r == ${pending}) { row0 = h; } else { row1 = h; }
        }
        vec4 result = vec4(row0, row1);
        if (r + 1 > ${pending}) result.zw = vec2(0.0);
        if (n + 1 >= ${width}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }`
  );
}
