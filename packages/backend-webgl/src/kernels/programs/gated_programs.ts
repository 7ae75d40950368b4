// Shader programs of the fused LSTM and GRU kernels (gated_sequence.ts, gated_sequence_grad.ts). Same packed
// layout and conventions as the SimpleRNN programs (see glsl.ts): a texel is a 2×2 block of the last two
// dimensions. Gate blocks are PADDED to an even width Hp = H + H % 2 in every [·, G·Hp] layout (weights, the
// input projection, gate values, factors, deltas), so a texel never straddles two gates; the kernels pad the
// weights once per call and unpad the weight gradients.
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import {
  MASK_SELECT_GLSL,
  PACKED_HELPERS,
  gatedActivationGlsl,
  maskGlsl,
  pairLoop,
  pendingGlsl,
  pendingNames,
} from './glsl.js';
import { previousStateGlsl, stepInputProductGlsl, stepMainGlsl, type StepVariant } from './rnn_step_program.js';
import { WEIGHT_GRAD_SPLIT_ROWS } from './weight_grad_program.js';

/** Sizes and attributes of one gated recurrence. */
export interface GatedShape {
  cell: 'lstm' | 'gru';
  /** GRU only: the Keras 3 form (reset gate applied after h·U_h, recurrent bias row). */
  resetAfter: boolean;
  batch: number;
  steps: number;
  hidden: number;
  activation: string;
  recurrentActivation: string;
  goBackwards: boolean;
}

/** H rounded up to even: the width of one gate block in the padded layouts. */
export function paddedWidth(hidden: number): number {
  return hidden + (hidden % 2);
}

/** Gate blocks of the cell: 4 (LSTM: i, f, c, o) or 3 (GRU: z, r, h). */
export function gateCount(shape: GatedShape): number {
  return shape.cell === 'lstm' ? 4 : 3;
}

/**
 * Columns of the per-step state tensors: LSTM keeps h and c side by side, [B, 2·Hp] (h in columns 0…H-1, c
 * from Hp), so one program writes the new pair; GRU's state is h, [B, H].
 */
export function stateWidth(shape: GatedShape): number {
  return shape.cell === 'lstm' ? 2 * paddedWidth(shape.hidden) : shape.hidden;
}

/** Batch rows per step of the time-major 2-D layouts [T·B', ·]: B rounded up to even (row s·B' + b). */
export function rowsPerStep(batch: number): number {
  return batch + (batch % 2);
}

/** Activations, mask reads and selects, and the 2×2 block products every gated program uses. */
export function prelude(shape: GatedShape, hasMask = true): string {
  return `
    ${PACKED_HELPERS}
    ${gatedActivationGlsl(shape.activation, 'act')}
    ${gatedActivationGlsl(shape.recurrentActivation, 'gate')}
    ${maskGlsl(hasMask, shape.steps, shape.goBackwards)}
    ${MASK_SELECT_GLSL}
    // Rows b, b+1 of a [·, K] block h (columns k, k+1) times the [K, N] block u (rows k, k+1, columns n, n+1).
    vec4 mulBlock(vec4 h, vec4 u) { return h.xxzz * u.xyxy + h.yyww * u.zwzw; }
    // The same with column k only (the odd last k: never touches the padding half).
    vec4 mulBlockTail(vec4 h, vec4 u) { return h.xxzz * u.xyxy; }
    // d (rows b, b+1, columns k, k+1) times the transpose of u = M block (rows j, j+1, columns k, k+1).
    vec4 mulBlockT(vec4 d, vec4 u) { return d.xxzz * u.xzxz + d.yyww * u.ywyw; }
    vec4 mulBlockTTail(vec4 d, vec4 u) { return d.xxzz * u.xzxz; }
    vec4 maskBlock(int b, int s) {
      int b1 = b + 1 < ${shape.batch} ? b + 1 : b;
      return vec4(vec2(maskAt(b, s)), vec2(maskAt(b1, s)));
    }
  `;
}

/** `acc += block(k) · U[k, col + k']` over every k in pairs, for each named accumulator and column expression. */
function recurrentLoop(hidden: number, stateExpr: string, terms: { acc: string; col: string; state?: string; when?: string }[]): string {
  return pairLoop(hidden, 'k', (tail) => `
    vec4 st = ${stateExpr};
    ${terms
      .map((t) => {
        const update = `${t.acc} += ${tail ? 'mulBlockTail' : 'mulBlock'}(${t.state ?? 'st'}, getRecurrent(k, ${t.col}));`;
        return t.when === undefined ? update : `if (${t.when}) { ${update} }`;
      })
      .join('\n    ')}
  `);
}

/**
 * Copies and re-indexes a tensor element by element into a packed one: pads gate blocks to Hp, unpads them,
 * splits GRU's [2, 3H] bias into rows, takes h or c out of LSTM's [·, 2·Hp] states. `valueGlsl` defines
 * `float valueAt(...)` over the output coordinates (1 to 3 ints); elements past the shape are zero.
 */
export class RemapProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(outputShape: number[], variableNames: string[], valueGlsl: string) {
    this.outputShape = outputShape;
    this.variableNames = variableNames;
    const rank = outputShape.length;
    const cols = outputShape[rank - 1]!;
    let main: string;
    if (rank === 1) {
      main = `int c = getOutputCoords();
        vec4 result = vec4(valueAt(c), c + 1 < ${cols} ? valueAt(c + 1) : 0.0, 0.0, 0.0);`;
    } else {
      const rows = outputShape[rank - 2]!;
      const lead = rank === 3 ? 'rc.x, ' : '';
      main = `${rank === 3 ? 'ivec3' : 'ivec2'} rc = getOutputCoords();
        int r = rc.${rank === 3 ? 'y' : 'x'};
        int c = rc.${rank === 3 ? 'z' : 'y'};
        bool c1 = c + 1 < ${cols};
        bool r1 = r + 1 < ${rows};
        vec4 result = vec4(valueAt(${lead}r, c), c1 ? valueAt(${lead}r, c + 1) : 0.0,
                           r1 ? valueAt(${lead}r + 1, c) : 0.0, r1 && c1 ? valueAt(${lead}r + 1, c + 1) : 0.0);`;
    }
    this.userCode = `
      ${PACKED_HELPERS}
      ${valueGlsl}
      void main() {
        ${main}
        setOutput(result);
      }
    `;
  }
}

/**
 * `valueAt` for a gate-block re-indexing along the last dimension: output column c lies in block c / toWidth at
 * offset k; it reads source column offset + block·fromWidth + k, or is 0 where k ≥ valid. `lead`: the leading
 * output coordinates passed through ('' for a 1-D output, 'r' for 2-D, 'b, r' for 3-D); `row`: a fixed source
 * row put before the column instead (GRU's [2, 3H] bias), or null.
 */
