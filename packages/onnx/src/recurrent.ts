// Keras recurrent layers as ONNX RNN / LSTM / GRU nodes. The graph runs time-major ([T, B, ·]) between layers,
// as the ONNX ops want it (ONNX Runtime does not implement `layout = 1`).
import { OnnxExportError } from './errors.js';
import { type Attribute, type GraphBuilder } from './proto.js';

/** Cells ONNX has an operator for. */
export type OnnxCell = 'simpleRNN' | 'lstm' | 'gru';

/** One recurrent layer in Keras terms: its options and its weights in Keras's layout. */
export interface RecurrentLayerSpec {
  /** Layer name (node names derive from it). */
  name: string;
  cell: OnnxCell;
  units: number;
  inputSize: number;
  /** SimpleRNN's activation; LSTM/GRU candidate and output activation. */
  activation: string;
  /** LSTM/GRU gate activation. */
  recurrentActivation?: string;
  /** GRU only: Keras `reset_after` (ONNX `linear_before_reset = 1`). */
  resetAfter?: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  /** [I, G·H] row-major, gates in Keras order (LSTM i,f,c,o; GRU z,r,h). */
  kernel: Float32Array;
  /** [H, G·H] */
  recurrentKernel: Float32Array;
  /** [G·H], or [2, 3H] for GRU with resetAfter (input row, recurrent row); absent with useBias false. */
  bias?: Float32Array;
}

