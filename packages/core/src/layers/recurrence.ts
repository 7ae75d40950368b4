import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATIONS, type Activation } from '../kernel_names.js';
import { rnnSequence } from '../ops/rnn_sequence.js';

// The layers run every cell through ONE function with the engine's `recurrence` contract
// ({ x, kernel, recurrentKernel, bias?, h0, c0?, mask?, recurrentDropoutMask? } → hidden [and cell] states in
// processing order). Until core's `recurrence` op lands, SimpleRNN goes through the `rnnSequence` op (fused
// kernels included) and LSTM/GRU through the composite below; switching is this file only.

/** Recurrent cell kinds. */
export type CellType = 'simpleRNN' | 'lstm' | 'gru';
/** Every cell kind, for validation. */
export const CELL_TYPES: readonly CellType[] = ['simpleRNN', 'lstm', 'gru'];

/** Activations a recurrent layer accepts (Keras 3 names; `hardSigmoid` is relu6(x + 3) / 6). */
export type RecurrentActivation = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid' | 'hardSigmoidKeras2' | 'softsign';
/** Every recurrent activation, for validation. */
export const RECURRENT_ACTIVATIONS: readonly RecurrentActivation[] = [
  'tanh',
  'sigmoid',
  'relu',
  'linear',
  'hardSigmoid',
  'hardSigmoidKeras2',
  'softsign',
];

/** Inputs of {@link recurrence}; see the layer for shapes. */
export interface RecurrenceInputs {
  x: tf.Tensor;
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias?: tf.Tensor;
  h0: tf.Tensor;
  c0?: tf.Tensor;
  mask?: tf.Tensor;
  recurrentDropoutMask?: tf.Tensor;
}

/** Attributes of {@link recurrence}. */
export interface RecurrenceAttrs {
  cell: CellType;
  activation: RecurrentActivation;
  recurrentActivation: RecurrentActivation;
  goBackwards: boolean;
  resetAfter: boolean;
}

/** What {@link recurrence} returns: every state, in processing order. */
export interface RecurrenceResult {
  hiddenStates: tf.Tensor3D;
  cellStates?: tf.Tensor3D;
}

/** Number of gate blocks of a cell's kernels (SimpleRNN 1, LSTM 4, GRU 3). */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Runs one recurrent layer's cell over the whole sequence. Differentiable. */
export function recurrence(inputs: RecurrenceInputs, attrs: RecurrenceAttrs): RecurrenceResult {
  const { cell, activation, goBackwards } = attrs;
  if (cell === 'simpleRNN' && inputs.recurrentDropoutMask === undefined && (ACTIVATIONS as readonly string[]).includes(activation)) {
    const { x, kernel, recurrentKernel, bias, h0, mask } = inputs;
    const hiddenStates = rnnSequence(
      { x, kernel, recurrentKernel, h0, ...(bias === undefined ? {} : { bias }), ...(mask === undefined ? {} : { mask }) },
      { activation: activation as Activation, goBackwards },
    );
    return { hiddenStates };
  }
  return recurrenceComposite(inputs, attrs);
}

function act(z: tf.Tensor, name: RecurrentActivation): tf.Tensor {
  switch (name) {
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'relu':
      return tf.relu(z);
    case 'linear':
      return z;
    case 'hardSigmoid':
      return tf.div(tf.clipByValue(tf.add(z, 3), 0, 6), 6);
    case 'hardSigmoidKeras2':
      return tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1);
    case 'softsign':
      return tf.div(z, tf.add(tf.abs(z), 1));
  }
}

/** Column block `k` of `n` equal blocks of a [rows, n·w] matrix (slice: differentiable with core's gradients). */
function block(m: tf.Tensor, k: number, n: number): tf.Tensor {
  const w = m.shape[1]! / n;
  return tf.slice(m, [0, k * w], [-1, w]);
}

function blocks(m: tf.Tensor, n: number): tf.Tensor[] {
  return Array.from({ length: n }, (_, k) => block(m, k, n));
}

