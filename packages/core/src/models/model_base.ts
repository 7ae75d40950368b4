import type * as tf from '@tensorflow/tfjs-core';
import { assertModelFree } from '../busy.js';
import { DisposedError, NotCompiledError, describe } from '../errors.js';
import type { OutputActivation } from '../training/losses.js';
import type { TrainableModel } from '../training/trainable.js';
import { Trainer, type CompileConfig, type EvaluateOptions, type FitOptions, type History, type TrainResult } from '../training/trainer.js';

/**
 * What every model (`BasicRNN`, `Sequential`) shares: Keras's training surface (`compile`, `trainOnBatch`, `fit`,
 * `evaluate`) over one {@link Trainer}, and the lifecycle around it — `dispose`, refused while training holds the
 * model, and the DisposedError of every later call. A model supplies its forward pass and weights, the
 * {@link TrainableModel} members the trainer reads.
 *
 * Not exported from the package: its members are public as members of `BasicRNN` and `Sequential`. Saving stays
 * with each model: io/model_io.ts imports both models to load them, so this base, which they extend while their
 * modules load, must not import it (the cycle would reach `extends ModelBase` before the class exists).
 */
export abstract class ModelBase implements TrainableModel {
  /** Model name shown by `summary()`. */
  abstract readonly name: string;
  abstract readonly seed: number;
  abstract readonly outputActivation: OutputActivation;
  abstract readonly outputSize: number;
  /** Set to true from a callback to end `fit` after the current epoch (Keras `model.stop_training`). */
  stopTraining = false;

  private trainer: Trainer | null = null;
  private disposed = false;

  /** Prepares training: optimizer, loss, metrics (Keras `compile`). See {@link CompileConfig}. */
  compile(config: CompileConfig): void {
    this.assertUsable();
    assertModelFree(this, 'compile(config)');
    const next = new Trainer(this, config);
    this.trainer?.dispose();
    this.trainer = next;
  }

  /** Whether `compile` has been called. */
  get isCompiled(): boolean {
    return this.trainer !== null;
  }

  /** One gradient step on one batch: the loss, or [loss, ...metrics] when metrics are compiled. */
  async trainOnBatch(x: tf.Tensor, y: tf.Tensor): Promise<TrainResult> {
    return this.requireTrainer('trainOnBatch(x, y)').trainOnBatch(x, y);
  }

  /** Trains for `epochs` over `x`, `y`; resolves to the Keras-style History. */
  async fit(x: tf.Tensor, y: tf.Tensor, options: FitOptions = {}): Promise<History> {
    return this.requireTrainer('fit(x, y)').fit(x, y, options);
  }

  /** Loss (and metrics) over `x`, `y` without training: the same shape as `trainOnBatch`'s result. */
  async evaluate(x: tf.Tensor, y: tf.Tensor, options: EvaluateOptions = {}): Promise<TrainResult> {
    return this.requireTrainer('evaluate(x, y)').evaluate(x, y, options);
  }

  /** Frees the weights and the optimizer's state. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    assertModelFree(this, 'dispose()');
    this.trainer?.dispose();
    this.trainer = null;
    this.disposeWeights();
    this.disposed = true;
  }

  abstract checkInput(x: tf.Tensor, argument: string): unknown;
  abstract ensureBuilt(x: tf.Tensor, argument: string): void;
  abstract outputShape(x: tf.Tensor): number[];
  abstract forward(x: tf.Tensor, training?: boolean): tf.Tensor;
  abstract trainableVariables(): tf.Variable[];
  abstract activationBytes(inputShape: readonly number[], training: boolean): number;
  abstract regularizationLoss(): tf.Scalar | null;
  abstract getWeights(): tf.Tensor[];
  abstract setWeights(weights: readonly tf.Tensor[]): void;

  /** Frees the model's own weights (its layers); called once, by {@link dispose}. */
  protected abstract disposeWeights(): void;

  /** Throws DisposedError once the model is disposed. */
  protected assertUsable(): void {
    if (this.disposed) throw new DisposedError(`model ${describe(this.name)} was disposed`);
  }

  private requireTrainer(argument: string): Trainer {
    this.assertUsable();
    if (this.trainer === null) throw new NotCompiledError(`${argument}: the model is not compiled; call compile({ optimizer, loss }) first`);
    return this.trainer;
  }
}
