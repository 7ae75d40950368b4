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
 */
export function rnnSequenceComposite(inputs: RnnSequenceInputs, attrs: RnnSequenceAttrs): tf.Tensor3D {
  const { x, kernel, recurrentKernel, bias, h0, mask } = inputs;
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const hidden = kernel.shape[1] as number;
  return tf.tidy(() => {
    const ordered = attrs.goBackwards ? tf.reverse(x, 1) : x;
    let projected = tf.matMul(tf.reshape(ordered, [batch * steps, inputSize]), kernel);
    if (bias !== undefined) projected = tf.add(projected, bias);
    const inputSteps = tf.unstack(tf.reshape(projected, [batch, steps, hidden]), 1);
    const maskSteps = mask === undefined ? null : maskColumns(mask, attrs.goBackwards);

    let h = h0;
    const states: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const next = activate(tf.add(inputSteps[t]!, tf.matMul(h, recurrentKernel)), attrs.activation);
      // A masked step carries the previous state over unchanged: h ← h + m·(next − h).
      h = maskSteps === null ? next : tf.add(h, tf.mul(maskSteps[t]!, tf.sub(next, h)));
      states.push(h);
    }
    return tf.stack(states, 1) as tf.Tensor3D;
  });
}

/** The mask as T tensors of shape [B, 1] (float), in processing order. */
export function maskColumns(mask: tf.Tensor, goBackwards: boolean): tf.Tensor[] {
  const asFloat = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  const ordered = goBackwards ? tf.reverse(asFloat, 1) : asFloat;
  return tf.unstack(tf.expandDims(ordered, 2), 1);
}

/** The engine records every key of the inputs map; optional inputs must be absent, not undefined. */
export function presentInputs(inputs: object): tf.NamedTensorMap {
  const present: tf.NamedTensorMap = {};
  for (const [name, tensor] of Object.entries(inputs)) {
    if (tensor !== undefined) present[name] = tensor as tf.Tensor;
  }
  return present;
}
