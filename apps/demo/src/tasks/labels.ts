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
} as const;

/** A view the front ends draw. */
export type ViewName = keyof typeof VIEW_CAPTIONS;
