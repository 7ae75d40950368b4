import * as tf from '@tensorflow/tfjs-core';
import { simpleRnnCell } from '../cells/simple_rnn.js';
import {
  RnnSequenceGrad,
  type RnnSequenceGradAttrs,
  type RnnSequenceGradInputs,
} from '../kernel_names.js';
import { useFusedKernel } from './fused_flag.js';
import { presentInputs } from './sequence_layout.js';

/** Gradients of the recurrence with respect to each of its inputs. `dBias` is always computed. */
export interface RnnSequenceGrads {
  dx: tf.Tensor3D;
  dKernel: tf.Tensor2D;
  dRecurrentKernel: tf.Tensor2D;
  dBias: tf.Tensor1D;
  dh0: tf.Tensor2D;
}

/**
 * Backpropagation through time for {@link rnnSequence}. Uses the active backend's fused kernel when registered,
 * else the composite.
 */
export function rnnSequenceGrad(inputs: RnnSequenceGradInputs, attrs: RnnSequenceGradAttrs): RnnSequenceGrads {
  if (useFusedKernel(RnnSequenceGrad)) {
    return named(
      tf.engine().runKernel(RnnSequenceGrad, presentInputs(inputs), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[],
    );
  }
  return rnnSequenceGradComposite(inputs, attrs);
}

/**
 * BPTT in tfjs ops (the SimpleRNN cell's composite backward, cells/simple_rnn.ts):
 * `dz_t = (dh_t + dz_{t+1}·Uᵀ) ⊙ act'(z_t)` step by step, then the three weight gradients as single matmuls over
 * all steps: `dU = Σ h_{t-1}ᵀ dz_t`, `dW = Σ x_tᵀ dz_t`, `db = Σ dz_t`. With a mask, a skipped step passes its
 * incoming gradient straight to the previous state.
 */
export function rnnSequenceGradComposite(
  inputs: RnnSequenceGradInputs,
  attrs: RnnSequenceGradAttrs,
): RnnSequenceGrads {
  const { dy, ...rest } = inputs;
  const { dx, dKernel, dRecurrentKernel, dBias, dh0 } = simpleRnnCell.backward(
    { ...rest, dh: dy },
    { ...attrs, recurrentActivation: 'sigmoid', resetAfter: false },
    false,
  );
  return { dx, dKernel, dRecurrentKernel, dBias: dBias as tf.Tensor1D, dh0 };
}

/** The backward op's outputs by name (kernels return them in `RNN_SEQUENCE_GRAD_OUTPUTS` order). */
function named([dx, dKernel, dRecurrentKernel, dBias, dh0]: tf.Tensor[]): RnnSequenceGrads {
  return {
    dx: dx as tf.Tensor3D,
    dKernel: dKernel as tf.Tensor2D,
    dRecurrentKernel: dRecurrentKernel as tf.Tensor2D,
    dBias: dBias as tf.Tensor1D,
    dh0: dh0 as tf.Tensor2D,
  };
}
