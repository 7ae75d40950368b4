import * as tf from '@tensorflow/tfjs-core';

/** Activation of the Dense head. */
export type OutputActivation = 'linear' | 'sigmoid' | 'softmax';
export const OUTPUT_ACTIVATIONS: readonly OutputActivation[] = ['linear', 'sigmoid', 'softmax'];

/** Loss names accepted by `compile`. */
export type LossName =
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'huber';
export const LOSS_NAMES: readonly LossName[] = [
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
];

/** Keras's epsilon for clipping probabilities before a logarithm. */
const EPSILON = 1e-7;

/**
 * A scalar loss averaged over the batch (and timesteps). `output` is the model's raw head output; with a linear
 * head the cross-entropies read it as logits (the numerically stable form), never as probabilities.
 * For the sparse loss, `labels` holds class indices with the output's shape minus its last axis.
 */
export function computeLoss(name: LossName, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation): tf.Scalar {
  return tf.tidy((): tf.Scalar => {
    switch (name) {
      case 'meanSquaredError':
        return tf.mean(tf.squaredDifference(output, labels));
      case 'meanAbsoluteError':
        return tf.mean(tf.abs(tf.sub(output, labels)));
      case 'huber': {
        const err = tf.abs(tf.sub(output, labels));
        const quadratic = tf.minimum(err, 1);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(err, quadratic)));
      }
      case 'binaryCrossentropy': {
        if (head === 'linear') {
          // max(z, 0) − z·y + log(1 + e^−|z|)
          return tf.mean(tf.add(tf.sub(tf.relu(output), tf.mul(output, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(output))))));
        }
        const p = tf.clipByValue(output, EPSILON, 1 - EPSILON);
        return tf.neg(tf.mean<tf.Scalar>(tf.add(tf.mul(labels, tf.log(p)), tf.mul(tf.sub(1, labels), tf.log(tf.sub(1, p))))));
      }
      case 'categoricalCrossentropy':
        return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(labels, logProbabilities(output, head)), -1)));
      case 'sparseCategoricalCrossentropy': {
        const classes = output.shape[output.rank - 1]!;
        const oneHot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), classes);
        const logp = tf.reshape(logProbabilities(output, head), [-1, classes]);
        return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(oneHot, logp), -1)));
      }
    }
  });
}

/** log p over the last axis: log-softmax of logits, or the log of (renormalised, clipped) probabilities. */
function logProbabilities(output: tf.Tensor, head: OutputActivation): tf.Tensor {
  if (head === 'linear') return tf.logSoftmax(output);
  const p = tf.div(output, tf.sum(output, -1, true));
  return tf.log(tf.clipByValue(p, EPSILON, 1 - EPSILON));
}

/** Whether labels should be class indices (sparse) rather than match the output's shape. */
export function isSparse(name: LossName): boolean {
  return name === 'sparseCategoricalCrossentropy';
}
