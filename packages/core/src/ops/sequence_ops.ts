import * as tf from '@tensorflow/tfjs-core';
import { gruCell } from '../cells/gru.js';
import { lstmCell } from '../cells/lstm.js';
import { simpleRnnCell } from '../cells/simple_rnn.js';
import type { CellAttrs, CellGradInputs, CellGrads, CellInputs, CellOutputs } from '../cells/common.js';
import { rnnSequenceGradConfig } from '../gradients/rnn_sequence_grad.js';
import {
  ACTIVATIONS,
  type Activation,
  type CellType,
  GruSequence,
  GruSequenceFinal,
  GruSequenceGrad,
  LstmSequence,
  LstmSequenceFinal,
  LstmSequenceGrad,
  RnnSequence,
  RnnSequenceGrad,
} from '../kernel_names.js';
import { rnnSequence } from './rnn_sequence.js';
import { rnnSequenceGrad } from './rnn_sequence_grad.js';
import { type SequenceOp, type SequenceOpGradInputs, type SequenceOpInputs, defineSequenceOp, finalStatesOfForward, withInitialState } from './sequence_op.js';

export { defineSequenceOp };

/** Whether SimpleRNN's existing op (and its fused kernels on every backend) can run this call. */
function simpleRnnOpRuns(inputs: Pick<CellInputs, 'recurrentDropoutMask'>, attrs: CellAttrs): attrs is CellAttrs & { activation: Activation } {
  return inputs.recurrentDropoutMask == null && (ACTIVATIONS as readonly string[]).includes(attrs.activation);
}

/**
 * SimpleRNN keeps its op, kernel names and inputs ({@link RnnSequence}: wasm and webgl register fused kernels
 * for them); this adapter puts it in the same registry. Activations the fused SimpleRNN kernels do not know and
 * recurrent dropout run the cell's composite.
 */
const simpleRnnOp: SequenceOp = {
  spec: simpleRnnCell,
  kernelName: RnnSequence,
  gradKernelName: RnnSequenceGrad,
  forward(inputs: SequenceOpInputs, attrs: CellAttrs): CellOutputs {
    if (!simpleRnnOpRuns(inputs, attrs)) {
      const filled = withInitialState(inputs);
      try {
        return simpleRnnCell.forward(filled, attrs);
      } finally {
        if (filled.h0 !== inputs.h0) filled.h0.dispose();
      }
    }
    // rnnSequence takes an absent h0 (zeros) itself.
    const { x, kernel, recurrentKernel, bias, h0, mask } = inputs;
    const hiddenStates = rnnSequence(
      { x, kernel, recurrentKernel, ...(h0 == null ? {} : { h0 }), ...(bias == null ? {} : { bias }), ...(mask == null ? {} : { mask }) },
      { activation: attrs.activation, goBackwards: attrs.goBackwards },
    );
    return { hiddenStates };
  },
  backward(given: SequenceOpGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads {
    const inputs = withInitialState(given);
    try {
      return simpleRnnBackward(inputs, attrs, hiddenStateGrads);
    } finally {
      if (inputs.h0 !== given.h0) inputs.h0.dispose();
    }
  },
  finalStates(inputs: SequenceOpInputs, attrs: CellAttrs): tf.Tensor2D[] {
    return finalStatesOfForward(simpleRnnOp, inputs, attrs);
  },
  gradConfig: rnnSequenceGradConfig,
};

/** SimpleRNN's backward with `h0` given: its op's backward when it ran the forward, else the cell's composite. */
function simpleRnnBackward(inputs: CellGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads {
  if (hiddenStateGrads || !simpleRnnOpRuns(inputs, attrs)) return simpleRnnCell.backward(inputs, attrs, hiddenStateGrads);
  const { x, kernel, recurrentKernel, h0, mask, hiddenStates, dh } = inputs;
  return rnnSequenceGrad(
    { x, kernel, recurrentKernel, h0, hiddenStates, dy: dh ?? tf.zerosLike(hiddenStates), ...(mask == null ? {} : { mask }) },
    { activation: attrs.activation, goBackwards: attrs.goBackwards },
  );
}

/** The sequence op of every cell, by cell name. */
export const SEQUENCE_OPS: Readonly<Record<CellType, SequenceOp>> = {
  simpleRNN: simpleRnnOp,
  lstm: defineSequenceOp(lstmCell, LstmSequence, LstmSequenceGrad, LstmSequenceFinal),
  gru: defineSequenceOp(gruCell, GruSequence, GruSequenceGrad, GruSequenceFinal),
};