export function blockRemapGlsl(options: {
  lead: '' | 'r' | 'b, r';
  fromWidth: number;
  toWidth: number;
  valid: number;
  offset: number;
  row?: number;
}): string {
  const { lead, fromWidth, toWidth, valid, offset, row } = options;
  const params = lead === '' ? 'int c' : lead === 'r' ? 'int r, int c' : 'int b, int r, int c';
  let read: string;
  if (row !== undefined) read = `elementOf(getSource(${row}, col), ${row % 2}, imod(col, 2))`;
  else if (lead === '') read = 'elementOf(getSource(col), 0, imod(col, 2))';
  else if (lead === 'r') read = 'elementOf(getSource(r, col), imod(r, 2), imod(col, 2))';
  else read = 'elementOf(getSource(b, r, col), imod(r, 2), imod(col, 2))';
  return `
    float valueAt(${params}) {
      int block = c / ${toWidth};
      int k = c - block * ${toWidth};
      if (k >= ${valid}) return 0.0;
      int col = ${offset} + block * ${fromWidth} + k;
      return ${read};
    }
  `;
}

/**
 * What a {@link GatedStepProgram} computes: 'state' the new state (one program per step); 'reset' r⊙h (GRU without
 * resetAfter, before 'state'); 'cell' and 'lstmState' a split LSTM step; for a forward that keeps its gates for the
 * backward ({@link KEPT_GATE_BLOCKS}): 'gates' the step's gate values, 'gateR' r before them (GRU without
 * resetAfter), 'fromGates' the state from them, element-wise.
 */
export type GatedStepPhase = 'state' | 'reset' | 'cell' | 'lstmState' | 'gates' | 'gateR' | 'fromGates';

/**
 * Blocks of Hp columns of the gate values a forward keeps for its backward, per step [B, 4·Hp] and gathered
 * [B, T, 4·Hp] (processing order), 0 in masked steps and padding columns: LSTM i, f, c̃, o (activated); GRU
 * resetAfter z, r, p_h, q_h ({@link GatedGatesProgram}'s layout); GRU otherwise z, r, ĥ, r⊙h_{s-1} (its gates, then
 * {@link GruCandidateProgram}'s).
 */
export const KEPT_GATE_BLOCKS = 4;

/**
 * One forward timestep of a gated cell, organised like {@link RnnStepProgram} (same variants, same 'step' /
 * 'flush' outputs, step index as a custom uniform), over the cell's state tensor ({@link stateWidth}):
 * - LSTM: the four gates' h·U (one pass over h for all four), the activations, c' = f⊙c + i⊙c̃ and
 *   h' = o⊙act(c'), written as the new [h, c] pair; a fragment computes the gates of its column pair.
 * - GRU resetAfter: z, r and h·U_h + b'_h in one pass, ĥ = act(p_h + r⊙(h·U_h + b'_h)), h' = ĥ + z⊙(h − ĥ).
 * - GRU without resetAfter, phase 'reset': r⊙h [B, H] (r needs a full pass over h before (r⊙h)·U_h can start),
 *   then phase 'state': z and (r⊙h)·U_h, h' as above. Two programs per step.
 * A step whose mask is 0 keeps the previous state exactly (a select).
 * Inputs: `proj` [T, B, G·Hp] (time-major x·W + b) or, with `constant.inputs`, `xs` [B, T, I] (a row-major packed
 * texture, read at computed coordinates: texel_layout.ts), `weights` W [I, G·Hp] and `bias` [G·Hp] (the step forms
 * x·W + b itself, x texels shared by its gates), then `recurrent` U [H, G·Hp], `mask` [B, T], then
 * `recurrentBias` [3·Hp] (GRU resetAfter), `reset` [B, H] (GRU phase 'state' without resetAfter), then the
 * previous state: `h0` (+ `c0`) [B, H], or `chunk`, and `pending0…`. Without `mask` and h0/c0 when the
 * constructor's `constant` says so.
 */
