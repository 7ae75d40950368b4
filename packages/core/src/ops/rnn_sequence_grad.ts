import * as tf from '@tensorflow/tfjs-core';
import { activationGradFromOutput } from '../activations.js';
import {
  RnnSequenceGrad,
  type RnnSequenceGradAttrs,
  type RnnSequenceGradInputs,
} from '../kernel_names.js';
import { useFusedKernel } from './fused_flag.js';
import { batchMajor, maskColumns, presentInputs, timeMajor } from './rnn_sequence.js';

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
 * BPTT in tfjs ops: `dz_t = (dh_t + dz_{t+1}·Uᵀ) ⊙ act'(z_t)` step by step, then the three weight gradients
 * as single matmuls over all steps: `dU = Σ h_{t-1}ᵀ dz_t`, `dW = Σ x_tᵀ dz_t`, `db = Σ dz_t`.
 * With a mask, a skipped step passes its incoming gradient straight to the previous state.
 */
export function rnnSequenceGradComposite(
  inputs: RnnSequenceGradInputs,
  attrs: RnnSequenceGradAttrs,
): RnnSequenceGrads {
  const { x, kernel, recurrentKernel, h0, hiddenStates, dy, mask } = inputs;
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0] as number;
  const grads = tf.tidy(() => {
    // Time-major, as the forward composite: steps are contiguous blocks.
    const statesTm = batchMajor(hiddenStates);
    const states = tf.unstack(statesTm);
    const upstream = tf.unstack(batchMajor(dy));
    const maskSteps = mask === undefined ? null : maskColumns(mask, attrs.goBackwards);
    const recurrentT = tf.transpose(recurrentKernel);

    const dz: tf.Tensor[] = new Array<tf.Tensor>(steps);
    let carry: tf.Tensor | null = null;
    for (let t = steps - 1; t >= 0; t--) {
      const g: tf.Tensor = carry === null ? upstream[t]! : tf.add(upstream[t]!, carry);
      const slope = activationGradFromOutput(states[t]!, attrs.activation);
      let dzt: tf.Tensor = slope === null ? g : tf.mul(g, slope);
      if (maskSteps !== null) dzt = tf.mul(dzt, maskSteps[t]!);
      let next: tf.Tensor = tf.matMul(dzt, recurrentT);
      if (maskSteps !== null) next = tf.add(next, tf.mul(g, tf.sub(1, maskSteps[t]!)));
      carry = next;
      dz[t] = dzt;
    }

    // Rows are (step, example) pairs; the weight gradients sum over all of them in one matmul each.
    const dzAll = tf.reshape(tf.stack(dz), [steps * batch, hidden]);
    const first = tf.expandDims(h0, 0);
    const previous = steps === 1 ? first : tf.concat([first, tf.slice(statesTm, [0, 0, 0], [steps - 1, batch, hidden])]);
    const xFlat = tf.reshape(timeMajor(x, attrs.goBackwards), [steps * batch, inputSize]);
    const dRecurrentKernel = tf.matMul(tf.reshape(previous, [steps * batch, hidden]), dzAll, true, false);
    const dKernel = tf.matMul(xFlat, dzAll, true, false);
    const dBias = tf.sum(dzAll, 0);
    const dxOrdered = tf.reshape(tf.matMul(dzAll, kernel, false, true), [steps, batch, inputSize]);
    const dx = batchMajor(attrs.goBackwards ? tf.reverse(dxOrdered, 0) : dxOrdered);
    return [dx, dKernel, dRecurrentKernel, dBias, carry!] as tf.Tensor[];
  });
  return named(grads);
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
