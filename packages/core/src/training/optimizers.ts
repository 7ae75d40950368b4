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
      return new DisposingMomentum(lr, 0.9);
    case 'adam':
      return tf.train.adam(lr, 0.9, 0.999, OPTIMIZER_EPSILON);
    case 'adamax':
      return tf.train.adamax(lr, 0.9, 0.999, OPTIMIZER_EPSILON, 0);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, 0, OPTIMIZER_EPSILON, false);
    case 'adagrad':
      return tf.train.adagrad(lr, 0.1);
    case 'adadelta':
      return new KerasAdadelta(lr, 0.95, OPTIMIZER_EPSILON);
  }
}

/**
 * tfjs 4.22's `MomentumOptimizer.dispose` skips the learning-rate scalar its `SGDOptimizer` parent keeps, so each
 * compiled-then-disposed momentum optimizer would leak one tensor.
 */
class DisposingMomentum extends tf.MomentumOptimizer {
  override dispose(): void {
    super.dispose();
    if (!this.c.isDisposed) this.c.dispose();
  }
}

/** tfjs-core's `NamedTensor` (`{ name, tensor }`), which its index does not export. */
type NamedTensor = Parameters<tf.Optimizer['setWeights']>[0][number];

interface AdadeltaSlots {
  grad: tf.Variable;
  update: tf.Variable;
}

/**
 * Adadelta with Keras's (and Zeiler's) rule: the step divides by the running mean of squared gradients that
 * already includes this step's gradient. tfjs 4.22's `AdadeltaOptimizer` divides by the previous step's mean, so
 * its first update is the raw gradient times the learning rate — about 2000× Keras's with the defaults. Same
 * class name, config and weight layout as tfjs's, so serialisation and `instanceof` are unchanged.
 */
class KerasAdadelta extends tf.AdadeltaOptimizer {
  private readonly slots = new Map<string, AdadeltaSlots>();

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((v): [string, tf.Tensor] => [v.name, v.tensor])
      : Object.entries(variableGradients);
    for (const [name, gradient] of entries) {
      const value = tf.engine().registeredVariables[name];
      if (value === undefined || gradient == null) continue;
      const { grad, update } = this.slotsOf(name, value);
      tf.tidy(() => {
        const newGrad = tf.add(tf.mul(grad, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
        const step = tf.mul(tf.div(tf.sqrt(tf.add(update, this.epsilon)), tf.sqrt(tf.add(newGrad, this.epsilon))), gradient);
        update.assign(tf.add(tf.mul(update, this.rho), tf.mul(tf.square(step), 1 - this.rho)));
        grad.assign(newGrad);
        value.assign(tf.sub(value, tf.mul(step, this.learningRate)));
      });
    }
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.slots.entries()];
    return [
      await this.saveIterations(),
      ...slots.map(([name, s]) => ({ name: `${name}/accum_grad`, tensor: s.grad })),
      ...slots.map(([name, s]) => ({ name: `${name}/accum_var`, tensor: s.update })),
    ];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const half = values.length / 2;
    this.disposeSlots();
    for (let i = 0; i < half; i++) {
      const name = values[i]!.name.replace(/\/accum_grad$/, '');
      this.slots.set(name, { grad: tf.variable(values[i]!.tensor, false), update: tf.variable(values[half + i]!.tensor, false) });
    }
  }

  override dispose(): void {
    super.dispose();
    this.disposeSlots();
  }

  private slotsOf(name: string, value: tf.Variable): AdadeltaSlots {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = tf.tidy(() => ({ grad: tf.variable(tf.zerosLike(value), false), update: tf.variable(tf.zerosLike(value), false) }));
      this.slots.set(name, s);
    }
    return s;
  }

  private disposeSlots(): void {
    for (const s of this.slots.values()) tf.dispose([s.grad, s.update]);
    this.slots.clear();
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
