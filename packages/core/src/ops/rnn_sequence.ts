import * as tf from '@tensorflow/tfjs-core';
import { simpleRnnCell } from '../cells/simple_rnn.js';
import {
  RnnSequence,
  type RnnSequenceAttrs,
  type RnnSequenceInputs,
} from '../kernel_names.js';
import { useFusedKernel } from './fused_flag.js';
import { withInitialState } from './sequence_op.js';
import { batchMajor, maskColumns, presentInputs, timeMajor } from './sequence_layout.js';

export { batchMajor, maskColumns, presentInputs, timeMajor };

/**
 * Runs the shared-weight recurrence over a whole sequence and returns every hidden state [B, T, H] in processing
 * order. Uses the active backend's fused kernel when one is registered (and fused kernels are enabled), else
 * the composite below. Differentiable either way.
 */
export function rnnSequence(inputs: RnnSequenceInputs, attrs: RnnSequenceAttrs): tf.Tensor3D {
  if (useFusedKernel(RnnSequence)) {
    const given = inputs.mask;
    if (!tf.engine().isTapeOn() && (given === undefined || given.dtype === 'float32')) {
      // Outside a tape nothing is saved: absent h0 and mask stay absent (zeros, ones), no tensor is made.
      return tf.engine().runKernel(RnnSequence, presentInputs(inputs), attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
    }
    // Under a tape fused kernels receive every slot (zeros for h0, ones for a mask): the gradient reads its saved
    // inputs by name and tfjs cannot save an absent one.
    return tf.tidy(() => {
      const [batch, steps] = inputs.x.shape as [number, number, number];
      const mask = given === undefined ? tf.ones([batch, steps]) : given.dtype === 'float32' ? given : tf.cast(given, 'float32');
      const h0 = inputs.h0 ?? tf.zeros([batch, inputs.recurrentKernel.shape[0]!]);
      return tf.engine().runKernel(
        RnnSequence,
        presentInputs({ ...inputs, h0, mask }),
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor3D;
    });
  }
  return rnnSequenceComposite(inputs, attrs);
}

/**
 * The reference implementation in tfjs ops (the SimpleRNN cell's composite, cells/simple_rnn.ts): the input
 * projection `x·W + b` for all timesteps in one matmul, then only `h·U` and the activation inside the loop.
 * Autodiff comes from the tape.
 *
 * Works time-major ([T, B, ·]): each step is then one contiguous block, so taking the steps apart and putting
 * the states together are row copies; slicing a batch-major [B, T, H] per step is a strided gather, which
 * dominated the cpu backend's time.
 */
export function rnnSequenceComposite(inputs: RnnSequenceInputs, attrs: RnnSequenceAttrs): tf.Tensor3D {
  const filled = withInitialState(inputs);
  try {
    return simpleRnnCell.forward(filled, { ...attrs, recurrentActivation: 'sigmoid', resetAfter: false }).hiddenStates;
  } finally {
    if (filled.h0 !== inputs.h0) filled.h0.dispose();
  }
}
