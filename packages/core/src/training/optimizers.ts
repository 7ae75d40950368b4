import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, describe } from '../errors.js';
import { useFusedKernel } from '../ops/fused_flag.js';

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
      return new FusedAdam(lr, 0.9, 0.999, OPTIMIZER_EPSILON);
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

/**
 * Kernel name of the Adam update of one or more weights: inputs `{ value, m, v, gradient }` (float32, one shape)
 * for one weight, or `{ value0, m0, v0, gradient0, value1, m1, … }` for weights 0, 1, … (each its own shape);
 * attrs {@link AdamUpdateAttrs}; outputs `[value', m', v']` per weight, in order, with, element by element in
 * float32, tfjs's formula `m' = β1·m + (1−β1)·g`, `v' = β2·v + (1−β2)·g²`,
 * `value' = value − lr·((m'/c1) / (√(v'/c2) + ε))`. A backend may register it; Adam compiled by name then makes
 * one kernel call per step for all its weights instead of ~12 tfjs ops per weight.
 */
export const AdamUpdate = 'BasicAdamUpdate';

/** The input names of weight `i` in {@link AdamUpdate}'s indexed form. */
export function adamUpdateInputNames(i: number): { value: string; m: string; v: string; gradient: string } {
  return { value: `value${i}`, m: `m${i}`, v: `v${i}`, gradient: `gradient${i}` };
}

/** Attributes of {@link AdamUpdate}: `c1 = 1 − β1^t`, `c2 = 1 − β2^t` at step t (1-based), as float32 values. */
export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  c1: number;
  c2: number;
}

/** tfjs 4.22's private state of `AdamOptimizer` that {@link FusedAdam} updates as tfjs's own step does. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/**
 * tfjs's Adam (same class name, config, weights and state), whose update of all weights is one {@link AdamUpdate}
 * kernel call per step where the active backend registers one and fused kernels are enabled; tfjs's ops otherwise.
 */
class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!useFusedKernel(AdamUpdate)) {
      this.syncAccumulatedBetas();
      super.applyGradients(variableGradients);
      return;
    }
    const entries: [string, tf.Tensor | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((v): [string, tf.Tensor] => [v.name, v.tensor])
      : Object.entries(variableGradients as tf.NamedTensorMap);
    // tfjs keeps 1 − β^t as float32 scalars: β^t is accBeta, the float32 product of β over the steps (recomputed
    // as pow(β, iterations + 1) by setWeights). The float32 running product, rounded the same way, is kept here.
    const self = this as unknown as AdamState;
    const { acc1, acc2 } = this.accumulatedBetas(this.iterations);
    const attrs: AdamUpdateAttrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      c1: Math.fround(1 - acc1),
      c2: Math.fround(1 - acc2),
    };
    const inputs: tf.NamedTensorMap = {};
    const updated: [tf.Variable, tf.Variable, tf.Variable][] = [];
    entries.forEach(([name, gradient], i) => {
      const value = tf.engine().registeredVariables[name];
      if (value === undefined) return;
      self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (gradient == null) return;
      const m = self.accumulatedFirstMoment[i]!.variable;
      const v = self.accumulatedSecondMoment[i]!.variable;
      const names = adamUpdateInputNames(updated.length);
      inputs[names.value] = value;
      inputs[names.m] = m;
      inputs[names.v] = v;
      inputs[names.gradient] = gradient;
      updated.push([value, m, v]);
    });
    if (updated.length > 0) {
      const outputs = tf.engine().runKernel(AdamUpdate, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      updated.forEach(([value, m, v], k) => {
        m.assign(outputs[3 * k + 1]!);
        v.assign(outputs[3 * k + 2]!);
        value.assign(outputs[3 * k]!);
      });
      tf.dispose(outputs);
    }
    // tfjs's accBeta variables are brought up to date only when tfjs's own step needs them (syncAccumulatedBetas):
    // two kernel calls per step saved.
    this.acc = { iterations: this.iterations + 1, acc1: Math.fround(acc1 * Math.fround(this.beta1)), acc2: Math.fround(acc2 * Math.fround(this.beta2)) };
    this.accStale = true;
    this.incrementIterations();
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    await super.setWeights(weightValues);
    this.acc = null;
    this.accStale = false;
  }

  /**
   * Gives tfjs's accBeta1/accBeta2 the β^t of the current step after fused steps advanced it (the same float32
   * values tfjs's own multiplications would have left there), before tfjs's own step reads them.
   */
  private syncAccumulatedBetas(): void {
    if (!this.accStale) return;
    const self = this as unknown as AdamState;
    const { acc1, acc2 } = this.accumulatedBetas(this.iterations);
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(acc1));
      self.accBeta2.assign(tf.scalar(acc2));
    });
    this.accStale = false;
  }

  /** β1^t and β2^t as tfjs holds them in accBeta1/accBeta2 before step `iterations` (float32). */
  private accumulatedBetas(iterations: number): { acc1: number; acc2: number } {
    if (this.acc !== null && this.acc.iterations === iterations) return this.acc;
    if (iterations === 0) return { acc1: Math.fround(this.beta1), acc2: Math.fround(this.beta2) };
    // After setWeights tfjs recomputes accBeta as pow(β, iterations + 1) of float32 tensors (the cpu backend's
    // Math.pow, rounded; another backend's pow may differ from it in the last bit).
    const pow = (beta: number) => Math.fround(Math.pow(Math.fround(beta), iterations + 1));
    return { acc1: pow(this.beta1), acc2: pow(this.beta2) };
  }

  private acc: { iterations: number; acc1: number; acc2: number } | null = null;
  /** Whether fused steps ran since tfjs's accBeta variables were last set (by tfjs, or by syncAccumulatedBetas). */
  private accStale = false;
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
