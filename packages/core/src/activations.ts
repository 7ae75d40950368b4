import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from './kernel_names.js';

/** Applies a recurrence activation. */
export function activate(z: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'tanh':
      return tf.tanh(z);
    case 'relu':
      return tf.relu(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'linear':
      return z;
  }
}

/**
 * act'(z) expressed through a = act(z), so the backward pass needs only the saved hidden states:
 * tanh' = 1 − a², sigmoid' = a(1 − a), relu' = [a > 0], linear' = 1.
 */
export function activationGradFromOutput(a: tf.Tensor, activation: Activation): tf.Tensor | null {
  switch (activation) {
    case 'tanh':
      return tf.sub(1, tf.square(a));
    case 'relu':
      return tf.step(a);
    case 'sigmoid':
      return tf.mul(a, tf.sub(1, a));
    case 'linear':
      return null;
  }
}
