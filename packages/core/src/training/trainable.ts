import type * as tf from '@tensorflow/tfjs-core';
import type { OutputActivation } from './losses.js';

/**
 * What the trainer needs from a model — implemented by `BasicRNN` and by `sequential` models, so `compile`,
 * `trainOnBatch`, `fit` and `evaluate` work on any model.
 */
export interface TrainableModel {
  /** Seed from which `fit` derives its shuffling seed. */
  readonly seed: number;
  /** Set to true from a callback to end `fit` after the current epoch. */
  stopTraining: boolean;
  /** The last layer's activation: with 'linear' the cross-entropy losses read the outputs as logits. */
  readonly outputActivation: OutputActivation;
  /** Width of the output's last axis (used to resolve the 'accuracy' metric). */
  readonly outputSize: number;
  /** Validates `x` (type, rank, dtype, and the built input spec when built); throws a typed error naming `argument`. */
  checkInput(x: tf.Tensor, argument: string): unknown;
  /** Builds the model from `x` when it is not built yet (Keras builds on first use). */
  ensureBuilt(x: tf.Tensor, argument: string): void;
  /** The output shape for input `x` (the labels' shape for non-sparse losses). */
  outputShape(x: tf.Tensor): number[];
  /** Output only, differentiable; `training` turns dropout on. */
  forward(x: tf.Tensor, training?: boolean): tf.Tensor;
  /** The live variables to train. */
  trainableVariables(): tf.Variable[];
  /**
   * Bytes a forward pass (or, with `training`, a training step) over an input of `inputShape` keeps alive — an
   * estimate from the shapes, checked against the allocation limit before anything runs.
   */
  activationBytes(inputShape: readonly number[], training: boolean): number;
  /** Σ of the weight penalties (L1/L2) to add to the loss, or null when there are none. */
  regularizationLoss(): tf.Scalar | null;
  /** Copies of the weights (for callbacks such as `earlyStopping({ restoreBestWeights })`). */
  getWeights(): tf.Tensor[];
  /** Replaces the weights. */
  setWeights(weights: readonly tf.Tensor[]): void;
}