export class GatedStepProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  /**
   * `constant`: `noMask` drops the mask input (every step counts: the caller saw a mask of ones), `zeroInitial`
   * drops h0 (and c0) and reads zeros instead (the caller saw zero initial states), so neither is uploaded;
   * `inputs` reads x, W and b in place of `proj` (see the inputs above).
   */
  constructor(
    shape: GatedShape,
    variant: StepVariant,
    phase: GatedStepPhase,
    constant: { noMask?: boolean; zeroInitial?: boolean; inputs?: { inputSize: number } } = {},
  ) {
    const { batch, hidden, cell, resetAfter } = shape;
    const { noMask = false, zeroInitial = false, inputs } = constant;
    const hp = paddedWidth(hidden);
    const lstm = cell === 'lstm';
    const widths: Record<GatedStepPhase, number> = {
      state: stateWidth(shape),
      reset: hidden,
      cell: hp,
      lstmState: stateWidth(shape),
      gates: KEPT_GATE_BLOCKS * hp,
      gateR: hp,
      fromGates: stateWidth(shape),
    };
    const width = widths[phase];
    const { previous, pending, output } = variant;
    this.outputShape = output === 'flush' ? [batch, pending + 1, width] : [batch, width];
    const twoPhase = !lstm && !resetAfter;
    const readsReset = twoPhase && (phase === 'state' || phase === 'gates');
    // 'fromGates' is element-wise: it reads the step's gates, not x, W, b or U.
    const products = phase !== 'fromGates';
    this.variableNames = [
      ...(!products ? [] : inputs === undefined ? ['proj'] : ['xs', 'weights', 'bias']),
      ...(products ? ['recurrent'] : []),
      ...(noMask ? [] : ['mask']),
      ...(products && !lstm && resetAfter ? ['recurrentBias'] : []),
      ...(readsReset ? ['reset'] : []),
      ...(phase === 'lstmState' ? ['cellNew'] : []),
      ...(phase === 'fromGates' ? ['stepGates'] : []),
      ...(previous === 'initial' && !zeroInitial ? (lstm ? ['h0', 'c0'] : ['h0']) : []),
      ...(previous === 'chunk' ? ['chunk'] : []),
      ...pendingNames(pending),
    ];
    const initial = zeroInitial
      ? 'return vec4(0.0);'
      : lstm
        ? `if (k >= ${hp}) return getC0(b, k - ${hp}); return getH0(b, k);`
        : 'return getH0(b, k);';
    // x·W + b of step s at gate columns col, col+1 into new accumulators: read from `proj`, or formed here.
    const projected = (terms: { acc: string; col: string; when?: string }[]): string =>
      inputs === undefined
        ? terms.map((t) => `vec4 ${t.acc} = getProj(s, b, ${t.col});`).join('\n        ')
        : `${terms.map((t) => `vec4 ${t.acc} = getBias(${t.col}).xyxy;`).join('\n        ')}
        ${stepInputProductGlsl(shape, inputs.inputSize, terms)}`;
    // A kept gate block: zero in a masked step (a select: x may be NaN there) and in the odd H's padding column.
    const kept = (v: string): string => `{
          vec4 kept = maskZero(m, ${v});
          if (k0 + 1 >= ${hidden}) { kept.y = 0.0; kept.w = 0.0; }
          return kept;
        }`;
    const blockOf = `int block = n / ${hp};
        int k0 = n - block * ${hp};`;
    let body: string;
    if (phase === 'gates' && lstm) {
      // The step's activated gates i, f, c̃, o [B, 4·Hp], one product column per texel.
      body = `
        ${blockOf}
        ${projected([{ acc: 'z', col: 'n' }])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [{ acc: 'z', col: 'n' }])}
        ${kept('block == 2 ? act(z) : gate(z)')}`;
    } else if (phase === 'gates' && resetAfter) {
      // z, r, p_h = x·W_h + b_h and q_h = h·U_h + b'_h [B, 4·Hp]: block 3 reads U's (and b''s) h block.
      body = `
        ${blockOf}
        int col = block == 3 ? ${2 * hp} + k0 : n;
        ${projected([{ acc: 'p', col: 'col', when: 'block != 3' }])}
        vec4 q = getRecurrentBias(col).xyxy;
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [{ acc: 'q', col: 'col', when: 'block != 2' }])}
        ${kept('block == 2 ? p : block == 3 ? q : gate(p + q)')}`;
    } else if (phase === 'gates') {
      // z, r, ĥ = act(x·W_h + b_h + (r⊙h)·U_h) and r⊙h [B, 4·Hp], from r ('gateR', the input \`reset\`).
      body = `
        ${blockOf}
        if (block == 1) ${kept('getReset(b, k0)')}
        if (block == 3) ${kept('getReset(b, k0) * previousBlock(s, b, k0)')}
        ${projected([{ acc: 'q', col: 'n' }])}
        ${recurrentLoop(hidden, 'block == 2 ? getReset(b, k) * previousBlock(s, b, k) : previousBlock(s, b, k)', [{ acc: 'q', col: 'n' }])}
        ${kept('block == 2 ? act(q) : gate(q)')}`;
    } else if (phase === 'gateR') {
      // GRU without resetAfter, kept gates: r [B, Hp] first ('gates' needs a full r before (r⊙h)·U_h).
      body = `
        ${projected([{ acc: 'qr', col: `n + ${hp}` }])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [{ acc: 'qr', col: `n + ${hp}` }])}
        return gate(qr);`;
    } else if (phase === 'fromGates' && lstm) {
      // The [h, c] state from the step's kept gates: element-wise.
      body = `
        bool cellHalf = n >= ${hp};
        int col = cellHalf ? n - ${hp} : n;
        vec4 cp = previousBlock(s, b, col + ${hp});
        vec4 cNew = getStepGates(b, col + ${hp}) * cp + getStepGates(b, col) * getStepGates(b, col + ${2 * hp});
        if (cellHalf) return maskSelect(m, cp, cNew);
        return maskSelect(m, previousBlock(s, b, col), getStepGates(b, col + ${3 * hp}) * act(cNew));`;
    } else if (phase === 'fromGates') {
      const candidate = resetAfter ? `act(getStepGates(b, n + ${2 * hp}) + getStepGates(b, n + ${hp}) * getStepGates(b, n + ${3 * hp}))` : `getStepGates(b, n + ${2 * hp})`;
      body = `
        vec4 z = getStepGates(b, n);
        vec4 hh = ${candidate};
        vec4 hp = previousBlock(s, b, n);
        return maskSelect(m, hp, hh + z * (hp - hh));`;
    } else if (lstm && phase === 'cell') {
      // Phase 1 of a split LSTM step: c' = f⊙c + i⊙c̃ (unmasked) [B, Hp], three gates' products per texel.
      body = `
        ${projected([
          { acc: 'zi', col: 'n' },
          { acc: 'zf', col: `n + ${hp}` },
          { acc: 'zg', col: `n + ${2 * hp}` },
        ])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [
          { acc: 'zi', col: 'n' },
          { acc: 'zf', col: `n + ${hp}` },
          { acc: 'zg', col: `n + ${2 * hp}` },
        ])}
        return gate(zf) * previousBlock(s, b, n + ${hp}) + gate(zi) * act(zg);`;
    } else if (lstm && phase === 'lstmState') {
      // Phase 2: the [h, c] state from c' (phase 1) and the o gate, whose products only the h half computes.
      body = `
        bool cellHalf = n >= ${hp};
        int col = cellHalf ? n - ${hp} : n;
        vec4 cNew = getCellNew(b, col);
        if (cellHalf) return maskSelect(m, previousBlock(s, b, n), cNew);
        ${projected([{ acc: 'zo', col: `col + ${3 * hp}` }])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [{ acc: 'zo', col: `col + ${3 * hp}` }])}
        return maskSelect(m, previousBlock(s, b, col), gate(zo) * act(cNew));`;
    } else if (lstm) {
      body = `
        bool cellHalf = n >= ${hp};
        int col = cellHalf ? n - ${hp} : n;
        ${projected([
          { acc: 'zi', col: 'col' },
          { acc: 'zf', col: `col + ${hp}` },
          { acc: 'zg', col: `col + ${2 * hp}` },
          { acc: 'zo', col: `col + ${3 * hp}`, when: '!cellHalf' },
        ])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [
          { acc: 'zi', col: 'col' },
          { acc: 'zf', col: `col + ${hp}` },
          { acc: 'zg', col: `col + ${2 * hp}` },
          // The c half never needs o: its fragments skip that quarter of the reads.
          { acc: 'zo', col: `col + ${3 * hp}`, when: '!cellHalf' },
        ])}
        vec4 cp = previousBlock(s, b, col + ${hp});
        vec4 cNew = gate(zf) * cp + gate(zi) * act(zg);
        if (cellHalf) return maskSelect(m, cp, cNew);
        return maskSelect(m, previousBlock(s, b, col), gate(zo) * act(cNew));`;
    } else if (resetAfter) {
      body = `
        ${projected([
          { acc: 'pz', col: 'n' },
          { acc: 'pr', col: `n + ${hp}` },
          { acc: 'ph', col: `n + ${2 * hp}` },
        ])}
        vec4 qz = getRecurrentBias(n).xyxy;
        vec4 qr = getRecurrentBias(n + ${hp}).xyxy;
        vec4 qh = getRecurrentBias(n + ${2 * hp}).xyxy;
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [
          { acc: 'qz', col: 'n' },
          { acc: 'qr', col: `n + ${hp}` },
          { acc: 'qh', col: `n + ${2 * hp}` },
        ])}
        vec4 z = gate(pz + qz);
        vec4 hh = act(ph + gate(pr + qr) * qh);
        vec4 hp = previousBlock(s, b, n);
        return maskSelect(m, hp, hh + z * (hp - hh));`;
    } else if (phase === 'reset') {
      body = `
        ${projected([{ acc: 'qr', col: `n + ${hp}` }])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [{ acc: 'qr', col: `n + ${hp}` }])}
        return gate(qr) * previousBlock(s, b, n);`;
    } else {
      body = `
        ${projected([
          { acc: 'qz', col: 'n' },
          { acc: 'qh', col: `n + ${2 * hp}` },
        ])}
        ${recurrentLoop(hidden, 'previousBlock(s, b, k)', [
          { acc: 'qz', col: 'n' },
          { acc: 'qh', col: `n + ${2 * hp}`, state: 'getReset(b, k)' },
        ])}
        vec4 z = gate(qz);
        vec4 hh = act(qh);
        vec4 hp = previousBlock(s, b, n);
        return maskSelect(m, hp, hh + z * (hp - hh));`;
    }
    this.userCode = `
      ${prelude(shape, !noMask)}
      ${pendingGlsl(pending)}

      // The previous state at batch rows b, b+1 (b even) and columns k, k+1 of the state tensor.
      vec4 previousBlock(int s, int b, int k) {
        ${previousStateGlsl(variant, batch, initial)}
      }

      // What the phase computes (the new state, r⊙h, c', gates) at batch rows b, b+1 and columns n, n+1.
      vec4 stepBlock(int s, int b, int n) {
        vec4 m = maskBlock(b, s);
        ${body}
      }
      ${stepMainGlsl(output, batch, width, pending)}
    `;
  }
}

