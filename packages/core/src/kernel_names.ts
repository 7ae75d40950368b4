import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * The shared-weight recurrence `h_t = act(x_t·W + h_{t-1}·U + b)` over a whole sequence, as one named op.
 * Backends may register a fused kernel under this name; core registers its one gradient.
 */
export const RnnSequence = 'BasicRnnSequence';

/** The backward pass of {@link RnnSequence} (BPTT), as one named op with optional fused kernels. */
export const RnnSequenceGrad = 'BasicRnnSequenceGrad';

/** Element-wise activation of the recurrence. */
export type Activation = 'tanh' | 'relu' | 'sigmoid' | 'linear';

export const ACTIVATIONS: readonly Activation[] = ['tanh', 'relu', 'sigmoid', 'linear'];

/**
 * Inputs of {@link RnnSequence}. `bias` and `mask` may be absent (no key at all, never `undefined` values:
 * the engine walks every key).
 */
export interface RnnSequenceInputs {
  /** [B, T, I] float32 */
  x: Tensor;
  /** [I, H] */
  kernel: Tensor;
  /** [H, H] */
  recurrentKernel: Tensor;
  /** [H] */
  bias?: Tensor;
  /** [B, H] initial state */
  h0: Tensor;
  /** [B, T] float32, 1 = step is taken, 0 = state carried over unchanged (Keras masking) */
  mask?: Tensor;
}

export interface RnnSequenceAttrs {
  activation: Activation;
  /** Process the sequence from the last step to the first; outputs come in processing order (Keras). */
  goBackwards: boolean;
}

/** Inputs of {@link RnnSequenceGrad}; `hiddenStates` and `dy` are in processing order. */
export interface RnnSequenceGradInputs {
  x: Tensor;
  kernel: Tensor;
  recurrentKernel: Tensor;
  h0: Tensor;
  /** [B, T, H]: the forward op's output */
  hiddenStates: Tensor;
  /** [B, T, H]: gradient of the loss with respect to `hiddenStates` */
  dy: Tensor;
  mask?: Tensor;
}

export type RnnSequenceGradAttrs = RnnSequenceAttrs;

/** Outputs of {@link RnnSequenceGrad}, in this order. */
export const RNN_SEQUENCE_GRAD_OUTPUTS = ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0'] as const;