function recurrenceComposite(inputs: RecurrenceInputs, attrs: RecurrenceAttrs): RecurrenceResult {
  const { x, kernel, recurrentKernel, bias, h0, c0, mask, recurrentDropoutMask } = inputs;
  const { cell, activation, recurrentActivation, goBackwards, resetAfter } = attrs;
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const width = kernel.shape[1]!;
  const h = h0.shape[1]!;
  return tf.tidy(() => {
    let xs = tf.transpose(x, [1, 0, 2]);
    if (goBackwards) xs = tf.reverse(xs, 0);
    const gruSplitBias = cell === 'gru' && resetAfter && bias !== undefined;
    const inputBias = bias === undefined ? undefined : gruSplitBias ? tf.reshape(tf.slice(bias, [0, 0], [1, width]), [width]) : bias;
    const recurrentBias = gruSplitBias ? tf.reshape(tf.slice(bias!, [1, 0], [1, width]), [width]) : undefined;
    let projected = tf.matMul(tf.reshape(xs, [steps * batch, inputSize]), kernel);
    if (inputBias !== undefined) projected = tf.add(projected, inputBias);
    const inputSteps = tf.unstack(tf.reshape(projected, [steps, batch, width]));
    let maskSteps: tf.Tensor[] | null = null;
    if (mask !== undefined) {
      let m = tf.transpose(mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32'));
      if (goBackwards) m = tf.reverse(m, 0);
      maskSteps = tf.unstack(tf.expandDims(m, 2));
    }
    const carry = (prev: tf.Tensor, next: tf.Tensor, t: number): tf.Tensor =>
      maskSteps === null ? next : tf.add(prev, tf.mul(maskSteps[t]!, tf.sub(next, prev)));

    let hPrev = h0;
    let cPrev = c0 ?? tf.zeros([batch, h]);
    const hs: tf.Tensor[] = [];
    const cs: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const xt = inputSteps[t]!;
      const hIn = recurrentDropoutMask === undefined ? hPrev : tf.mul(hPrev, recurrentDropoutMask);
      let hNext: tf.Tensor;
      if (cell === 'simpleRNN') {
        hNext = act(tf.add(xt, tf.matMul(hIn, recurrentKernel)), activation);
      } else if (cell === 'lstm') {
        const [zi, zf, zc, zo] = blocks(tf.add(xt, tf.matMul(hIn, recurrentKernel)), 4) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const c = tf.add(tf.mul(act(zf, recurrentActivation), cPrev), tf.mul(act(zi, recurrentActivation), act(zc, activation)));
        hNext = tf.mul(act(zo, recurrentActivation), act(c, activation));
        cPrev = carry(cPrev, c, t);
        cs.push(cPrev);
      } else {
        const [xz, xr, xh] = blocks(xt, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
        let z: tf.Tensor;
        let r: tf.Tensor;
        let candidate: tf.Tensor;
        if (resetAfter) {
          let inner = tf.matMul(hIn, recurrentKernel);
          if (recurrentBias !== undefined) inner = tf.add(inner, recurrentBias);
          const [rz, rr, rh] = blocks(inner, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
          z = act(tf.add(xz, rz), recurrentActivation);
          r = act(tf.add(xr, rr), recurrentActivation);
          candidate = act(tf.add(xh, tf.mul(r, rh)), activation);
        } else {
          const uzr = tf.slice(recurrentKernel, [0, 0], [h, 2 * h]);
          const uh = tf.slice(recurrentKernel, [0, 2 * h], [h, h]);
          const [rz, rr] = blocks(tf.matMul(hIn, uzr), 2) as [tf.Tensor, tf.Tensor];
          z = act(tf.add(xz, rz), recurrentActivation);
          r = act(tf.add(xr, rr), recurrentActivation);
          candidate = act(tf.add(xh, tf.matMul(tf.mul(r, hIn), uh)), activation);
        }
        hNext = tf.add(tf.mul(z, hIn), tf.mul(tf.sub(1, z), candidate));
      }
      hPrev = carry(hPrev, hNext, t);
      hs.push(hPrev);
    }
    const hiddenStates = tf.transpose(tf.stack(hs), [1, 0, 2]) as tf.Tensor3D;
    if (cell !== 'lstm') return { hiddenStates } as unknown as tf.TensorContainerObject;
    return { hiddenStates, cellStates: tf.transpose(tf.stack(cs), [1, 0, 2]) } as unknown as tf.TensorContainerObject;
  }) as unknown as RecurrenceResult;
}
