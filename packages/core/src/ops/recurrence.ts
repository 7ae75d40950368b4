import * as tf from '@tensorflow/tfjs-core';
import { RECURRENT_ACTIVATIONS, type RecurrentActivationName } from '../activations.js';
import type { CellAttrs, CellGrads } from '../cells/common.js';
import { ConfigError, DTypeError, ShapeError, describe } from '../errors.js';
import { CELL_TYPES, type CellType } from '../kernel_names.js';
import { SEQUENCE_OPS } from './sequence_ops.js';

export type { CellType, RecurrentActivationName };

/** Inputs of {@link recurrence}. Optional tensors may be left out. */
export interface RecurrenceInputs {
  /** [B, T, I] float32 */
  x: tf.Tensor;
  /** [I, G·H] with G = 1 (SimpleRNN), 4 (LSTM: i, f, c, o), 3 (GRU: z, r, h) — Keras layout */
  kernel: tf.Tensor;
  /** [H, G·H] */
  recurrentKernel: tf.Tensor;
  /** [G·H]; GRU with resetAfter: [2, 3H] (row 0 input bias, row 1 recurrent bias) */
  bias?: tf.Tensor;
  /** [B, H] initial hidden state (zeros when absent) */
  h0?: tf.Tensor;
  /** [B, H] LSTM initial cell state (zeros when absent) */
  c0?: tf.Tensor;
  /** [B, T] bool or float32: 0 = step skipped, state (h and c) carried over unchanged */
  mask?: tf.Tensor;
  /** [B, H]: multiplies h_{t−1} before ·U only (Keras 3 recurrent dropout); h itself is carried unchanged */
  recurrentDropoutMask?: tf.Tensor;
}

/** Attributes of {@link recurrence}. */
export interface RecurrenceAttrs {
  cell: CellType;
  /** SimpleRNN's activation; LSTM/GRU candidate and output activation */
  activation: RecurrentActivationName;
  /** LSTM/GRU gate activation (ignored for SimpleRNN) */
  recurrentActivation: RecurrentActivationName;
  /** Process the sequence from the last step to the first; outputs come in processing order (Keras). */
  goBackwards: boolean;
  /** GRU only: reset gate applied after the recurrent matmul (Keras 3 default, cuDNN/PyTorch form) */
  resetAfter: boolean;
}

/** Outputs of {@link recurrence}, in processing order. */
export interface RecurrenceOutputs {
  /** [B, T, H] */
  hiddenStates: tf.Tensor3D;
  /** [B, T, H], LSTM only */
  cellStates?: tf.Tensor3D;
}

/** Gradients of a recurrence with respect to its inputs; `dHiddenStates` when asked for. */
export type RecurrenceGrads = CellGrads;

/**
 * Runs one recurrent cell over a whole sequence and returns every hidden state (and, for LSTM, every cell state)
 * in processing order. Synchronous and differentiable with respect to x, kernel, recurrentKernel, bias, h0 and
 * c0. Runs the active backend's fused kernel for the cell when one is registered (and fused kernels are
 * enabled), else the composite in tfjs ops; SimpleRNN goes through {@link rnnSequence}, so its fused kernels
 * apply on every backend. Recurrent dropout always runs the composite.
 *
 * @example
 * const { hiddenStates, cellStates } = recurrence(
 *   { x, kernel, recurrentKernel, bias, h0: tf.zeros([batch, units]) },
 *   { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false },
 * );
 */
export function recurrence(inputs: RecurrenceInputs, attrs: RecurrenceAttrs): RecurrenceOutputs {
  checkRecurrence(inputs, attrs, 'recurrence');
  return SEQUENCE_OPS[attrs.cell].forward(inputs, cellAttrs(attrs)) as RecurrenceOutputs;
}

/**
 * The final states of {@link recurrence} only: [h] or, for LSTM, [h, c], each [B, H] (the last processed step).
 * Outside a gradient tape a backend's final-states kernel makes no [B, T, H] sequences; differentiable as the last
 * step of recurrence's outputs otherwise. `cellState` false: LSTM's c is left out.
 */
