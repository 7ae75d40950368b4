import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, describe } from '../errors.js';

/** Optimizer names accepted by `compile`, with Keras's defaults. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamax' | 'rmsprop' | 'adagrad' | 'adadelta';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'adamax', 'rmsprop', 'adagrad', 'adadelta'];

/**
 * Keras's epsilon, pinned: tfjs defaults epsilon to the backend's float precision (1e-7 or 1e-4 on webgl, which
 * reports 16 bits), which would make the same training differ between backends.
 */
export const OPTIMIZER_EPSILON = 1e-7;

/** Keras default learning rates. */
export const DEFAULT_LEARNING_RATES: Record<OptimizerName, number> = {
  sgd: 0.01,
  momentum: 0.01,
  adam: 0.001,
  adamax: 0.001,
  rmsprop: 0.001,
  adagrad: 0.001,
  adadelta: 0.001,
};

/** Creates a tfjs optimizer from a name with Keras's defaults. */
export function createOptimizer(name: OptimizerName, learningRate?: number): tf.Optimizer {
  const lr = learningRate ?? DEFAULT_LEARNING_RATES[name];
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new ConfigError(`compile({ learningRate }): expected a positive finite number, received ${describe(learningRate)}`);
  }
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, 0.9);
    case 'adam':
      return tf.train.adam(lr, 0.9, 0.999, OPTIMIZER_EPSILON);
    case 'adamax':
      return tf.train.adamax(lr, 0.9, 0.999, OPTIMIZER_EPSILON, 0);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, 0, OPTIMIZER_EPSILON, false);
    case 'adagrad':
      return tf.train.adagrad(lr, 0.1);
    case 'adadelta':
      return tf.train.adadelta(lr, 0.95, OPTIMIZER_EPSILON);
  }
}

/**
 * Disposes an optimizer and every tensor it holds. tfjs 4.22's Momentum optimizer disposes its momentum and
 * accumulators but not the learning-rate scalar it inherits from SGD (one tensor per optimizer otherwise).
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  const inherited = optimizer instanceof tf.MomentumOptimizer ? (optimizer as unknown as { c?: tf.Tensor }).c : undefined;
  optimizer.dispose();
  if (inherited !== undefined && !inherited.isDisposed) inherited.dispose();
}
