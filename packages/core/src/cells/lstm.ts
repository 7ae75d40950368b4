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
  gateBlocks,
  inputGradient,
  inputRows,
  matMulTransposeA,
  projectedSteps,
  mulMaybe,
  perStep,
  previousStates,
  projectInputs,
  sequenceOf,
  upstreamSteps,
} from './common.js';

/*
 * LSTM, Keras semantics and layout (keras/src/layers/rnn/lstm.py, LSTMCell.call / _compute_carry_and_output_fused;
 * tfjs-layers src/layers/recurrent.ts LSTMCell.call): gates in weight-column order i, f, c, o;
 *   z = x_t·W + (h_{t−1}⊙d)·U + b            (d: recurrent-dropout mask, ones when absent)
 *   i = σr(z_i), f = σr(z_f), c̃ = act(z_c), o = σr(z_o)
 *   c_t = f⊙c_{t−1} + i⊙c̃,  h_t = o⊙act(c_t)
 * Recurrent dropout as Keras 3's implementation 1 applies it (h_tm1_i/f/c/o = h_tm1 * rec_dp_mask before ·U);
 * one [B, H] mask for all four gates. Keras's default implementation 2 applies none, a quirk we do not copy.
 */

function forward(inputs: CellInputs, attrs: CellAttrs): CellOutputs {
  const { x, recurrentKernel, bias, h0, c0, mask, recurrentDropoutMask: drop } = inputs;
  const steps = x.shape[1]!;
  const gate = activationOf(attrs.recurrentActivation).tensor;
  const act = activationOf(attrs.activation).tensor;
  return tf.tidy(() => {
    const projected = projectedSteps(inputs, attrs.goBackwards, bias ?? undefined);
    const [hiddenStates, cellStates] = forwardLoop([h0, c0 ?? tf.zeros(h0.shape)], steps, mask, attrs.goBackwards, (t, [h, c]) => {
      const z = tf.add(projected[t]!, tf.matMul(dropped(h!, drop), recurrentKernel));
      const [zi, zf, zc, zo] = gateBlocks(z, 4);
      const i = gate(zi!);
      const f = gate(zf!);
      const candidate = act(zc!);
      const o = gate(zo!);
      const cNext = tf.add(tf.mul(f, c!), tf.mul(i, candidate));
      return [tf.mul(o, act(cNext)), cNext];
    });
    return { hiddenStates: hiddenStates!, cellStates: cellStates! };
  }) as CellOutputs;
}

/**
 * BPTT. The gates are recomputed for all steps at once from the saved states (z = X·W + H_prev·U + b: two
 * matmuls), so only the chain through c and h is a loop:
 *   ĝh = m⊙(dh_t + carry_h),  ĝc = m⊙(dc_t + carry_c) + ĝh⊙o⊙act'(c̃_t)     (c̃_t: the unmasked new cell value)
 *   dz = [ĝc⊙c̃⊙σr'(i), ĝc⊙c_{t−1}⊙σr'(f), ĝc⊙i⊙act'(c̃), ĝh⊙act(c_t)⊙σr'(o)]
 *   carry_h = (dz·Uᵀ)⊙d + (1−m)⊙(dh_t + carry_h),  carry_c = ĝc⊙f + (1−m)⊙(dc_t + carry_c)
 * then dW = Xᵀ·dZ, dU = (H_prev⊙d)ᵀ·dZ, db = Σ dZ, dx = dZ·Wᵀ as single matmuls over all steps. The mask's
 * products are selects (common.ts backwardLoop): a skipped step passes its gradients back exactly.
 */
function backward(inputs: CellGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads {
  const { x, kernel, recurrentKernel, bias, h0, c0, mask, recurrentDropoutMask: drop, hiddenStates, cellStates, dh, dc } = inputs;
  const [batch, steps] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0]!;
  const gateSpec = activationOf(attrs.recurrentActivation);
  const actSpec = activationOf(attrs.activation);
  return tf.tidy(() => {
    const rows = inputRows(x, attrs.goBackwards, mask ?? undefined);
    const hPrev = previousStates(h0, hiddenStates);
    const cPrev = previousStates(c0 ?? tf.zeros(h0.shape), cellStates!);
    const hIn = droppedRows(hPrev, drop ?? undefined, steps);
    const z = tf.add(projectInputs(rows, kernel, bias ?? undefined), tf.matMul(hIn, recurrentKernel));
    const [zi, zf, zc, zo] = gateBlocks(z, 4);
    const i = gateSpec.tensor(zi!);
    const f = gateSpec.tensor(zf!);
    const candidate = actSpec.tensor(zc!);
    const o = gateSpec.tensor(zo!);
    const cNext = tf.add(tf.mul(f, cPrev), tf.mul(i, candidate));
    const actC = actSpec.tensor(cNext);
    // Per-step coefficients, batched: dz's four blocks are ĝc or ĝh times these.
    const split = (m: tf.Tensor) => perStep(m, steps, batch);
    const coefI = split(mulMaybe(candidate, gateSpec.slopeFromOutput(i)));
    const coefF = split(mulMaybe(cPrev, gateSpec.slopeFromOutput(f)));
    const coefC = split(mulMaybe(i, actSpec.slopeFromOutput(candidate)));
    const coefO = split(mulMaybe(actC, gateSpec.slopeFromOutput(o)));
    const hToC = split(mulMaybe(o, actSpec.slopeFromOutput(actC)));
    const forget = split(f);
    const upstream = [upstreamSteps(dh, hiddenStates), upstreamSteps(dc, hiddenStates)];
    const recurrentT = tf.transpose(recurrentKernel);

    const dz: tf.Tensor[] = new Array<tf.Tensor>(steps);
    const { initial, reaching } = backwardLoop(upstream, steps, mask, attrs.goBackwards, (t, [gh, gc]) => {
      const dcNew = tf.add(gc!, tf.mul(gh!, hToC[t]!));
      dz[t] = tf.concat([tf.mul(dcNew, coefI[t]!), tf.mul(dcNew, coefF[t]!), tf.mul(dcNew, coefC[t]!), tf.mul(gh!, coefO[t]!)], 1);
      return [dropped(tf.matMul(dz[t]!, recurrentT), drop), tf.mul(dcNew, forget[t]!)];
    });
    const dZ = tf.reshape(tf.stack(dz), [steps * batch, 4 * hidden]) as tf.Tensor2D;
    const grads: CellGrads = {
      dx: inputGradient(dZ, kernel, batch, steps, attrs.goBackwards),
      dKernel: matMulTransposeA(rows, dZ),
      dRecurrentKernel: matMulTransposeA(hIn, dZ),
      dBias: tf.sum(dZ, 0),
      dh0: initial[0]!,
      dc0: initial[1]!,
    };
    if (hiddenStateGrads) grads.dHiddenStates = sequenceOf(reaching);
    return grads as unknown as tf.TensorContainerObject;
  }) as unknown as CellGrads;
}

/** The LSTM cell: gates i, f, c, o; kernel [I, 4H], recurrentKernel [H, 4H], bias [4H]. */
export const lstmCell: CellSpec = {
  cell: 'lstm',
  gates: ['i', 'f', 'c', 'o'],
  hasCellState: true,
  weightShapes: (inputSize, units) => ({ kernel: [inputSize, 4 * units], recurrentKernel: [units, 4 * units], bias: [4 * units] }),
  forward,
  backward,
};
