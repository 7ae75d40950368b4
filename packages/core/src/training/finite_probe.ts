import * as tf from '@tensorflow/tfjs-core';
import { useFusedKernel } from '../ops/fused_flag.js';

/**
 * Kernel name of the training step's finiteness probe: inputs `t0 … t{n−1}` (float32, any shapes), no attrs;
 * output a float32 scalar that is 0 when every element of every input is finite and NaN otherwise (the sum of
 * `0·x` over all elements). A backend may register it; the trainer then checks all gradients in one kernel call
 * instead of a multiply and a sum per gradient and their addition.
 */
export const FiniteProbe = 'BasicFiniteProbe';

/** 0 when every element of `tensors` is finite, NaN otherwise: one {@link FiniteProbe} call, or tfjs's ops. */
export function finiteProbe(tensors: tf.Tensor[]): tf.Scalar {
  if (tensors.length > 0 && useFusedKernel(FiniteProbe)) {
    const inputs = Object.fromEntries(tensors.map((t, i) => [`t${i}`, t]));
    return tf.engine().runKernel(FiniteProbe, inputs, {}) as tf.Scalar;
  }
  // 0·g sums to 0 when every element is finite and to NaN otherwise.
  return tf.addN(tensors.map((g) => tf.sum(tf.mul(g, 0)))) as tf.Scalar;
}