export function recurrenceFinalStates(inputs: RecurrenceInputs, attrs: RecurrenceAttrs, cellState = true): tf.Tensor2D[] {
  checkRecurrence(inputs, attrs, 'recurrenceFinalStates');
  return SEQUENCE_OPS[attrs.cell].finalStates(inputs, cellAttrs(attrs), cellState);
}

/** Upstream gradients for {@link recurrenceGrad}: ∂loss/∂hiddenStates and (LSTM) ∂loss/∂cellStates, [B, T, H]. */
export interface RecurrenceUpstream {
  dh?: tf.Tensor;
  dc?: tf.Tensor;
}

/**
 * The backward op (BPTT) of {@link recurrence} called directly: runs the forward (no tape), then the cell's
 * backward op with the given upstream gradients, and returns every input gradient, plus `dHiddenStates`
 * (∂loss/∂h_t, the total gradient reaching each hidden state, processing order) when `hiddenStateGrads` is set.
 * The caller owns the returned tensors.
 */
export function recurrenceGrad(
  inputs: RecurrenceInputs,
  attrs: RecurrenceAttrs,
  upstream: RecurrenceUpstream,
  options: { hiddenStateGrads?: boolean } = {},
): RecurrenceGrads {
  checkRecurrence(inputs, attrs, 'recurrenceGrad');
  const op = SEQUENCE_OPS[attrs.cell];
  const a = cellAttrs(attrs);
  const [batch, steps] = inputs.x.shape as [number, number, number];
  const units = inputs.recurrentKernel.shape[0]!;
  for (const key of ['dh', 'dc'] as const) {
    const d = upstream[key];
    if (d !== undefined) checkTensor(d, [batch, steps, units], `recurrenceGrad(upstream.${key})`, false);
  }
  const outputs = tf.tidy(() => op.forward(inputs, a) as unknown as tf.TensorContainerObject) as unknown as RecurrenceOutputs;
  try {
    return op.backward(
      {
        ...inputs,
        hiddenStates: outputs.hiddenStates,
        ...(outputs.cellStates === undefined ? {} : { cellStates: outputs.cellStates }),
        dh: upstream.dh ?? null,
        dc: upstream.dc ?? null,
      },
      a,
      options.hiddenStateGrads === true,
    );
  } finally {
    tf.dispose([outputs.hiddenStates, ...(outputs.cellStates === undefined ? [] : [outputs.cellStates])]);
  }
}

/**
 * ∂loss/∂h_t for every step [B, T, H] (processing order): the gradient that reaches each hidden state through
 * the output at that step and through every later step — the quantity whose norm over t shows a SimpleRNN's
 * gradient vanishing and an LSTM's holding. `upstream.dh` is ∂loss/∂hiddenStates (direct part only).
 */
export function hiddenStateGradients(inputs: RecurrenceInputs, attrs: RecurrenceAttrs, upstream: RecurrenceUpstream): tf.Tensor3D {
  const grads = recurrenceGrad(inputs, attrs, upstream, { hiddenStateGrads: true });
  const { dHiddenStates, ...rest } = grads;
  tf.dispose(Object.values(rest));
  return dHiddenStates!;
}

function cellAttrs(attrs: RecurrenceAttrs): CellAttrs {
  return {
    activation: attrs.activation,
    recurrentActivation: attrs.recurrentActivation,
    goBackwards: attrs.goBackwards,
    resetAfter: attrs.cell === 'gru' ? attrs.resetAfter : false,
  };
}