/** Gates per cell, in Keras's column order. */
const KERAS_GATES: Record<OnnxCell, readonly string[]> = { simpleRNN: ['h'], lstm: ['i', 'f', 'c', 'o'], gru: ['z', 'r', 'h'] };
/** Gates per cell, in ONNX's row order. */
const ONNX_GATES: Record<OnnxCell, readonly string[]> = { simpleRNN: ['h'], lstm: ['i', 'o', 'f', 'c'], gru: ['z', 'r', 'h'] };
const ONNX_OP: Record<OnnxCell, string> = { simpleRNN: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/** Keras activation → ONNX recurrent activation, with alpha/beta for those that take them. */
const ACTIVATIONS: Record<string, { name: string; alpha?: number; beta?: number }> = {
  tanh: { name: 'Tanh' },
  sigmoid: { name: 'Sigmoid' },
  relu: { name: 'Relu' },
  linear: { name: 'Affine', alpha: 1, beta: 0 },
  // Keras 3: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1).
  hardSigmoid: { name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 },
  // Keras 2 and tfjs-layers: clip(0.2·x + 0.5, 0, 1).
  hardSigmoidKeras2: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  softsign: { name: 'Softsign' },
  softplus: { name: 'Softplus' },
};

function onnxActivation(layer: string, option: string, keras: string) {
  const a = ACTIVATIONS[keras];
  if (a === undefined) {
    throw new OnnxExportError(
      `layer ${JSON.stringify(layer)}: ${option} ${JSON.stringify(keras)} has no ONNX recurrent activation; supported: ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  }
  return a;
}

/**
 * ONNX W / R for one direction: from Keras [rows, G·H] (gates as column blocks) to ONNX [G·H, rows] (gates as
 * row blocks, in ONNX's gate order).
 */
export function kerasToOnnxMatrix(values: Float32Array, rows: number, units: number, cell: OnnxCell): Float32Array {
  const gates = KERAS_GATES[cell].length;
  const cols = gates * units;
  if (values.length !== rows * cols) throw new RangeError(`expected ${rows}×${cols} values, received ${values.length}`);
  const out = new Float32Array(values.length);
  ONNX_GATES[cell].forEach((gate, onnxBlock) => {
    const kerasBlock = KERAS_GATES[cell].indexOf(gate);
    for (let u = 0; u < units; u++) {
      const outRow = onnxBlock * units + u;
      const inCol = kerasBlock * units + u;
      for (let r = 0; r < rows; r++) out[outRow * rows + r] = values[r * cols + inCol]!;
    }
  });
  return out;
}

/** Reorders a Keras gate vector [G·H] into ONNX gate order. */
function kerasToOnnxVector(values: Float32Array, units: number, cell: OnnxCell): Float32Array {
  const out = new Float32Array(values.length);
  ONNX_GATES[cell].forEach((gate, onnxBlock) => {
    const kerasBlock = KERAS_GATES[cell].indexOf(gate);
    out.set(values.subarray(kerasBlock * units, (kerasBlock + 1) * units), onnxBlock * units);
  });
  return out;
}

/** ONNX B [2·G·H] = [Wb, Rb] for one direction. */
function onnxBias(spec: RecurrentLayerSpec): Float32Array {
  const g = KERAS_GATES[spec.cell].length;
  const size = g * spec.units;
  const out = new Float32Array(2 * size);
  if (spec.bias === undefined) return out;
  if (spec.cell === 'gru' && spec.resetAfter === true) {
    out.set(kerasToOnnxVector(spec.bias.subarray(0, size), spec.units, 'gru'), 0);
    out.set(kerasToOnnxVector(spec.bias.subarray(size, 2 * size), spec.units, 'gru'), size);
  } else {
    out.set(kerasToOnnxVector(spec.bias, spec.units, spec.cell), 0);
  }
  return out;
}

function checkSpec(spec: RecurrentLayerSpec): void {
  const g = KERAS_GATES[spec.cell].length;
  const H = spec.units;
  const expect = (what: string, got: number | undefined, want: number) => {
    if (got !== want) throw new OnnxExportError(`layer ${JSON.stringify(spec.name)}: ${what} has ${got} values, expected ${want}`);
  };
  expect('kernel', spec.kernel.length, spec.inputSize * g * H);
  expect('recurrentKernel', spec.recurrentKernel.length, H * g * H);
  if (spec.bias !== undefined) expect('bias', spec.bias.length, (spec.cell === 'gru' && spec.resetAfter === true ? 2 : 1) * g * H);
}

/** Outputs of one recurrent layer in the time-major graph. */
export interface RecurrentOutputs {
  /** [T, B, H·(directions when concatenated)] in Keras's step order, present with `returnSequences`. */
  sequence?: string;
  /** [B, H] (merged for bidirectional) final output. */
  last: string;
}

/** How a bidirectional layer merges its two directions (Keras `merge_mode`; null is not exportable as one output). */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

/**
 * Emits one ONNX recurrent node for a layer (one direction) or a bidirectional pair (the backward layer's
 * `goBackwards` is the forward's negation, as Keras builds it), with optional `sequence_lens` (right padding).
 */
export function emitRecurrent(
  g: GraphBuilder,
  input: string,
  forward: RecurrentLayerSpec,
  options: { backward?: RecurrentLayerSpec; mergeMode?: MergeMode; sequenceLens?: string } = {},
): RecurrentOutputs {
  const { backward, sequenceLens } = options;
  const specs = backward === undefined ? [forward] : [forward, backward];
  specs.forEach(checkSpec);
  const { cell, units: H, inputSize: I, name } = forward;
  if (backward !== undefined) {
    for (const key of ['cell', 'units', 'inputSize', 'activation', 'recurrentActivation', 'resetAfter', 'returnSequences'] as const) {
      if (backward[key] !== forward[key]) {
        throw new OnnxExportError(`layer ${JSON.stringify(name)}: the backward layer's ${key} differs from the forward layer's; ONNX's bidirectional node shares it`);
      }
    }
    if (backward.goBackwards === forward.goBackwards) {
      throw new OnnxExportError(`layer ${JSON.stringify(name)}: the backward layer must run in the other direction (goBackwards ${!forward.goBackwards})`);
    }
  }
  const directions = specs.length;
  const gatesH = KERAS_GATES[cell].length * H;
  const concat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  // In ONNX's bidirectional node the first direction runs forward in time and the second in reverse.
  const ordered = backward === undefined ? specs : forward.goBackwards ? [backward, forward] : [forward, backward];
  const W = g.floats(`${name}/W`, [directions, gatesH, I], concat(ordered.map((s) => kerasToOnnxMatrix(s.kernel, I, H, cell))));
  const R = g.floats(`${name}/R`, [directions, gatesH, H], concat(ordered.map((s) => kerasToOnnxMatrix(s.recurrentKernel, H, H, cell))));
  const B = g.floats(`${name}/B`, [directions, 2 * gatesH], concat(ordered.map(onnxBias)));

  const acts: { name: string; alpha?: number; beta?: number }[] = [];
  if (cell === 'simpleRNN') acts.push(onnxActivation(name, 'activation', forward.activation));
  else {
    const gate = onnxActivation(name, 'recurrentActivation', forward.recurrentActivation ?? 'sigmoid');
    const act = onnxActivation(name, 'activation', forward.activation);
    acts.push(gate, act);
    if (cell === 'lstm') acts.push(act);
  }
  const perDirection = Array.from({ length: directions }, () => acts).flat();
  const attrs: Attribute[] = [
    { name: 'hidden_size', int: H },
    { name: 'activations', strings: perDirection.map((a) => a.name) },
    { name: 'direction', string: backward !== undefined ? 'bidirectional' : forward.goBackwards ? 'reverse' : 'forward' },
  ];
  // ONNX Runtime takes alpha/beta values only for the activations that use them, in order (a value per
  // activation, defaults included, shifts them: the "hard sigmoid candidate after sigmoid gates" oracle test).
  const scaled = perDirection.filter((a) => a.alpha !== undefined);
  if (scaled.length > 0) {
    attrs.push({ name: 'activation_alpha', floats: scaled.map((a) => a.alpha!) }, { name: 'activation_beta', floats: scaled.map((a) => a.beta!) });
  }
  if (cell === 'gru') attrs.push({ name: 'linear_before_reset', int: forward.resetAfter === true ? 1 : 0 });

  const inputs = [input, W, R, B, sequenceLens ?? ''];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const [Y, Yh] = g.add(ONNX_OP[cell], name, inputs, ['Y', 'Y_h', ...(cell === 'lstm' ? ['Y_c'] : [])], attrs);
  const axes = new Map<number, string>();
  const axis = (n: 0 | 1) => axes.get(n) ?? (axes.set(n, g.int64s(`${name}/axis${n}`, [n])), axes.get(n)!);

  if (backward === undefined) {
    const last = g.op('Squeeze', `${name}/last`, [Yh!, axis(0)]);
    if (!forward.returnSequences) return { last };
    let sequence = g.op('Squeeze', `${name}/sequence`, [Y!, axis(1)]); // [T, 1, B, H] → [T, B, H]
    // ONNX returns a reverse direction's outputs in input time order; Keras returns them in processing order.
    if (forward.goBackwards) sequence = reverseTime(g, `${name}/processing_order`, sequence);
    return { sequence, last };
  }

  const mergeMode = options.mergeMode ?? 'concat';
  // Y [T, 2, B, H] in input time order for both directions — Keras also puts the backward layer's sequence back
  // in input order before merging. Y_h [2, B, H]: each direction's final state.
  const [fwdIndex, bwdIndex] = forward.goBackwards ? [1, 0] : [0, 1];
  // Gather one direction with a 1-element index (keeps the axis), then squeeze it away.
  const pick = (tensor: string, along: 0 | 1, index: number, base: string) =>
    g.op('Squeeze', `${base}/squeeze`, [g.op('Gather', `${base}/gather`, [tensor, g.int64s(`${base}/index`, [index])], [{ name: 'axis', int: along }]), axis(along)]);
  const merge = (a: string, b: string, base: string, concatAxis: number) => {
    switch (mergeMode) {
      case 'concat':
        return g.op('Concat', `${base}/concat`, [a, b], [{ name: 'axis', int: concatAxis }]);
      case 'sum':
        return g.op('Add', `${base}/sum`, [a, b]);
      case 'mul':
        return g.op('Mul', `${base}/mul`, [a, b]);
      case 'ave':
        return g.op('Mul', `${base}/ave`, [g.op('Add', `${base}/sum`, [a, b]), g.floats(`${base}/half`, [], [0.5])]);
    }
  };
  const last = merge(pick(Yh!, 0, fwdIndex, `${name}/last_fwd`), pick(Yh!, 0, bwdIndex, `${name}/last_bwd`), `${name}/last`, 1);
  if (!forward.returnSequences) return { last };
  const sequence = merge(pick(Y!, 1, fwdIndex, `${name}/seq_fwd`), pick(Y!, 1, bwdIndex, `${name}/seq_bwd`), `${name}/sequence`, 2);
  return { sequence, last };
}

/** Reverses axis 0 ([T, ·, ·]) with a Slice of step −1. */
export function reverseTime(g: GraphBuilder, base: string, tensor: string): string {
  const min = -(2 ** 53 - 1);
  return g.op('Slice', base, [tensor, g.int64s(`${base}/starts`, [-1]), g.int64s(`${base}/ends`, [min]), g.int64s(`${base}/axes`, [0]), g.int64s(`${base}/steps`, [-1])]);
}
