import * as tf from '@tensorflow/tfjs-core';
import type { LossName, OutputActivation } from './losses.js';

/** Metric names accepted by `compile`; History keys use the same names (and `val_` + name). */
export type MetricName = 'accuracy' | 'binaryAccuracy' | 'categoricalAccuracy' | 'mae' | 'mse';
export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'binaryAccuracy', 'categoricalAccuracy', 'mae', 'mse'];

type Kind = 'binary' | 'categorical' | 'sparse' | 'mae' | 'mse';

/**
 * Resolves 'accuracy' the way Keras does: from the loss (binary / categorical / sparse cross-entropy), else from
 * the output width (1 ⇒ binary, otherwise categorical).
 */
export function metricKind(name: MetricName, loss: LossName, outputSize: number): Kind {
  switch (name) {
    case 'binaryAccuracy':
      return 'binary';
    case 'categoricalAccuracy':
      return loss === 'sparseCategoricalCrossentropy' ? 'sparse' : 'categorical';
    case 'mae':
      return 'mae';
    case 'mse':
      return 'mse';
    case 'accuracy':
      if (loss === 'binaryCrossentropy') return 'binary';
      if (loss === 'sparseCategoricalCrossentropy') return 'sparse';
      if (loss === 'categoricalCrossentropy') return 'categorical';
      return outputSize === 1 ? 'binary' : 'categorical';
  }
}

/** A metric averaged over the batch (and timesteps), as a scalar. */
export function computeMetric(kind: Kind, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation): tf.Scalar {
  return tf.tidy(() => {
    switch (kind) {
      case 'mae':
        return tf.mean(tf.abs(tf.sub(output, labels)));
      case 'mse':
        return tf.mean(tf.squaredDifference(output, labels));
      case 'binary': {
        // A linear head outputs logits: p > 0.5 ⇔ z > 0.
        const predicted = tf.greater(output, head === 'linear' ? 0 : 0.5);
        return tf.mean(tf.cast(tf.equal(tf.cast(predicted, 'float32'), tf.round(labels)), 'float32'));
      }
      case 'categorical':
        return tf.mean(tf.cast(tf.equal(tf.argMax(output, -1), tf.argMax(labels, -1)), 'float32'));
      case 'sparse': {
        const predicted = tf.reshape(tf.argMax(output, -1), [-1]);
        return tf.mean(tf.cast(tf.equal(predicted, tf.cast(tf.reshape(labels, [-1]), 'int32')), 'float32'));
      }
    }
  });
}
