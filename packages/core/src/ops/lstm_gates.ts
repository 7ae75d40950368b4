import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_TABLE } from '../activations.js';
import { recurrence, type RecurrenceAttrs, type RecurrenceInputs } from './recurrence.js';

/** Gate activations of an LSTM at every step, [B, T, H] each, in processing order (Keras gate order i, f, c, o). */
export interface LstmGates {
  /** i_t = σr(z_i): how much of the candidate enters the cell state */
  input: tf.Tensor3D;
  /** f_t = σr(z_f): how much of c_{t−1} is kept */
  forget: tf.Tensor3D;
  /** c̃_t = act(z_c): the candidate value */
  candidate: tf.Tensor3D;
  /** o_t = σr(z_o): how much of act(c_t) is shown as h_t */
  output: tf.Tensor3D;
  /** c_t, the cell state after each step (what {@link recurrence} returns as `cellStates`) */
  cellStates: tf.Tensor3D;
  /** h_t after each step */
  hiddenStates: tf.Tensor3D;
}

/**
 * What an LSTM's gates did at every step: runs the recurrence once, then recomputes
 * z = x_t·W + h_{t−1}·U + b for all steps in two matmuls from the saved states and applies the gate activations
 * (the equations of core's LSTM cell). For views and inspection; not differentiable through the gates. At a
 * masked step the gates show what the cell computed there, although the state was carried over unchanged.
 * Inputs and attributes are those of {@link recurrence} (without `cell`); the caller owns the returned tensors.
 *
 * @example
 * const { forget, cellStates } = lstmGates(
 *   { x, kernel, recurrentKernel, bias, h0: tf.zeros([batch, units]) },
 *   { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false },
 * );
 */
export function lstmGates(inputs: RecurrenceInputs, attrs: Omit<RecurrenceAttrs, 'cell'>): LstmGates {
  // recurrence validates every input against the LSTM layout before anything is computed here.
  const states = recurrence(inputs, { ...attrs, cell: 'lstm' });
  const cellStates = states.cellStates!;
  const hiddenStates = states.hiddenStates;
  const gates = tf.tidy(() => {
    const { x, kernel, recurrentKernel, bias, h0, recurrentDropoutMask } = inputs;
    const [batch, steps, features] = x.shape as [number, number, number];
    const units = recurrentKernel.shape[0]!;
    const xs = attrs.goBackwards ? tf.reverse(x, 1) : x;
    let previous: tf.Tensor = tf.concat([tf.expandDims(h0 ?? tf.zeros([batch, units]), 1), tf.slice(hiddenStates, [0, 0, 0], [batch, steps - 1, units])], 1);
    if (recurrentDropoutMask !== undefined) previous = tf.mul(previous, tf.expandDims(recurrentDropoutMask, 1));
    let z = tf.add(tf.matMul(tf.reshape(xs, [batch * steps, features]), kernel), tf.matMul(tf.reshape(previous, [batch * steps, units]), recurrentKernel));
    if (bias !== undefined) z = tf.add(z, bias);
    const [zi, zf, zc, zo] = tf.split(tf.reshape(z, [batch, steps, 4 * units]), 4, 2) as tf.Tensor3D[];
    const gate = ACTIVATION_TABLE[attrs.recurrentActivation].tensor;
    const act = ACTIVATION_TABLE[attrs.activation].tensor;
    return { input: gate(zi!), forget: gate(zf!), candidate: act(zc!), output: gate(zo!) } as Record<string, tf.Tensor3D>;
  });
  return { input: gates.input!, forget: gates.forget!, candidate: gates.candidate!, output: gates.output!, cellStates, hiddenStates };
}
