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
  columns,
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
 * GRU, Keras semantics and layout (keras/src/layers/rnn/gru.py GRUCell.call, both implementations; tfjs-layers
 * src/layers/recurrent.ts GRUCell.call for resetAfter = false): gates in weight-column order z, r, h;
 * d is the recurrent-dropout mask (ones when absent), applied where h_{t−1} meets U, never to the carried h: Keras 3's
 * GRUCell does so in implementation 1 (h_tm1_z/r/h = h_tm1 * rec_dp_mask, then h = z * h_tm1 + …); its default
 * implementation 2 applies no recurrent dropout at all, a Keras quirk we do not copy.
 *   resetAfter = false, bias [3H]:
 *     z = σr(x·W_z + (h⊙d)·U_z + b_z), r = σr(x·W_r + (h⊙d)·U_r + b_r)
 *     ĥ = act(x·W_h + (r⊙h⊙d)·U_h + b_h)
 *   resetAfter = true, bias [2, 3H] (row 0 input bias b, row 1 recurrent bias b'), the cuDNN/PyTorch form:
 *     z = σr(x·W_z + b_z + (h⊙d)·U_z + b'_z), r likewise
 *     ĥ = act(x·W_h + b_h + r⊙((h⊙d)·U_h + b'_h))
 *   h_t = z⊙h_{t−1} + (1 − z)⊙ĥ
 */

/** The input and recurrent bias rows (resetAfter) or the one input bias. */
function biasParts(bias: tf.Tensor | undefined, resetAfter: boolean): { input?: tf.Tensor; recurrent?: tf.Tensor } {
  if (bias === undefined) return {};
  if (!resetAfter) return { input: bias };
  const [input, recurrent] = tf.unstack(bias);
  return { input: input!, recurrent: recurrent! };
}

function forward(inputs: CellInputs, attrs: CellAttrs): CellOutputs {
  const { x, recurrentKernel, bias, h0, mask, recurrentDropoutMask: drop } = inputs;
  const steps = x.shape[1]!;
  const hidden = recurrentKernel.shape[0]!;
  const gate = activationOf(attrs.recurrentActivation).tensor;
  const act = activationOf(attrs.activation).tensor;
  return tf.tidy(() => {
    const { input: inputBias, recurrent: recurrentBias } = biasParts(bias ?? undefined, attrs.resetAfter);
    const projected = projectedSteps(inputs, attrs.goBackwards, inputBias);
    const recurrentZr = attrs.resetAfter ? null : columns(recurrentKernel, 0, 2 * hidden);
    const recurrentH = attrs.resetAfter ? null : columns(recurrentKernel, 2 * hidden, hidden);
    const [hiddenStates] = forwardLoop([h0], steps, mask, attrs.goBackwards, (t, [h]) => {
      const hIn = dropped(h!, drop);
      const [pz, pr, ph] = gateBlocks(projected[t]!, 3);
      let candidate: tf.Tensor;
      let z: tf.Tensor;
      if (attrs.resetAfter) {
        let inner: tf.Tensor = tf.matMul(hIn, recurrentKernel);
        if (recurrentBias !== undefined) inner = tf.add(inner, recurrentBias);
        const [iz, ir, ih] = gateBlocks(inner, 3);
        z = gate(tf.add(pz!, iz!));
        const r = gate(tf.add(pr!, ir!));
        candidate = act(tf.add(ph!, tf.mul(r, ih!)));
      } else {
        const [iz, ir] = gateBlocks(tf.matMul(hIn, recurrentZr!), 2);
        z = gate(tf.add(pz!, iz!));
        const r = gate(tf.add(pr!, ir!));
        candidate = act(tf.add(ph!, tf.matMul(tf.mul(r, hIn), recurrentH!)));
      }
      // z⊙h + (1 − z)⊙ĥ = ĥ + z⊙(h − ĥ)
      return [tf.add(candidate, tf.mul(z, tf.sub(h!, candidate)))];
    });
    return { hiddenStates: hiddenStates! };
  }) as CellOutputs;
}

/**
 * BPTT. z, r and ĥ are recomputed for all steps at once from the saved states; the loop carries only ∂/∂h:
 *   ĝ = m⊙(dh_t + carry),  dz = ĝ⊙(h_{t−1} − ĥ)⊙σr'(z),  dâ = ĝ⊙(1 − z)⊙act'(ĥ)
 *   resetAfter:  dr = dâ⊙(h_{t−1}⊙d·U_h + b'_h)⊙σr'(r); the recurrent product's gradient is [dz, dr, dâ⊙r]
 *   otherwise:   d(r⊙h⊙d) = dâ·U_hᵀ, dr = d(r⊙h⊙d)⊙(h⊙d)⊙σr'(r)
 *   carry = ĝ⊙z + (∂/∂(h⊙d))⊙d + (1 − m)⊙(dh_t + carry)
 * The input projection's gradient is [dz, dr, dâ] for every step: dW, db and dx are single matmuls/sums. The
 * mask's products are selects (common.ts backwardLoop): a skipped step passes its gradient back exactly.
 */
function backward(inputs: CellGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads {
  const { x, kernel, recurrentKernel, bias, h0, mask, recurrentDropoutMask: drop, hiddenStates, dh } = inputs;
  const [batch, steps] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0]!;
  const gateSpec = activationOf(attrs.recurrentActivation);
  const actSpec = activationOf(attrs.activation);
  const { resetAfter } = attrs;
  return tf.tidy(() => {
    const { input: inputBias, recurrent: recurrentBias } = biasParts(bias ?? undefined, resetAfter);
    const rows = inputRows(x, attrs.goBackwards, mask ?? undefined);
    const hPrev = previousStates(h0, hiddenStates);
    const hIn = droppedRows(hPrev, drop ?? undefined, steps);
    const projected = projectInputs(rows, kernel, inputBias);
    const split = (m: tf.Tensor) => perStep(m, steps, batch);

    const [pz, pr, ph] = gateBlocks(projected, 3);
    let zPre: tf.Tensor;
    let rPre: tf.Tensor;
    let inner: tf.Tensor | null = null; // resetAfter: h·U_h + b'_h per step
    if (resetAfter) {
      let all: tf.Tensor = tf.matMul(hIn, recurrentKernel);
      if (recurrentBias !== undefined) all = tf.add(all, recurrentBias);
      const [iz, ir, ih] = gateBlocks(all, 3);
      zPre = tf.add(pz!, iz!);
      rPre = tf.add(pr!, ir!);
      inner = ih!;
    } else {
      const [iz, ir] = gateBlocks(tf.matMul(hIn, columns(recurrentKernel, 0, 2 * hidden)), 2);
      zPre = tf.add(pz!, iz!);
      rPre = tf.add(pr!, ir!);
    }
    const z = gateSpec.tensor(zPre);
    const r = gateSpec.tensor(rPre);
    const resetH = resetAfter ? null : tf.mul(r, hIn);
    const candidate = actSpec.tensor(tf.add(ph!, resetAfter ? tf.mul(r, inner!) : tf.matMul(resetH!, columns(recurrentKernel, 2 * hidden, hidden))));
    const coefZ = split(mulMaybe(tf.sub(hPrev, candidate), gateSpec.slopeFromOutput(z)));
    const coefA = split(mulMaybe(tf.sub(1, z), actSpec.slopeFromOutput(candidate)));
    const slopeR = gateSpec.slopeFromOutput(r);
    const coefR = split(mulMaybe(resetAfter ? inner! : hIn, slopeR));
    const zSteps = split(z);
    const rSteps = split(r);
    const recurrentT = tf.transpose(recurrentKernel);
    const recurrentZrT = resetAfter ? null : tf.transpose(columns(recurrentKernel, 0, 2 * hidden));
    const recurrentHT = resetAfter ? null : tf.transpose(columns(recurrentKernel, 2 * hidden, hidden));

    const dProj: tf.Tensor[] = new Array<tf.Tensor>(steps);
    const dInner: tf.Tensor[] = new Array<tf.Tensor>(steps);
    const dCandidate: tf.Tensor[] = new Array<tf.Tensor>(steps); // resetAfter false: dâ, kept apart from [dz, dr]
    const { initial, reaching } = backwardLoop([upstreamSteps(dh, hiddenStates)], steps, mask, attrs.goBackwards, (t, [entering]) => {
      const gNew = entering!; // ĝ
      const dz = tf.mul(gNew, coefZ[t]!);
      const da = tf.mul(gNew, coefA[t]!);
      let dhIn: tf.Tensor;
      if (resetAfter) {
        const dr = tf.mul(da, coefR[t]!);
        dProj[t] = tf.concat([dz, dr, da], 1);
        const dRec = tf.concat([dz, dr, tf.mul(da, rSteps[t]!)], 1);
        dInner[t] = dRec;
        dhIn = tf.matMul(dRec, recurrentT);
      } else {
        const dResetH = tf.matMul(da, recurrentHT!);
        const dr = tf.mul(dResetH, coefR[t]!);
        const dzr = tf.concat([dz, dr], 1);
        dProj[t] = dzr;
        dCandidate[t] = da;
        dhIn = tf.add(tf.matMul(dzr, recurrentZrT!), tf.mul(dResetH, rSteps[t]!));
      }
      return [tf.add(tf.mul(gNew, zSteps[t]!), dropped(dhIn, drop))];
    });
    const rowsOf = (parts: tf.Tensor[]) => tf.reshape(tf.stack(parts), [steps * batch, parts[0]!.shape[1]!]) as tf.Tensor2D;
    let dP: tf.Tensor2D;
    let dRecurrentKernel: tf.Tensor2D;
    let dBias: tf.Tensor;
    if (resetAfter) {
      dP = rowsOf(dProj);
      const dI = rowsOf(dInner);
      dRecurrentKernel = matMulTransposeA(hIn, dI);
      dBias = tf.stack([tf.sum(dP, 0), tf.sum(dI, 0)]);
    } else {
      const dZr = rowsOf(dProj);
      const dA = rowsOf(dCandidate);
      dP = tf.concat([dZr, dA], 1);
      dRecurrentKernel = tf.concat([matMulTransposeA(hIn, dZr), matMulTransposeA(resetH!, dA)], 1) as tf.Tensor2D;
      dBias = tf.sum(dP, 0);
    }
    const grads: CellGrads = {
      dx: inputGradient(dP, kernel, batch, steps, attrs.goBackwards),
      dKernel: matMulTransposeA(rows, dP),
      dRecurrentKernel,
      dBias,
      dh0: initial[0]!,
    };
    if (hiddenStateGrads) grads.dHiddenStates = sequenceOf(reaching);
    return grads as unknown as tf.TensorContainerObject;
  }) as unknown as CellGrads;
}

/** The GRU cell: gates z, r, h; kernel [I, 3H], recurrentKernel [H, 3H], bias [3H] or [2, 3H] with resetAfter. */
export const gruCell: CellSpec = {
  cell: 'gru',
  gates: ['z', 'r', 'h'],
  hasCellState: false,
  weightShapes: (inputSize, units, resetAfter) => ({
    kernel: [inputSize, 3 * units],
    recurrentKernel: [units, 3 * units],
    bias: resetAfter ? [2, 3 * units] : [3 * units],
  }),
  forward,
  backward,
};
