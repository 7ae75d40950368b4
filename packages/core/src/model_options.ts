import { ConfigError, describe } from './errors.js';
import { ACTIVATIONS } from './kernel_names.js';
import { CELL_TYPES } from './layers/recurrence.js';
import { float32Bytes } from './limits.js';
import type { OptionSchema } from './options.js';
import { OUTPUT_ACTIVATIONS } from './training/losses.js';
import { MAX_LINE_LENGTH } from './summary.js';
import { assertBoolean, assertFunction, assertInteger, assertPositiveInt, oneOf } from './validate.js';

/** Model names end up in variable names and summaries: letters, digits, `_`, `.`, `-`. */
function assertModelName(value: unknown, argument: string): void {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(value)) {
    throw new ConfigError(`${argument}: expected letters, digits, '_', '.', '-', received ${describe(value)}`);
  }
}

/** Schema of `new BasicRNN(config)` (`hiddenSize` and `outputSize` are required). */
export const BASIC_RNN_CONFIG: OptionSchema = {
  hiddenSize: assertPositiveInt,
  outputSize: assertPositiveInt,
  returnSequences: assertBoolean,
  activation: oneOf(ACTIVATIONS),
  outputActivation: oneOf(OUTPUT_ACTIVATIONS),
  useBias: assertBoolean,
  goBackwards: assertBoolean,
  seed: assertInteger,
  name: assertModelName,
  cell: oneOf(CELL_TYPES),
};

/** Schema of `call(x, options)`; the tensors are checked against `x` by `call` itself. */
export const CALL_OPTIONS: OptionSchema = { initialState: null, initialCellState: null, returnHiddenStates: assertBoolean, mask: null };

/** Schema of `predict(x, options)`. */
export const PREDICT_OPTIONS: OptionSchema = { batchSize: assertPositiveInt };

/** Schema of `summary(options)`. */
export const SUMMARY_OPTIONS: OptionSchema = {
  printFn: assertFunction,
  lineLength: (value, argument) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LINE_LENGTH) {
      throw new ConfigError(`${argument}: expected an integer from 1 to ${MAX_LINE_LENGTH}, received ${describe(value)}`);
    }
  },
};

/**
 * Bytes `build` allocates for a recurrent layer with `gates` gates (SimpleRNN 1, GRU 3, LSTM 4) + Dense: the float32 weights, plus the float64 workspace of the orthogonal
 * initialiser's QR of the [H,H] recurrent kernel (the random matrix, its factor, Q and the reflectors: about 32·H²).
 */
export function basicRnnBuildBytes(inputSize: number, hiddenSize: number, outputSize: number, useBias: boolean, gates = 1): number {
  const b = useBias ? 1 : 0;
  const params = gates * hiddenSize * (inputSize + hiddenSize + b) + outputSize * (hiddenSize + b);
  return float32Bytes([params]) + 32 * hiddenSize * hiddenSize;
}

/**
 * Bytes one forward pass over a [batch, steps, ·] block keeps alive: the input projection and the hidden states
 * ([B,T,H] each) and the output. A training step keeps about three times the recurrence (the tape's per-step
 * pre-activations and the gradients flowing back through time).
 */
export function basicRnnActivationBytes(
  batch: number,
  steps: number,
  hiddenSize: number,
  outputSize: number,
  returnSequences: boolean,
  training = false,
  gates = 1,
): number {
  // Gated cells keep their gate pre-activations too: about (1 + gates) [B,T,H] blocks per pass.
  const recurrence = float32Bytes([batch, steps, hiddenSize]) * (training ? 6 : 2) * (gates === 1 ? 1 : (1 + gates) / 2);
  return recurrence + float32Bytes(returnSequences ? [batch, steps, outputSize] : [batch, outputSize]);
}

/**
 * Bytes `predict` keeps alive: one chunk's forward pass, plus every chunk's output and their concatenation.
 */
export function basicRnnPredictBytes(
  examples: number,
  chunk: number,
  steps: number,
  hiddenSize: number,
  outputSize: number,
  returnSequences: boolean,
  gates = 1,
): number {
  const outputs = float32Bytes(returnSequences ? [examples, steps, outputSize] : [examples, outputSize]);
  return basicRnnActivationBytes(chunk, steps, hiddenSize, outputSize, returnSequences, false, gates) + 2 * outputs;
}
