import * as tf from '@tensorflow/tfjs-core';
import {
  type CellAttrs,
  type CellGradInputs,
  type CellGrads,
  type CellInputs,
  type CellOutputs,
  type CellSpec,
  activationOf,
  carry,
  droppedRows,
  enteringGradient,
  inputGradient,
  inputRows,
  matMulTransposeA,
  maskSteps,
  mulMaybe,
  passedBack,
  perStep,
  previousStates,
  projectInputs,
  sequenceOf,
  upstreamSteps,
} from './common.js';

/*
 * SimpleRNN, Keras semantics (keras/src/layers/rnn/simple_rnn.py SimpleRNNCell.call):
 *   h_t = act(x_t·W + b + (h_{t−1}⊙d)·U)        (d: recurrent-dropout mask, ones when absent)
 */

function forward(inputs: CellInputs, attrs: CellAttrs): CellOutputs {
  const { x, kernel, recurrentKernel, bias, h0, mask, recurrentDropoutMask: drop } = inputs;
  const [batch, steps] = x.shape as [number, number, number];
  const act = activationOf(attrs.activation).tensor;
  return tf.tidy(() => {
    const projected = perStep(projectInputs(inputRows(x, attrs.goBackwards, mask ?? undefined), kernel, bias ?? undefined), steps, batch);
    const masks = maskSteps(mask ?? undefined, attrs.goBackwards, h0.shape[1]!);
    let h = h0;
    const states: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const next = act(tf.add(projected[t]!, tf.matMul(drop == null ? h : tf.mul(h, drop), recurrentKernel)));
      h = carry(h, next, masks?.[t]);
      states.push(h);
    }
    return { hiddenStates: sequenceOf(states) };
  }) as CellOutputs;
}

/**
 * BPTT: `dz_t = m_t⊙(dh_t + carry)⊙act'(h_t)`, `carry ← (dz_t·Uᵀ)⊙d + (1 − m_t)⊙(dh_t + carry)`, then
 * `dU = Σ (h_{t−1}⊙d)ᵀdz_t`, `dW = Σ x_tᵀdz_t`, `db = Σ dz_t` as single matmuls over all steps. act' is read from
 * the saved states, which equal the unmasked new state wherever the mask is 1 (where it is 0, dz is 0); so no
 * bias is needed here, and the existing fused SimpleRNN backward kernels take none. The mask's products are
 * selects (common.ts enteringGradient, passedBack): a skipped step passes its gradient back exactly.
 */
function backward(inputs: CellGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads {
  const { x, kernel, recurrentKernel, h0, mask, recurrentDropoutMask: drop, hiddenStates, dh } = inputs;
  const [batch, steps] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0]!;
  const actSpec = activationOf(attrs.activation);
  return tf.tidy(() => {
    const states = perStep(tf.reshape(tf.transpose(hiddenStates, [1, 0, 2]), [steps * batch, hidden]), steps, batch);
    const upstream = upstreamSteps(dh, hiddenStates);
    const masks = maskSteps(mask ?? undefined, attrs.goBackwards, hidden);
    const recurrentT = tf.transpose(recurrentKernel);
    const dz: tf.Tensor[] = new Array<tf.Tensor>(steps);
    const reaching: tf.Tensor[] = new Array<tf.Tensor>(steps);
    let carryH: tf.Tensor | null = null;
    for (let t = steps - 1; t >= 0; t--) {
      const g: tf.Tensor = carryH === null ? upstream[t]! : tf.add(upstream[t]!, carryH);
      reaching[t] = g;
      const m = masks?.[t];
      const dzt = mulMaybe(enteringGradient(g, m), actSpec.slopeFromOutput(states[t]!));
      dz[t] = dzt;
      let through = tf.matMul(dzt, recurrentT);
      if (drop != null) through = tf.mul(through, drop);
      carryH = passedBack(through, g, m);
    }
    const dZ = tf.reshape(tf.stack(dz), [steps * batch, hidden]) as tf.Tensor2D;
    const hIn = droppedRows(previousStates(h0, hiddenStates), drop ?? undefined, steps);
    const grads: CellGrads = {
      dx: inputGradient(dZ, kernel, batch, steps, attrs.goBackwards),
      dKernel: matMulTransposeA(inputRows(x, attrs.goBackwards, mask ?? undefined), dZ),
      dRecurrentKernel: matMulTransposeA(hIn, dZ),
      dBias: tf.sum(dZ, 0),
      dh0: carryH as tf.Tensor2D,
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
