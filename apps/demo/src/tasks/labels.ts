import type { LossName } from '@basicrnn/core';
import { CLASSIFICATION_LOSSES } from './rules.js';

/*
 * Plot labels and captions shared by the CLI, its HTML report and the web app, so the same view reads the same
 * everywhere.
 */

/**
 * The y label of the output panel: the Dense head is linear, so with a cross-entropy loss its outputs are logits
 * (the loss applies the sigmoid or softmax); with a regression loss they are the predicted values.
 */
export function outputLabel(loss: LossName): string {
  return CLASSIFICATION_LOSSES.includes(loss) ? 'logit' : 'output value';
}

/** The views every front end draws, with the file name the CLI writes, a heading and a one-sentence caption. */
export const VIEW_CAPTIONS = {
  'rnn-working': {
    heading: 'The RNN at work',
    caption: "The seed's plot for one example: the input sequence, the Dense head's output, and the final hidden state (the RNN's memory).",
  },
  'hidden-states': {
    heading: 'Hidden state over time',
    caption: 'Every unit of the hidden state at every step for the same example: what the RNN carries forward.',
  },
  'training-curves': {
    heading: 'Training curves',
    caption: 'Loss and metric per epoch: training solid, validation dashed.',
  },
  weights: {
    heading: 'Weights',
    caption: 'The input kernel W, the recurrent kernel U shared by every step, and the bias b, on one colour scale centred on 0.',
  },
  'gradient-flow': {
    heading: 'Gradient flow: the simple RNN’s limitation',
    caption:
      'The size of ∂loss/∂h(t) at every step for a SimpleRNN, an LSTM and a GRU trained the same way on the same data (log scale): the SimpleRNN’s shrinks step by step going back in time, so the early marked value cannot teach it; the gated cells carry it back.',
  },
  'cell-states': {
    heading: 'LSTM cell state over time',
    caption: 'The LSTM’s cell state c(t) for one test sequence: units that store a marked value hold a level until the end (dashed rules: the marked steps).',
  },
  'lstm-gates': {
    heading: 'LSTM gates over time',
    caption: 'Input, forget, candidate and output gates of every unit at every step for the same sequence: the input gate opens at the markers, the forget gate stays near 1 to keep what was written.',
  },
} as const;

/** A view the front ends draw. */
export type ViewName = keyof typeof VIEW_CAPTIONS;
