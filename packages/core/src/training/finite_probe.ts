import * as tf from '@tensorflow/tfjs-core';
import { useFusedKernel } from '../ops/fused_flag.js';

/**
 * Kernel name of the finiteness probe of a training step's gradients: inputs `{ g0, g1, … }` (float32, any
 * shapes; see {@link finiteProbeInputName}), no attrs; one output, a float32 scalar that is 0 when every element of
 * every input is finite and NaN otherwise (Σ g·0). A backend may register it; the training step then makes one
 * kernel call for its check instead of two per gradient and a sum.
 */
export const FiniteProbe = 'BasicFiniteProbe';

/** The name of input `i` of {@link FiniteProbe}. */
export function finiteProbeInputName(i: number): string {
  return `g${i}`;
}

/**
 * A float32 scalar that is 0 when every element of every tensor is finite and NaN otherwise (±0 and NaN are what
 * can come out: compare with `!== 0`). One {@link FiniteProbe} kernel call where the active backend registers one
 * and fused kernels are enabled; `Σ sum(g·0)` with tfjs's ops otherwise.
 */
export function finiteProbe(tensors: readonly tf.Tensor[]): tf.Scalar {
  if (tensors.length > 0 && tensors.every((t) => t.dtype === 'float32') && useFusedKernel(FiniteProbe)) {
    const inputs: tf.NamedTensorMap = {};
    tensors.forEach((t, i) => (inputs[finiteProbeInputName(i)] = t));
    return tf.engine().runKernel(FiniteProbe, inputs, {}) as tf.Scalar;
  }
  return tf.tidy(() => (tensors.length === 0 ? tf.scalar(0) : (tf.addN(tensors.map((g) => tf.sum(tf.mul(g, 0)))) as tf.Scalar)));
}
