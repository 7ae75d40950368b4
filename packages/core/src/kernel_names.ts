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
 * Inputs of {@link RnnSequence}. `bias` may be absent (no key at all, never `undefined` values: the engine walks
 * every key); `h0` (zeros) and `mask` (every step taken) may be absent in a call outside a gradient tape (under a
 * tape the op fills them: the gradient reads its saved inputs by name).
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
  /** [B, H] initial state; absent: zeros */
  h0?: Tensor;
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

/** The recurrent cells the engine runs: SimpleRNN, LSTM (gates i, f, c, o) and GRU (gates z, r, h), Keras layout. */
export type CellType = 'simpleRNN' | 'lstm' | 'gru';

/** Every {@link CellType}. */
export const CELL_TYPES: readonly CellType[] = ['simpleRNN', 'lstm', 'gru'];

/** The LSTM recurrence over a whole sequence as one named op; outputs [hiddenStates, cellStates]. */
export const LstmSequence = 'BasicLstmSequence';

/** The backward pass of {@link LstmSequence} (BPTT), one named op with optional fused kernels. */
export const LstmSequenceGrad = 'BasicLstmSequenceGrad';

/** The GRU recurrence over a whole sequence as one named op; outputs [hiddenStates]. */
export const GruSequence = 'BasicGruSequence';

/** The backward pass of {@link GruSequence} (BPTT), one named op with optional fused kernels. */
export const GruSequenceGrad = 'BasicGruSequenceGrad';

/**
 * The final states only of {@link LstmSequence}: outputs [h, c] of the last processed step, each [B, H]; same inputs
 * and attrs. Forward only: a recurrent layer that returns no sequence runs it outside a gradient tape where a
 * backend registers it (no [B, T, H] outputs, no slice of their last step), and the sequence op otherwise.
 */
export const LstmSequenceFinal = 'BasicLstmSequenceFinal';

/** The final state only of {@link GruSequence}: output h of the last processed step [B, H] (see {@link LstmSequenceFinal}). */
export const GruSequenceFinal = 'BasicGruSequenceFinal';

/**
 * Inputs of the gated sequence kernels ({@link LstmSequence}, {@link GruSequence}) as a fused kernel receives
 * them. `bias` is always there (the op passes zeros for an absent one). `h0`, `c0` and `mask` may be absent (no
 * key) in a call outside a gradient tape, meaning zeros and all ones, so that inference creates no tensors per
 * call; under a tape the op fills every slot (zeros, ones), since the gradient reads its saved inputs by name and
 * tfjs cannot save an absent one. The mask is float32.
 */
export interface GatedSequenceInputs {
  /** [B, T, I] float32 */
  x: Tensor;
  /** [I, G·H] */
  kernel: Tensor;
  /** [H, G·H] */
  recurrentKernel: Tensor;
  /** [G·H]; GRU with resetAfter: [2, 3H] (input row, recurrent row) */
  bias: Tensor;
  /** [B, H]; absent: zeros */
  h0?: Tensor;
  /** [B, H], LSTM only; absent: zeros */
  c0?: Tensor;
  /** [B, T] float32, 1 = step taken, 0 = state carried over; absent: every step taken */
  mask?: Tensor;
}

/** Attributes of the gated sequence kernels and their backward kernels. */
export interface GatedSequenceAttrs {
  activation: string;
  recurrentActivation: string;
  goBackwards: boolean;
  /** GRU only (false for LSTM). */
  resetAfter: boolean;
  /**
   * Set by the op on a forward under a gradient tape (never on an inference call): a kernel MAY then return one
   * more output after its states, gate values in a layout of its own choosing, which core's gradient saves and
   * passes to the backward kernel of the same backend as its input `gates` (see {@link GatedSequenceGradInputs}).
   * A kernel that keeps nothing ignores it; the backward then recomputes the gates.
   */
  keepGates?: boolean;
}

/**
 * Inputs of {@link LstmSequenceGrad} / {@link GruSequenceGrad}: the forward inputs (every slot filled: the backward
 * op always passes `h0`, LSTM's `c0` and the mask), the forward outputs and the gradients reaching them, all in
 * processing order. Gate values are recomputed from these (one batched matmul), so fused forward kernels need to
 * keep nothing else; a forward kernel that kept them (`keepGates`) gets them back as `gates`.
 */
export interface GatedSequenceGradInputs extends GatedSequenceInputs {
  /** [B, T, H]: the forward op's first output */
  hiddenStates: Tensor;
  /** [B, T, H]: LSTM's second output */
  cellStates?: Tensor;
  /** [B, T, H]: ∂loss/∂hiddenStates */
  dh: Tensor;
  /** [B, T, H]: ∂loss/∂cellStates (LSTM) */
  dc?: Tensor;
  /** [B, H]: Keras recurrent-dropout mask on h_{t−1} before ·U (composite only; fused kernels do not take it) */
  recurrentDropoutMask?: Tensor;
  /** The gate values the forward kernel kept (its extra output under `keepGates`), in its own layout; absent otherwise. */
  gates?: Tensor;
}

/** Attributes of the backward kernels: the forward's, plus whether to also return ∂loss/∂h_t per step. */
export interface GatedSequenceGradAttrs extends GatedSequenceAttrs {
  /** When true the kernel returns one more output, `dHiddenStates` [B, T, H] (processing order). */
  hiddenStateGrads: boolean;
}

/**
 * Outputs of the gated backward kernels, in this order: `dc0` only for LSTM, `dHiddenStates` only when
 * `hiddenStateGrads` is set. `dBias` has the bias's shape.
 */
export const GATED_SEQUENCE_GRAD_OUTPUTS = ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0', 'dc0', 'dHiddenStates'] as const;

/**
 * A Dense layer's `x·kernel + bias` as one named op (x [M, K], kernel [K, N], bias [N] optional; output [M, N]
 * float32). Forward only: the layer runs it outside a gradient tape, where a backend registers a kernel for it
 * (one dispatch instead of tfjs's matMul and add, which at inference sizes cost more than the arithmetic), and
 * tfjs's matMul and add otherwise, under a tape among them.
 */
export const DenseForward = 'BasicDenseForward';

/** Inputs of {@link DenseForward}; an absent bias is no key at all. */
export interface DenseForwardInputs {
  /** [M, K] float32 */
  x: Tensor;
  /** [K, N] float32 */
  kernel: Tensor;
  /** [N] float32 */
  bias?: Tensor;
}
