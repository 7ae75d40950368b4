import * as tf from '@tensorflow/tfjs-core';
import { RnnSequence, type RnnSequenceAttrs } from '../kernel_names.js';
import { rnnSequenceGrad } from '../ops/rnn_sequence_grad.js';

/**
 * The one gradient of {@link RnnSequence}. tfjs keys gradients by kernel name only (the last registration wins
 * for every backend), so backends never register their own: they register a kernel for the backward op, which
 * this gradient calls.
 */
export const rnnSequenceGradConfig: tf.GradConfig = {
  kernelName: RnnSequence,
  inputsToSave: ['x', 'kernel', 'recurrentKernel', 'h0', 'mask'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    // The op always hands fused kernels a mask (ones when the caller gave none), so every slot is filled.
    const [x, kernel, recurrentKernel, h0, mask, hiddenStates] = saved as tf.Tensor[];
    const { activation, goBackwards } = attrs as unknown as RnnSequenceAttrs;
    // All five gradients come from one backward pass, computed once here; the engine disposes the ones no
    // input asked for when its backward tidy ends.
    const grads = rnnSequenceGrad(
      {
        x: x!,
        kernel: kernel!,
        recurrentKernel: recurrentKernel!,
        h0: h0!,
        hiddenStates: hiddenStates!,
        dy: dy as tf.Tensor,
        mask: mask!,
      },
      { activation, goBackwards },
    );
    return {
      x: () => grads.dx,
      kernel: () => grads.dKernel,
      recurrentKernel: () => grads.dRecurrentKernel,
      bias: () => grads.dBias,
      h0: () => grads.dh0,
      mask: () => tf.zerosLike(mask!),
    };
  },
};
