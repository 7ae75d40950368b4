import * as tf from '@tensorflow/tfjs-core';
import {
  type CellAttrs,
  type CellGradInputs,
  type CellGrads,
  type CellInputs,
  type CellOutputs,
  type CellSpec,
  activationOf,
  backwardLoop,
  dropped,
  droppedRows,
  forwardLoop,
  inputGradient,
  inputRows,
  matMulTransposeA,
  projectedSteps,
  mulMaybe,
  perStep,
  previousStates,
  sequenceOf,
  upstreamSteps,
} from './common.js';

/*
 * SimpleRNN, Keras semantics (keras/src/layers/rnn/simple_rnn.py SimpleRNNCell.call):
 *   h_t = act(x_t·W + b + (h_{t−1}⊙d)·U)        (d: recurrent-dropout mask, ones when absent)
 */

function forward(inputs: CellInputs, attrs: CellAttrs): CellOutputs {
  const { x, recurrentKernel, bias, h0, mask, recurrentDropoutMask: drop } = inputs;
  const steps = x.shape[1]!;
  const act = activationOf(attrs.activation).tensor;
  return tf.tidy(() => {
    const projected = projectedSteps(inputs, attrs.goBackwards, bias ?? undefined);
    const [hiddenStates] = forwardLoop([h0], steps, mask, attrs.goBackwards, (t, [h]) => [act(tf.add(projected[t]!, tf.matMul(dropped(h!, drop), recurrentKernel)))]);
    return { hiddenStates: hiddenStates! };
  }) as CellOutputs;
}

/**
 * BPTT: `dz_t = m_t⊙(dh_t + carry)⊙act'(h_t)`, `carry ← (dz_t·Uᵀ)⊙d + (1 − m_t)⊙(dh_t + carry)`, then
 * `dU = Σ (h_{t−1}⊙d)ᵀdz_t`, `dW = Σ x_tᵀdz_t`, `db = Σ dz_t` as single matmuls over all steps. act' is read from
 * the saved states, which equal the unmasked new state wherever the mask is 1 (where it is 0, dz is 0); so no
 * bias is needed here, and the existing fused SimpleRNN backward kernels take none. The mask's products are
 * selects (common.ts backwardLoop): a skipped step passes its gradient back exactly.
 */
function backward(inputs: CellGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads {
  const { x, kernel, recurrentKernel, h0, mask, recurrentDropoutMask: drop, hiddenStates, dh } = inputs;
  const [batch, steps] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0]!;
  const actSpec = activationOf(attrs.activation);
  return tf.tidy(() => {
    const states = perStep(tf.reshape(tf.transpose(hiddenStates, [1, 0, 2]), [steps * batch, hidden]), steps, batch);
    const recurrentT = tf.transpose(recurrentKernel);
    const dz: tf.Tensor[] = new Array<tf.Tensor>(steps);
    const { initial, reaching } = backwardLoop([upstreamSteps(dh, hiddenStates)], steps, mask, attrs.goBackwards, (t, [g]) => {
      dz[t] = mulMaybe(g!, actSpec.slopeFromOutput(states[t]!));
      return [dropped(tf.matMul(dz[t]!, recurrentT), drop)];
    });
    const dZ = tf.reshape(tf.stack(dz), [steps * batch, hidden]) as tf.Tensor2D;
    const hIn = droppedRows(previousStates(h0, hiddenStates), drop ?? undefined, steps);
    const grads: CellGrads = {
      dx: inputGradient(dZ, kernel, batch, steps, attrs.goBackwards),
      dKernel: matMulTransposeA(inputRows(x, attrs.goBackwards, mask ?? undefined), dZ),
      dRecurrentKernel: matMulTransposeA(hIn, dZ),
      dBias: tf.sum(dZ, 0),
      dh0: initial[0]!,
    };
    if (hiddenStateGrads) grads.dHiddenStates = sequenceOf(reaching);
    return grads as unknown as tf.TensorContainerObject;
  }) as unknown as CellGrads;
}

/** The SimpleRNN cell: kernel [I, H], recurrentKernel [H, H], bias [H]. */
export const simpleRnnCell: CellSpec = {
  cell: 'simpleRNN',
  gates: ['h'],
  hasCellState: false,
  weightShapes: (inputSize, units) => ({ kernel: [inputSize, units], recurrentKernel: [units, units], bias: [units] }),
  forward,
  backward,
};
