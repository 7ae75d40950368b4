import * as tf from '@tensorflow/tfjs-core';
import { hiddenStateGradients, lstmGates, type BasicRNN, type LstmGates, type RecurrenceAttrs, type RecurrenceInputs } from '@basicrnn/core';

/*
 * What the seed's limitation looks like inside a trained BasicRNN: the gradient of the loss with respect to every
 * hidden state (core's hiddenStateGradients), and an LSTM's gates. Both read the model's weights in Keras order
 * (kernel, recurrentKernel, bias, denseKernel, denseBias) and run core's recurrence op on them.
 */

/** The recurrence of a BasicRNN with its own weights, on x, from a zero state; `weights` are the model's, still owned by the caller. */
function recurrenceOf(model: BasicRNN, weights: tf.Tensor[], x: tf.Tensor3D): { inputs: RecurrenceInputs; attrs: RecurrenceAttrs } {
  const [kernel, recurrentKernel, bias] = weights as [tf.Tensor, tf.Tensor, tf.Tensor];
  const units = recurrentKernel.shape[0]!;
  return {
    inputs: { x, kernel, recurrentKernel, bias, h0: tf.zeros([x.shape[0], units]) },
    attrs: { cell: model.cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: model.cell === 'gru' },
  };
}

/**
 * ∂loss/∂h_t [B, T, H] of a BasicRNN (tanh, one output from the last state, Dense head with bias) under the mean
 * squared error against y [B, 1]: the head's gradient enters at the last step, and core's backward op carries it
 * back through time. The caller owns the result.
 */
export function hiddenStateGradientsOf(model: BasicRNN, x: tf.Tensor3D, y: tf.Tensor): tf.Tensor3D {
  const weights = model.getWeights();
  const { inputs, attrs } = recurrenceOf(model, weights, x);
  const [, , , denseKernel, denseBias] = weights as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor2D, tf.Tensor];
  try {
    const dh = tf.tidy(() => {
      const { hiddenStates } = model.call(x, { returnHiddenStates: true });
      const [batch, steps, units] = hiddenStates!.shape;
      const last = tf.squeeze(tf.slice(hiddenStates!, [0, steps - 1, 0], [batch, 1, units]), [1]);
      const headGrad = tf.grad((h: tf.Tensor) => tf.losses.meanSquaredError(y, tf.add(tf.matMul(h as tf.Tensor2D, denseKernel), denseBias)))(last);
      return tf.concat([tf.zeros([batch, steps - 1, units]), tf.expandDims(headGrad, 1)], 1);
    });
    try {
      return hiddenStateGradients(inputs, attrs, { dh });
    } finally {
      dh.dispose();
    }
  } finally {
    tf.dispose([...weights, inputs.h0]);
  }
}

/** An LSTM BasicRNN's gates and states on x (core's lstmGates with the model's weights); the caller owns the result. */
export function gatesOf(model: BasicRNN, x: tf.Tensor3D): LstmGates {
  const weights = model.getWeights();
  const { inputs, attrs } = recurrenceOf(model, weights, x);
  try {
    return lstmGates(inputs, attrs);
  } finally {
    tf.dispose([...weights, inputs.h0]);
  }
}
