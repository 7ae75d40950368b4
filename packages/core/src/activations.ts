import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from './kernel_names.js';

/**
 * Element-wise activations a recurrent cell may use, for SimpleRNN's `activation` and for LSTM/GRU's
 * candidate/output `activation` and gate `recurrentActivation`. Every one has a derivative expressible from its
 * output, so backpropagation through time needs only the saved states and recomputed gate values.
 *
 * - `hardSigmoid` is Keras 3's: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1).
 * - `hardSigmoidKeras2` is Keras 2's and tfjs-layers': clip(0.2x + 0.5, 0, 1). Files from those libraries that
 *   name `hard_sigmoid` / `hardSigmoid` mean this one.
 * - `softsign` is x / (1 + |x|).
 */
export type RecurrentActivationName = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid' | 'hardSigmoidKeras2' | 'softsign';

/** Every {@link RecurrentActivationName}. */
export const RECURRENT_ACTIVATIONS: readonly RecurrentActivationName[] = [
  'tanh',
  'sigmoid',
  'relu',
  'linear',
  'hardSigmoid',
  'hardSigmoidKeras2',
  'softsign',
];

/** One activation in every form the engine needs: on tensors, on numbers, and its slope from the output. */
export interface ActivationSpec {
  /** act(z) in tfjs ops (differentiable with core's registered gradients). */
  tensor(z: tf.Tensor): tf.Tensor;
  /** act'(z) as a tensor of a = act(z); null when it is 1 everywhere (linear). */
  slopeFromOutput(a: tf.Tensor): tf.Tensor | null;
  /** act(z) on a number (cpu kernels, references). */
  scalar(z: number): number;
  /** act'(z) as a function of a = act(z). */
  scalarSlope(a: number): number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const clip01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
/** Slope of clip(k·z + c, 0, 1) from its output: k inside the linear part, 0 where it saturates. */
const clippedSlope = (k: number) => (a: tf.Tensor) => tf.mul(tf.cast(tf.logicalAnd(tf.greater(a, 0), tf.less(a, 1)), 'float32'), k);

/** The table every cell reads its activations from. */
export const ACTIVATION_TABLE: Readonly<Record<RecurrentActivationName, ActivationSpec>> = {
  tanh: {
    tensor: (z) => tf.tanh(z),
    slopeFromOutput: (a) => tf.sub(1, tf.square(a)),
    scalar: Math.tanh,
    scalarSlope: (a) => 1 - a * a,
  },
  sigmoid: {
    tensor: (z) => tf.sigmoid(z),
    slopeFromOutput: (a) => tf.mul(a, tf.sub(1, a)),
    scalar: sigmoid,
    scalarSlope: (a) => a * (1 - a),
  },
  relu: {
    tensor: (z) => tf.relu(z),
    slopeFromOutput: (a) => tf.step(a),
    scalar: (z) => (z > 0 ? z : 0),
    scalarSlope: (a) => (a > 0 ? 1 : 0),
  },
  linear: {
    tensor: (z) => z,
    slopeFromOutput: () => null,
    scalar: (z) => z,
    scalarSlope: () => 1,
  },
  // Keras 3 (keras/src/activations/activations.py hard_sigmoid → ops.hard_sigmoid): relu6(x + 3) / 6.
  hardSigmoid: {
    tensor: (z) => tf.clipByValue(tf.add(tf.mul(z, 1 / 6), 0.5), 0, 1),
    slopeFromOutput: clippedSlope(1 / 6),
    scalar: (z) => clip01(z / 6 + 0.5),
    scalarSlope: (a) => (a > 0 && a < 1 ? 1 / 6 : 0),
  },
  // Keras 2 and tfjs-layers (tfjs-layers/src/activations.ts HardSigmoid → K.hardSigmoid): clip(0.2x + 0.5, 0, 1).
  hardSigmoidKeras2: {
    tensor: (z) => tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1),
    slopeFromOutput: clippedSlope(0.2),
    scalar: (z) => clip01(0.2 * z + 0.5),
    scalarSlope: (a) => (a > 0 && a < 1 ? 0.2 : 0),
  },
  // d/dz z/(1+|z|) = 1/(1+|z|)² = (1 − |a|)².
  softsign: {
    tensor: (z) => tf.div(z, tf.add(tf.abs(z), 1)),
    slopeFromOutput: (a) => tf.square(tf.sub(1, tf.abs(a))),
    scalar: (z) => z / (1 + Math.abs(z)),
    scalarSlope: (a) => (1 - Math.abs(a)) * (1 - Math.abs(a)),
  },
};

/** Applies an activation of the recurrence (any {@link RecurrentActivationName}). */
export function activate(z: tf.Tensor, activation: Activation | RecurrentActivationName): tf.Tensor {
  return ACTIVATION_TABLE[activation].tensor(z);
}

/**
 * act'(z) expressed through a = act(z), so the backward pass needs only the saved hidden states:
 * tanh' = 1 − a², sigmoid' = a(1 − a), relu' = [a > 0], linear' = 1 (null: nothing to multiply).
 */
export function activationGradFromOutput(a: tf.Tensor, activation: Activation | RecurrentActivationName): tf.Tensor | null {
  return ACTIVATION_TABLE[activation].slopeFromOutput(a);
}