/**
 * A [B, T, ·] sequence (or h0/c0 and a sequence) rewritten time-major as [T·B', W], row s·B' + b, zero padding:
 * `shift` 1 gives the PREVIOUS state of every step (row s holds step s-1 of the sequence, `initial` at s = 0),
 * `reverse` reads step T-1-s (x in processing order with goBackwards), `masked` zeroes the rows of masked steps
 * (x: a masked step contributes nothing to dW, and its x may be NaN), `columnOffset` (even) reads columns
 * offset … offset + W - 1 of a wider sequence. The backward programs read one texel per 2×2 block of these.
 * Inputs: `seq` [B, T, W], then `initial` [B, W] when shift is 1, then `mask` [B, T] when masked.
 */
export class TimeMajorProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, steps: number, width: number, shift: 0 | 1, reverse: boolean, masked = false, columnOffset = 0) {
    const rows = rowsPerStep(batch);
    this.variableNames = [...(shift === 1 ? ['seq', 'initial'] : ['seq']), ...(masked ? ['mask'] : [])];
    this.outputShape = [steps * rows, width];
    const source = reverse ? `${steps - 1} - s` : shift === 1 ? 's - 1' : 's';
    this.userCode = `
      ${PACKED_HELPERS}
      ${maskGlsl(masked, steps, reverse)}
      ${MASK_SELECT_GLSL}
      void main() {
        ivec2 rc = getOutputCoords();
        int s = rc.x / ${rows};
        int b = rc.x - s * ${rows};
        int n = rc.y;
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        vec4 result;
        ${shift === 1 ? 'if (s == 0) { result = getInitial(b, n); } else {' : '{'}
          int t = ${source};
          int c = n + ${columnOffset};
          result = vec4(rowOf(getSeq(b, t, c), imod(t, 2)), rowOf(getSeq(b1, t, c), imod(t, 2)));
        }
        ${masked ? 'result = maskZero(vec4(vec2(maskAt(b, s)), vec2(maskAt(b1, s))), result);' : ''}
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (n + 1 >= ${width}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}

/** Blocks of Hp columns a {@link GatedGatesProgram} writes. */
export function gatesBlocks(shape: GatedShape): number {
  return shape.cell === 'lstm' ? 4 : shape.resetAfter ? 4 : 2;
}

/**
 * `vec4 inputProduct(int row, int col)`: x·W + b at time-major rows row, row+1 and gate columns col, col+1, from
 * `xs` [T·B', I] (x time-major, processing order), `kernel` W [I, G·Hp] and `bias` [G·Hp]: the input projection
 * recomputed inside the backward's gate programs rather than as a program of its own.
 */
function inputProductGlsl(inputSize: number): string {
  return `
    vec4 inputProduct(int row, int col) {
      vec4 acc = getBias(col).xyxy;
      ${pairLoop(inputSize, 'k', (tail) => `acc += ${tail ? 'mulBlockTail' : 'mulBlock'}(getXs(row, k), getKernel(k, col));`)}
      return acc;
    }
  `;
}

/**
 * The gate values of every step at once, recomputed from x and the saved states for the backward pass, [T·B',
 * blocks·Hp] time-major, each block one product x·W + b + h_{s-1}·U (x·W and h·U accumulate in one loop each, in
 * the one program): LSTM i, f, c̃, o; GRU resetAfter z, r, then the two halves of ĥ's argument, p_h = x·W_h + b_h
 * and q_h = h·U_h + b'_h (ĥ = act(p_h + r⊙q_h) is formed where the gates are read, {@link GatedFactorsProgram});
 * GRU otherwise z, r (ĥ needs r first: {@link GruCandidateProgram}).
 * Inputs: `xs` [T·B', I] (time-major, processing order), `kernel` W [I, G·Hp], `bias` [G·Hp], `recurrent` U [H,
 * G·Hp], `previous` h_{s-1} [T·B', H], `recurrentBias` [3·Hp] (GRU resetAfter).
 */
export class GatedGatesProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: GatedShape, inputSize: number) {
    const { batch, steps, hidden, cell, resetAfter } = shape;
    const hp = paddedWidth(hidden);
    const rows = rowsPerStep(batch);
    const blocks = gatesBlocks(shape);
    this.variableNames = ['xs', 'kernel', 'bias', 'recurrent', 'previous', ...(cell === 'gru' && resetAfter ? ['recurrentBias'] : [])];
    this.outputShape = [steps * rows, blocks * hp];
    let select: string;
    if (cell === 'lstm') {
      select = `
        vec4 z = inputProduct(row, col) + recurrentProduct(row, col);
        result = block == 2 ? act(z) : gate(z);`;
    } else if (resetAfter) {
      select = `
        if (block == 2) result = inputProduct(row, col);
        else if (block == 3) result = getRecurrentBias(${2 * hp} + k0).xyxy + recurrentProduct(row, ${2 * hp} + k0);
        else result = gate(inputProduct(row, col) + getRecurrentBias(col).xyxy + recurrentProduct(row, col));`;
    } else {
      select = `result = gate(inputProduct(row, col) + recurrentProduct(row, col));`;
    }
    this.userCode = `
      ${prelude(shape, false)}
      ${inputProductGlsl(inputSize)}
      vec4 recurrentProduct(int row, int col) {
        vec4 acc = vec4(0.0);
        ${recurrentLoop(hidden, 'getPrevious(row, k)', [{ acc: 'acc', col: 'col' }])}
        return acc;
      }
      void main() {
        ivec2 rc = getOutputCoords();
        int row = rc.x;
        int s = row / ${rows};
        int b = row - s * ${rows};
        int col = rc.y;
        int block = col / ${hp};
        int k0 = col - block * ${hp};
        vec4 result;
        ${select}
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (k0 + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}

/**
 * GRU without resetAfter, every step: ĥ = act(x·W_h + b_h + (r⊙h_{s-1})·U_h) and r⊙h_{s-1}, [T·B', 2·Hp]
 * time-major.
 * Inputs: `xs` [T·B', I], `kernel` W [I, 3·Hp], `bias` [3·Hp], `recurrent` U [H, 3·Hp], `previous` [T·B', H],
 * `gates` z, r [T·B', 2·Hp].
 */
export class GruCandidateProgram implements GPGPUProgram {
  variableNames = ['xs', 'kernel', 'bias', 'recurrent', 'previous', 'gates'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: GatedShape, inputSize: number) {
    const { batch, steps, hidden } = shape;
    const hp = paddedWidth(hidden);
    const rows = rowsPerStep(batch);
    this.outputShape = [steps * rows, 2 * hp];
    this.userCode = `
      ${prelude(shape, false)}
      ${inputProductGlsl(inputSize)}
      void main() {
        ivec2 rc = getOutputCoords();
        int row = rc.x;
        int s = row / ${rows};
        int b = row - s * ${rows};
        int block = rc.y / ${hp};
        int k0 = rc.y - block * ${hp};
        vec4 result;
        if (block == 1) {
          result = getGates(row, ${hp} + k0) * getPrevious(row, k0);
        } else {
          vec4 acc = inputProduct(row, ${2 * hp} + k0);
          ${recurrentLoop(hidden, `getGates(row, ${hp} + k) * getPrevious(row, k)`, [{ acc: 'acc', col: `${2 * hp} + k0` }])}
          result = act(acc);
        }
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (k0 + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}

/** Blocks of Hp columns a {@link GatedFactorsProgram} writes. */
export function factorBlocks(shape: GatedShape): number {
  return shape.cell === 'lstm' ? 6 : 5;
}

/**
 * The per-step factors that turn the total gradients reaching a step's state into its gate gradients (and the
 * carries), for every step at once, [T·B', blocks·Hp] time-major, 0 wherever the mask is 0 (selected, so a NaN
 * of a masked step never enters the backward pass). With m the mask and g the total gradient at h (LSTM: gh,
 * gc at h and c):
 * - LSTM: K = m·o·act'(act(c)), A_i = c̃·σ'(i), A_f = c_{s-1}·σ'(f), A_c = i·act'(c̃), A_o = act(c)·σ'(o), f.
 *   dc' = m·gc + K·gh; dz = [dc'·A_i, dc'·A_f, dc'·A_c, m·gh·A_o]; carry_c = (1−m)·gc + dc'·f.
 * - GRU resetAfter (ĥ = act(p_h + r⊙q_h) from the gates' p_h and q_h): A_z = (h_{s-1} − ĥ)·σ'(z), A_r = A_h·(h·U_h + b'_h)·σ'(r), A_h = (1 − z)·act'(ĥ), A_q = A_h·r, z.
 * - GRU otherwise: A_z, B_r = h_{s-1}·σ'(r), A_h, r, z (dr needs d(r⊙h) = dĥ·U_hᵀ first).
 * Inputs: `gates` [T·B', ·], `previous` h_{s-1} (GRU) or c_{s-1} (LSTM) [T·B', H], `mask` [B, T], `candidate`
 * (GRU without resetAfter, {@link GruCandidateProgram}).
 */
export class GatedFactorsProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: GatedShape) {
    const { batch, steps, hidden, cell, resetAfter } = shape;
    const hp = paddedWidth(hidden);
    const rows = rowsPerStep(batch);
    const blocks = factorBlocks(shape);
    this.variableNames = ['gates', 'previous', 'mask', ...(cell === 'gru' && !resetAfter ? ['candidate'] : [])];
    this.outputShape = [steps * rows, blocks * hp];
    const g = (i: number) => `getGates(row, ${i * hp} + k0)`;
    let body: string;
    if (cell === 'lstm') {
      body = `
        vec4 i = ${g(0)}; vec4 f = ${g(1)}; vec4 cc = ${g(2)}; vec4 o = ${g(3)};
        vec4 cp = getPrevious(row, k0);
        vec4 ac = act(f * cp + i * cc);
        if (block == 0) v = m * o * actSlope(ac);
        else if (block == 1) v = cc * gateSlope(i);
        else if (block == 2) v = cp * gateSlope(f);
        else if (block == 3) v = i * actSlope(cc);
        else if (block == 4) v = ac * gateSlope(o);
        else v = f;`;
    } else if (resetAfter) {
      body = `
        vec4 z = ${g(0)}; vec4 r = ${g(1)}; vec4 qh = ${g(3)};
        vec4 hh = act(${g(2)} + r * qh);
        vec4 ah = (1.0 - z) * actSlope(hh);
        if (block == 0) v = (getPrevious(row, k0) - hh) * gateSlope(z);
        else if (block == 1) v = ah * qh * gateSlope(r);
        else if (block == 2) v = ah;
        else if (block == 3) v = ah * r;
        else v = z;`;
    } else {
      body = `
        vec4 z = ${g(0)}; vec4 r = ${g(1)}; vec4 hh = getCandidate(row, k0);
        if (block == 0) v = (getPrevious(row, k0) - hh) * gateSlope(z);
        else if (block == 1) v = getPrevious(row, k0) * gateSlope(r);
        else if (block == 2) v = (1.0 - z) * actSlope(hh);
        else if (block == 3) v = r;
        else v = z;`;
    }
    this.userCode = `
      ${prelude(shape)}
      void main() {
        ivec2 rc = getOutputCoords();
        int row = rc.x;
        int s = row / ${rows};
        int b = row - s * ${rows};
        int block = rc.y / ${hp};
        int k0 = rc.y - block * ${hp};
        vec4 m = maskBlock(b, s);
        vec4 v;
        ${body}
        vec4 result = maskZero(m, v);
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        if (k0 + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}

/**
 * The total gradient reaching the last step's state, g_{T-1} = dh_{T-1} (and dc_{T-1}), written as a one-row
 * chunk [B, 1, W] of the state layout: the backward steps start from it as from any chunk.
 * Inputs: `dh` [B, T, H], `dc` [B, T, H] (LSTM).
 */
export class GradStartProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: GatedShape) {
    const { batch, steps, hidden, cell } = shape;
    const hp = paddedWidth(hidden);
    const width = stateWidth(shape);
    this.variableNames = cell === 'lstm' ? ['dh', 'dc'] : ['dh'];
    this.outputShape = [batch, 1, width];
    const last = steps - 1;
    const read =
      cell === 'lstm'
        ? `n >= ${hp} ? rowOf(getDc(b, ${last}, n - ${hp}), ${last % 2}) : rowOf(getDh(b, ${last}, n), ${last % 2})`
        : `rowOf(getDh(b, ${last}, n), ${last % 2})`;
    this.userCode = `
      ${PACKED_HELPERS}
      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int n = rc.z;
        int col = ${cell === 'lstm' ? `n >= ${hp} ? n - ${hp} : n` : 'n'};
        vec2 v = ${read};
        if (col + 1 >= ${hidden}) v.y = 0.0;
        setOutput(vec4(v, 0.0, 0.0));
      }
    `;
  }
}

/** Where a gated carry program reads g_s, and what it writes (see {@link CarryVariant} of the SimpleRNN). */
export interface GatedCarryVariant {
  source: 'pending' | 'chunk';
  pending: number;
  output: 'step' | 'flush' | 'initialState';
}

/** GLSL of `gradBlock(s, b, k)`: g_s at batch rows b, b+1, state columns k, k+1, from the carry variant's source. */
export function gradSourceGlsl(batch: number, source: GatedCarryVariant['source'], pending: number): string {
  return `
    vec4 gradBlock(int s, int b, int k) {
      int b1 = b + 1 < ${batch} ? b + 1 : b;
      ${source === 'pending' ? `return getPending${pending - 1}(b, k);` : 'return vec4(getChunk(b, 0, k).xy, getChunk(b1, 0, k).xy);'}
    }
  `;
}

/** GLSL of `factor(s, b, block, k)`: a {@link GatedFactorsProgram} texel. */
export function factorGlsl(batch: number, hp: number): string {
  return `
    vec4 factor(int s, int b, int block, int k) {
      return getFactors(s * ${rowsPerStep(batch)} + b, block * ${hp} + k);
    }
  `;
}

/**
 * GRU without resetAfter, one backward step's d(r⊙h_{s-1}) = dĥ·U_hᵀ with dĥ = m·g_s·A_h, [B, H] (the carry
 * needs all of it before dr = d(r⊙h)·B_r can enter its own product with U_rᵀ).
 * Inputs: `factors`, `recurrent` U [H, 3·Hp], `mask`, then `chunk` or `pending0` (g_s).
 */
export class GruResetGradProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  constructor(shape: GatedShape, source: GatedCarryVariant['source']) {
    const { batch, hidden } = shape;
    const hp = paddedWidth(hidden);
    this.variableNames = ['factors', 'recurrent', 'mask', source === 'chunk' ? 'chunk' : 'pending0'];
    this.outputShape = [batch, hidden];
    this.userCode = `
      ${prelude(shape)}
      ${gradSourceGlsl(batch, source, 1)}
      ${factorGlsl(batch, hp)}
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int j = rc.y;
        int s = stepIndex;
        vec4 m = maskBlock(b, s);
        vec4 acc = vec4(0.0);
        ${pairLoop(hidden, 'k', (tail) => `
          vec4 d = m * gradBlock(s, b, k) * factor(s, b, 2, k);
          acc += ${tail ? 'mulBlockTTail' : 'mulBlockT'}(d, getRecurrent(j, ${2 * hp} + k));
        `)}
        if (b + 1 >= ${batch}) acc.zw = vec2(0.0);
        if (j + 1 >= ${hidden}) { acc.y = 0.0; acc.w = 0.0; }
        setOutput(acc);
      }
    `;
  }
}

/**
 * One step of a gated cell's backpropagation through time, organised like {@link RnnCarryProgram}: g_{s-1} =
 * d_{s-1} + carry_{s-1}, with d the upstream gradients (dh, and dc for LSTM) and the carry through step s:
 * - LSTM: carry_h = dz·Uᵀ + (1−m)·gh, carry_c = (1−m)·gc + dc'·f (the factors of {@link GatedFactorsProgram}),
 *   written as the [gh, gc] pair.
 * - GRU resetAfter: carry = dQ·Uᵀ + (1−m)·g + m·g·z, dQ = m·g·[A_z, A_r, A_q].
 * - GRU otherwise: carry = [m·g·A_z, d(r⊙h)·B_r]·U_zrᵀ + d(r⊙h)·r + (1−m)·g + m·g·z.
 * The gate gradients are formed inside the products from the factors, never stored per step.
 * Inputs: `dh` [B, T, H], `dc` (LSTM), `factors`, `recurrent` U [H, G·Hp], `mask`, `resetGrad` [B, H] (GRU without
 * resetAfter), then `chunk` and `pending0…` as the variant says.
 */
export class GatedCarryProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms = [{ name: 'stepIndex', type: 'int' as const }];

  constructor(shape: GatedShape, variant: GatedCarryVariant) {
    const { batch, hidden, cell, resetAfter } = shape;
    const hp = paddedWidth(hidden);
    const lstm = cell === 'lstm';
    const width = stateWidth(shape);
    const { source, pending, output } = variant;
    this.variableNames = [
      'dh',
      ...(lstm ? ['dc'] : []),
      'factors',
      'recurrent',
      'mask',
      ...(!lstm && !resetAfter ? ['resetGrad'] : []),
      ...(source === 'chunk' ? ['chunk'] : []),
      ...pendingNames(pending),
    ];
    this.outputShape = output === 'flush' ? [batch, pending + 1, width] : [batch, width];
    const rows = (name: string, col: string) =>
      `vec4(rowOf(get${name}(b, s, ${col}), imod(s, 2)), rowOf(get${name}(b1, s, ${col}), imod(s, 2)))`;
    const upstream = lstm ? `j >= ${hp} ? ${rows('Dc', `j - ${hp}`)} : ${rows('Dh', 'j')}` : rows('Dh', 'j');
    const mul = (tail: boolean) => (tail ? 'mulBlockTTail' : 'mulBlockT');
    let carry: string;
    if (lstm) {
      carry = `
        if (j >= ${hp}) {
          int jc = j - ${hp};
          vec4 gc = gradBlock(s, b, j);
          vec4 dcNew = m * gc + gradBlock(s, b, jc) * factor(s, b, 0, jc);
          return (1.0 - m) * gc + dcNew * factor(s, b, 5, jc);
        }
        vec4 acc = vec4(0.0);
        ${pairLoop(hidden, 'k', (tail) => `
          vec4 gh = gradBlock(s, b, k);
          vec4 dcNew = m * gradBlock(s, b, k + ${hp}) + gh * factor(s, b, 0, k);
          acc += ${mul(tail)}(dcNew * factor(s, b, 1, k), getRecurrent(j, k));
          acc += ${mul(tail)}(dcNew * factor(s, b, 2, k), getRecurrent(j, ${hp} + k));
          acc += ${mul(tail)}(dcNew * factor(s, b, 3, k), getRecurrent(j, ${2 * hp} + k));
          acc += ${mul(tail)}(m * gh * factor(s, b, 4, k), getRecurrent(j, ${3 * hp} + k));
        `)}
        return acc + (1.0 - m) * gradBlock(s, b, j);`;
    } else if (resetAfter) {
      carry = `
        vec4 acc = vec4(0.0);
        ${pairLoop(hidden, 'k', (tail) => `
          vec4 gm = m * gradBlock(s, b, k);
          acc += ${mul(tail)}(gm * factor(s, b, 0, k), getRecurrent(j, k));
          acc += ${mul(tail)}(gm * factor(s, b, 1, k), getRecurrent(j, ${hp} + k));
          acc += ${mul(tail)}(gm * factor(s, b, 3, k), getRecurrent(j, ${2 * hp} + k));
        `)}
        vec4 g = gradBlock(s, b, j);
        return acc + (1.0 - m) * g + m * g * factor(s, b, 4, j);`;
    } else {
      carry = `
        vec4 acc = vec4(0.0);
        ${pairLoop(hidden, 'k', (tail) => `
          acc += ${mul(tail)}(m * gradBlock(s, b, k) * factor(s, b, 0, k), getRecurrent(j, k));
          acc += ${mul(tail)}(getResetGrad(b, k) * factor(s, b, 1, k), getRecurrent(j, ${hp} + k));
        `)}
        vec4 g = gradBlock(s, b, j);
        return acc + (1.0 - m) * g + m * g * factor(s, b, 4, j) + getResetGrad(b, j) * factor(s, b, 3, j);`;
    }
    let main: string;
    if (output === 'flush') {
      main = `
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
          int pairRow = imod(b, 2);
          int pairStart = b - pairRow;
          row0 = rowOf(upstreamBlock(s - 1, pairStart, n) + carryBlock(s, pairStart, n), pairRow);
        }
        vec4 result = vec4(row0, row1);
        if (r + 1 > ${pending}) result.zw = vec2(0.0);
        ${padColumns(lstm, hidden, hp, 'n', 'result')}
        setOutput(result);
      }`;
    } else {
      const value = output === 'step' ? 'upstreamBlock(s - 1, b, n) + carryBlock(s, b, n)' : 'carryBlock(s, b, n)';
      main = `
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int n = rc.y;
        int s = stepIndex;
        vec4 result = ${value};
        if (b + 1 >= ${batch}) result.zw = vec2(0.0);
        ${padColumns(lstm, hidden, hp, 'n', 'result')}
        setOutput(result);
      }`;
    }
    this.userCode = `
      ${prelude(shape)}
      ${pendingGlsl(pending)}
      ${gradSourceGlsl(batch, source, pending)}
      ${factorGlsl(batch, hp)}
      // The upstream gradients at step s, batch rows b, b+1, state columns j, j+1.
      vec4 upstreamBlock(int s, int b, int j) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        return ${upstream};
      }
      // carry_{s-1} at batch rows b, b+1 (b even) and state columns j, j+1.
      vec4 carryBlock(int s, int b, int j) {
        vec4 m = maskBlock(b, s);
        ${carry}
      }
      ${main}
    `;
  }
}

/** Zeroes the padding column of a state texel at column `n` (the odd H's last pair, in h's and in c's half). */
export function padColumns(lstm: boolean, hidden: number, hp: number, n: string, v: string): string {
  const col = lstm ? `(${n} >= ${hp} ? ${n} - ${hp} : ${n})` : n;
  return `if (${col} + 1 >= ${hidden}) { ${v}.y = 0.0; ${v}.w = 0.0; }`;
}

/** Blocks of Hp columns a {@link GatedDeltasProgram} writes: the gate gradients (GRU resetAfter: dP then dQ). */
export function deltaBlocks(shape: GatedShape): number {
  return shape.cell === 'lstm' ? 4 : shape.resetAfter ? 6 : 3;
}

/**
 * The gate gradients of every step at once from the gathered total gradients, [T·B', blocks·Hp] time-major,
 * zero padding: LSTM dz_i, dz_f, dz_c, dz_o; GRU resetAfter dP = m·g·[A_z, A_r, A_h] (of x·W + b) then dQ =
 * m·g·[A_z, A_r, A_q] (of h·U + b'); GRU otherwise dz, dr = d(r⊙h)·B_r, dĥ, with d(r⊙h) = dĥ·U_hᵀ as the carry
 * steps computed it ({@link GruResetGradProgram}, gathered). They feed dx and the batched weight and bias gradients.
 * Inputs: `grads` [B, T, W] (the gathered g, processing order), `factors`, `mask`, `resetGrads` [B, T, H] (GRU
 * without resetAfter: every step's d(r⊙h_{s-1}), processing order).
 */
export class GatedDeltasProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(shape: GatedShape) {
    const { batch, steps, hidden, cell, resetAfter } = shape;
    const hp = paddedWidth(hidden);
    const rows = rowsPerStep(batch);
    this.variableNames = ['grads', 'factors', 'mask', ...(cell === 'gru' && !resetAfter ? ['resetGrads'] : [])];
    this.outputShape = [steps * rows, deltaBlocks(shape) * hp];
    let body: string;
    if (cell === 'lstm') {
      body = `
        vec4 gh = gradAt(s, b, k0);
        vec4 dcNew = m * gradAt(s, b, ${hp} + k0) + gh * factor(s, b, 0, k0);
        if (block == 3) v = m * gh * factor(s, b, 4, k0);
        else v = dcNew * factor(s, b, block + 1, k0);`;
    } else if (resetAfter) {
      body = `
        vec4 gm = m * gradAt(s, b, k0);
        int gateIndex = block >= 3 ? block - 3 : block;
        int factorIndex = block == 5 ? 3 : gateIndex;
        v = gm * factor(s, b, factorIndex, k0);`;
    } else {
      body = `
        if (block == 1) {
          int b1 = b + 1 < ${batch} ? b + 1 : b;
          vec4 resetGrad = vec4(rowOf(getResetGrads(b, s, k0), imod(s, 2)), rowOf(getResetGrads(b1, s, k0), imod(s, 2)));
          v = resetGrad * factor(s, b, 1, k0);
        } else {
          v = m * gradAt(s, b, k0) * factor(s, b, block, k0);
        }`;
    }
    this.userCode = `
      ${prelude(shape)}
      ${factorGlsl(batch, hp)}
      vec4 gradAt(int s, int b, int k) {
        int b1 = b + 1 < ${batch} ? b + 1 : b;
        return vec4(rowOf(getGrads(b, s, k), imod(s, 2)), rowOf(getGrads(b1, s, k), imod(s, 2)));
      }
      void main() {
        ivec2 rc = getOutputCoords();
        int row = rc.x;
        int s = row / ${rows};
        int b = row - s * ${rows};
        int block = rc.y / ${hp};
        int k0 = rc.y - block * ${hp};
        vec4 m = maskBlock(b, s);
        vec4 v;
        ${body}
        if (b + 1 >= ${batch}) v.zw = vec2(0.0);
        if (k0 + 1 >= ${hidden}) { v.y = 0.0; v.w = 0.0; }
        setOutput(v);
      }
    `;
  }
}

