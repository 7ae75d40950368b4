import { Bidirectional, type BidirectionalLayerOptions } from './bidirectional.js';
import {
  Dense,
  type DenseLayerOptions,
  Dropout,
  type DropoutLayerOptions,
  Embedding,
  type EmbeddingLayerOptions,
  Masking,
  type MaskingLayerOptions,
} from './core_layers.js';
import { type GRULayerOptions, type LSTMLayerOptions, RecurrentLayer, type SimpleRNNLayerOptions } from './recurrent.js';

/**
 * Layer factories with tfjs-layers' names and Keras 3 defaults. Compose them with `sequential({ layers })`, or
 * call one on its own with `layer.apply(x, { mask, training, initialState })`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { layers, sequential } from '@basicrnn/core';
 *
 * const model = sequential({ layers: [
 *   layers.masking({ maskValue: 0 }),
 *   layers.lstm({ units: 32, returnSequences: true }),
 *   layers.bidirectional({ layer: layers.gru({ units: 16 }), mergeMode: 'concat' }),
 *   layers.dense({ units: 1, activation: 'sigmoid' }),
 * ], seed: 7 });
 * model.build([null, 50, 8]);
 * const y = model.predict(tf.randomNormal([4, 50, 8])); // [4, 1]
 * ```
 */
export const layers = {
  /** A SimpleRNN layer: h_t = act(x_t·W + h_{t−1}·U + b). */
  simpleRNN: (options: SimpleRNNLayerOptions): RecurrentLayer => new RecurrentLayer('simpleRNN', options),
  /** An LSTM layer (Keras gate order i, f, c, o; unitForgetBias by default). */
  lstm: (options: LSTMLayerOptions): RecurrentLayer => new RecurrentLayer('lstm', options),
  /** A GRU layer (gates z, r, h; resetAfter true by default, as Keras 3). */
  gru: (options: GRULayerOptions): RecurrentLayer => new RecurrentLayer('gru', options),
  /** A recurrent layer run both ways, outputs merged by `mergeMode`. */
  bidirectional: (options: BidirectionalLayerOptions): Bidirectional => new Bidirectional(options),
  /** A fully connected layer on the last axis (per timestep on sequences). */
  dense: (options: DenseLayerOptions): Dense => new Dense(options),
  /** Masks (and zeroes) the steps whose features all equal `maskValue`. */
  masking: (options: MaskingLayerOptions = {}): Masking => new Masking(options),
  /** Token ids → vectors; `maskZero` masks id 0. */
  embedding: (options: EmbeddingLayerOptions): Embedding => new Embedding(options),
  /** Inverted dropout in training. */
  dropout: (options: DropoutLayerOptions): Dropout => new Dropout(options),
};

export { Bidirectional, Dense, Dropout, Embedding, Masking, RecurrentLayer };
export { Layer } from './layer.js';
export type { LayerCallArgs } from './layer.js';
export type { BidirectionalLayerOptions, MergeMode } from './bidirectional.js';
export { MERGE_MODES } from './bidirectional.js';
export type { DenseActivation, DenseLayerOptions, DropoutLayerOptions, EmbeddingLayerOptions, MaskingLayerOptions } from './core_layers.js';
export { DENSE_ACTIVATIONS } from './core_layers.js';
export type { GRULayerOptions, LSTMLayerOptions, RecurrentLayerOptions, SimpleRNNLayerOptions } from './recurrent.js';
export type { Initializer, InitializerName, Regularizer, Shape } from './common.js';
export { INITIALIZER_NAMES } from './common.js';
