import * as tf from '@tensorflow/tfjs-core';

// How sequences are laid out for the recurrence loops: time-major, in processing order.

/** [B, T, ·] → [T, B, ·], in processing order (reversed in time for goBackwards). */
export function timeMajor(x: tf.Tensor, goBackwards: boolean): tf.Tensor {
  const t = swapLeadingAxes(x);
  return goBackwards ? tf.reverse(t, 0) : t;
}

/** [T, B, ·] → [B, T, ·]. */
export function batchMajor(x: tf.Tensor): tf.Tensor {
  return swapLeadingAxes(x);
}

/** Swaps the first two axes; a reshape when either is 1 (same memory order), else a transpose. */
function swapLeadingAxes(x: tf.Tensor): tf.Tensor {
  const [a, b, ...rest] = x.shape as number[];
  return a === 1 || b === 1 ? tf.reshape(x, [b!, a!, ...rest]) : tf.transpose(x, [1, 0, 2]);
}

/** The mask as T tensors of shape [B, 1] (float), in processing order. */
export function maskColumns(mask: tf.Tensor, goBackwards: boolean): tf.Tensor[] {
  const asFloat = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  const ordered = goBackwards ? tf.reverse(tf.transpose(asFloat), 0) : tf.transpose(asFloat);
  return tf.unstack(tf.expandDims(ordered, 2));
}

/** The engine records every key of the inputs map; optional inputs must be absent, not undefined. */
export function presentInputs(inputs: object): tf.NamedTensorMap {
  const present: tf.NamedTensorMap = {};
  for (const [name, tensor] of Object.entries(inputs)) {
    if (tensor !== undefined) present[name] = tensor as tf.Tensor;
  }
  return present;
}

/** The last step [B, H] of states [B, T, H] (processing order: the final state). */
export function lastStep(states: tf.Tensor): tf.Tensor2D {
  const [batch, steps, units] = states.shape as [number, number, number];
  return tf.reshape(tf.slice(states, [0, steps - 1, 0], [batch, 1, units]), [batch, units]);
}