/**
 * `out[k, n] = Σ_r a[r, k] · deltas[r, offset + n]` over every row of two time-major [R, ·] tensors: a weight
 * gradient summed over all batch rows and steps in one program (dW with a = x, dU with a = h_{s-1}). With
 * `second`, the columns from `switchColumn` on read `a2` (from its column `offset`) instead (GRU's U_h
 * multiplies r⊙h_{s-1}).
 * Inputs: `a` [R, K], `deltas` [R, ·], `a2` [R, K] (with second). R is even and padding rows are zero. Long
 * sequences write partial sums over 256-row blocks instead ({@link timeMajorWeightGradSplits}).
 */
export class TimeMajorWeightGradProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, inner: number, outer: number, offset: number, second: { switchColumn: number; offset: number } | null) {
    this.variableNames = second === null ? ['a', 'deltas'] : ['a', 'deltas', 'a2'];
    const splits = timeMajorWeightGradSplits(rows);
    this.outputShape = splits > 1 ? [splits, inner, outer] : [inner, outer];
    const read = second === null ? 'getA(r, k)' : `n >= ${second.switchColumn} ? getA2(r, ${second.offset} + k) : getA(r, k)`;
    this.userCode = `
      void main() {
        ${splits > 1 ? 'ivec3 rc = getOutputCoords(); int split = rc.x; int k = rc.y; int n = rc.z;' : 'ivec2 rc = getOutputCoords(); int split = 0; int k = rc.x; int n = rc.y;'}
        int first = split * ${WEIGHT_GRAD_SPLIT_ROWS};
        vec4 acc = vec4(0.0);
        // Constant loop bounds (GLSL ES 1.0); the last split stops at the end of the rows.
        for (int i = 0; i < ${splits > 1 ? WEIGHT_GRAD_SPLIT_ROWS : rows}; i += 2) {
          int r = first + i;
          ${splits > 1 ? `if (r >= ${rows}) break;` : ''}
          vec4 a = ${read};
          vec4 d = getDeltas(r, ${offset} + n);
          acc += a.xxyy * d.xyxy + a.zzww * d.zwzw;
        }
        if (k + 1 >= ${inner}) acc.zw = vec2(0.0);
        if (n + 1 >= ${outer}) { acc.y = 0.0; acc.w = 0.0; }
        setOutput(acc);
      }
    `;
  }
}