function checkTensor(value: unknown, shape: number[], name: string, allowBool: boolean): void {
  if (!(value instanceof tf.Tensor) || value.isDisposed) {
    throw new ShapeError(`${name}: expected a live tensor of shape ${describe(shape)}, received ${describe(value)}`);
  }
  if (value.rank !== shape.length || value.shape.some((d: number, k: number) => d !== shape[k])) {
    throw new ShapeError(`${name}: expected shape ${describe(shape)}, received ${describe(value.shape)}`);
  }
  if (value.dtype !== 'float32' && !(allowBool && value.dtype === 'bool')) {
    throw new DTypeError(`${name}: expected dtype ${allowBool ? 'bool or float32' : 'float32'}, received ${value.dtype}`);
  }
}

/** Validates every input and attribute against the cell's layout; throws a typed error naming the argument. */
function checkRecurrence(inputs: RecurrenceInputs, attrs: RecurrenceAttrs, where: string): void {
  if (attrs === null || typeof attrs !== 'object') throw new ConfigError(`${where}(attrs): expected an object, received ${describe(attrs)}`);
  if (!(CELL_TYPES as readonly unknown[]).includes(attrs.cell)) {
    throw new ConfigError(`${where}(attrs.cell): expected one of ${CELL_TYPES.map((c) => `'${c}'`).join(', ')}, received ${describe(attrs.cell)}`);
  }
  for (const key of ['activation', 'recurrentActivation'] as const) {
    if (!(RECURRENT_ACTIVATIONS as readonly unknown[]).includes(attrs[key])) {
      throw new ConfigError(
        `${where}(attrs.${key}): expected one of ${RECURRENT_ACTIVATIONS.map((c) => `'${c}'`).join(', ')}, received ${describe(attrs[key])}`,
      );
    }
  }
  for (const key of ['goBackwards', 'resetAfter'] as const) {
    if (typeof attrs[key] !== 'boolean') throw new ConfigError(`${where}(attrs.${key}): expected a boolean, received ${describe(attrs[key])}`);
  }
  if (inputs === null || typeof inputs !== 'object') throw new ConfigError(`${where}(inputs): expected an object, received ${describe(inputs)}`);
  const { x, recurrentKernel } = inputs;
  if (!(x instanceof tf.Tensor) || x.isDisposed || x.rank !== 3) {
    throw new ShapeError(`${where}(inputs.x): expected a live [batch, steps, features] tensor, received ${describe(x)}`);
  }
  if (!(recurrentKernel instanceof tf.Tensor) || recurrentKernel.isDisposed || recurrentKernel.rank !== 2) {
    throw new ShapeError(`${where}(inputs.recurrentKernel): expected a live [units, gates·units] tensor, received ${describe(recurrentKernel)}`);
  }
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const units = recurrentKernel.shape[0]!;
  const shapes = SEQUENCE_OPS[attrs.cell].spec.weightShapes(inputSize, units, cellAttrs(attrs).resetAfter);
  checkTensor(x, [batch, steps, inputSize], `${where}(inputs.x)`, false);
  checkTensor(inputs.kernel, shapes.kernel, `${where}(inputs.kernel)`, false);
  checkTensor(recurrentKernel, shapes.recurrentKernel, `${where}(inputs.recurrentKernel)`, false);
  if (inputs.bias !== undefined) checkTensor(inputs.bias, shapes.bias, `${where}(inputs.bias)`, false);
  if (inputs.h0 !== undefined) checkTensor(inputs.h0, [batch, units], `${where}(inputs.h0)`, false);
  if (inputs.c0 !== undefined) {
    if (attrs.cell !== 'lstm') throw new ConfigError(`${where}(inputs.c0): only the 'lstm' cell has a cell state, received one for '${attrs.cell}'`);
    checkTensor(inputs.c0, [batch, units], `${where}(inputs.c0)`, false);
  }
  if (inputs.mask !== undefined) checkTensor(inputs.mask, [batch, steps], `${where}(inputs.mask)`, true);
  if (inputs.recurrentDropoutMask !== undefined) checkTensor(inputs.recurrentDropoutMask, [batch, units], `${where}(inputs.recurrentDropoutMask)`, false);
  if (steps === 0) throw new ShapeError(`${where}(inputs.x): expected at least one step, received shape ${describe(x.shape)}`);
}
