import * as tf from '@tensorflow/tfjs-core';
import { activate } from '../activations.js';
import {
  RnnSequence,
  type RnnSequenceAttrs,
  type RnnSequenceInputs,
} from '../kernel_names.js';
import { useFusedKernel } from './fused_flag.js';

/**
 * Runs the shared-weight recurrence over a whole sequence and returns every hidden state [B, T, H] in processing
 * order. Uses the active backend's fused kernel when one is registered (and fused kernels are enabled), else
 * the composite below. Differentiable either way.
 */
export function rnnSequence(inputs: RnnSequenceInputs, attrs: RnnSequenceAttrs): tf.Tensor3D {
  if (useFusedKernel(RnnSequence)) {
    // Fused kernels always receive a mask (ones when none is given): the gradient reads its saved inputs by
    // position and tfjs cannot save an absent one.
    return tf.tidy(() => {
      const [batch, steps] = inputs.x.shape as [number, number, number];
      const given = inputs.mask;
      const mask = given === undefined ? tf.ones([batch, steps]) : given.dtype === 'float32' ? given : tf.cast(given, 'float32');
      return tf.engine().runKernel(
        RnnSequence,
        presentInputs({ ...inputs, mask }),
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor3D;
    });
  }
  return rnnSequenceComposite(inputs, attrs);
}

/**
 * The reference implementation in tfjs ops: the input projection `x·W + b` for all timesteps in one matmul,
 * then only `h·U` and the activation inside the loop. Autodiff comes from the tape.
 *
 * Works time-major ([T, B, ·]): each step is then one contiguous block, so taking the steps apart and putting
 * the states together are row copies; slicing a batch-major [B, T, H] per step is a strided gather, which
 * dominated the cpu backend's time.
 */
export function rnnSequenceComposite(inputs: RnnSequenceInputs, attrs: RnnSequenceAttrs): tf.Tensor3D {
  const { x, kernel, recurrentKernel, bias, h0, mask } = inputs;
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const hidden = kernel.shape[1] as number;
  return tf.tidy(() => {
    const xs = timeMajor(x, attrs.goBackwards);
    let projected = tf.matMul(tf.reshape(xs, [steps * batch, inputSize]), kernel);
    if (bias !== undefined) projected = tf.add(projected, bias);
    const inputSteps = tf.unstack(tf.reshape(projected, [steps, batch, hidden]));
    const maskSteps = mask === undefined ? null : maskColumns(mask, attrs.goBackwards);

    let h = h0;
    const states: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const next = activate(tf.add(inputSteps[t]!, tf.matMul(h, recurrentKernel)), attrs.activation);
      // A masked step carries the previous state over unchanged: h ← h + m·(next − h).
      h = maskSteps === null ? next : tf.add(h, tf.mul(maskSteps[t]!, tf.sub(next, h)));
      states.push(h);
    }
    return batchMajor(tf.stack(states)) as tf.Tensor3D;
  });
}

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