/**
 * How many partial sums a {@link TimeMajorWeightGradProgram} over `rows` rows writes ([splits, K, N], summed by
 * the SimpleRNN's PartialSumProgram): 1 below 4 blocks of 256 rows, as the SimpleRNN weight gradients (a walk
 * over every row per output texel streams from memory once the inputs outgrow the cache).
 */
export function timeMajorWeightGradSplits(rows: number): number {
  return rows >= 4 * WEIGHT_GRAD_SPLIT_ROWS ? Math.ceil(rows / WEIGHT_GRAD_SPLIT_ROWS) : 1;
}

/** `out[n] = Σ_r deltas[r, n]`, packed [N]: the bias gradients from time-major deltas (zero padding rows). */
export class ColumnSumProgram implements GPGPUProgram {
  variableNames = ['deltas'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, cols: number) {
    this.outputShape = [cols];
    this.userCode = `
      void main() {
        int n = getOutputCoords();
        vec2 acc = vec2(0.0);
        for (int r = 0; r < ${rows}; r += 2) {
          vec4 d = getDeltas(r, n);
          acc += d.xy + d.zw;
        }
        if (n + 1 >= ${cols}) acc.y = 0.0;
        setOutput(vec4(acc, 0.0, 0.0));
      }
    `;
  }
}

/**
 * `dx[b, t, :] = dP[s·B' + b, :] · Wᵀ` in original time order (s = t, or T-1-t with goBackwards), [B, T, I], from
 * the time-major gate gradients of x·W + b (their first `inner` columns) and the padded W [I, inner].
 */
export class TimeMajorDxProgram implements GPGPUProgram {
  variableNames = ['deltas', 'weights'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, steps: number, inputSize: number, inner: number, goBackwards: boolean) {
    const rows = rowsPerStep(batch);
    this.outputShape = [batch, steps, inputSize];
    const step = (t: string) => (goBackwards ? `${steps - 1} - ${t}` : t);
    this.userCode = `
      ${PACKED_HELPERS}
      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int t = rc.y;
        int i = rc.z;
        int t1 = t + 1 < ${steps} ? t + 1 : t;
        int row0 = (${step('t')}) * ${rows} + b;
        int row1 = (${step('t1')}) * ${rows} + b;
        int pairRow = imod(b, 2);
        vec2 acc0 = vec2(0.0);
        vec2 acc1 = vec2(0.0);
        for (int k = 0; k < ${inner}; k += 2) {
          vec4 w = getWeights(i, k);
          vec2 d0 = rowOf(getDeltas(row0, k), pairRow);
          vec2 d1 = rowOf(getDeltas(row1, k), pairRow);
          acc0 += vec2(dot(d0, w.xy), dot(d0, w.zw));
          acc1 += vec2(dot(d1, w.xy), dot(d1, w.zw));
        }
        vec4 result = vec4(acc0, acc1);
        if (t + 1 >= ${steps}) result.zw = vec2(0.0);
        if (i + 1 >= ${inputSize}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}
