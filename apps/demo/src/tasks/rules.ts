import type { LossName } from '@basicrnn/core';
import { VOCABULARY } from './sentiment.js';
import type { TaskName } from './index.js';

/*
 * Which settings fit which task, shared by the CLI and the web app so both refuse the same combinations.
 */

export const REGRESSION_LOSSES: readonly LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'huber'];
export const CLASSIFICATION_LOSSES: readonly LossName[] = ['binaryCrossentropy', 'sparseCategoricalCrossentropy', 'categoricalCrossentropy'];

/** Whether the loss takes two class scores (and so an output size of 2). */
export function isCategorical(loss: LossName): boolean {
  return loss === 'sparseCategoricalCrossentropy' || loss === 'categoricalCrossentropy';
}

/** The input size the task dictates (sine: 1, sentiment: one-hot words), or the chosen one for marker. */
export function effectiveInputSize(task: TaskName, inputSize: number): number {
  if (task === 'sine') return 1;
  if (task === 'sentiment') return VOCABULARY.length;
  return inputSize;
}

/** The task's usual sequence length and loss. */
export function taskDefaults(task: TaskName): { seqLength: number; loss: LossName } {
  return { seqLength: task === 'sentiment' ? 8 : 20, loss: task === 'sine' ? 'meanSquaredError' : 'binaryCrossentropy' };
}

/** The settings the rules look at. */
export interface TaskSettings {
  task: TaskName;
  loss: LossName;
  outputSize: number;
  returnSequences: boolean;
}

/** How a front end names a setting with its value in a message ("--loss huber", "Output size 3"). */
export type SettingLabel = (setting: 'returnSequences' | 'loss' | 'outputSize', s: TaskSettings) => string;

/**
 * Why the settings cannot train on their task, or null when they can: a regression loss for sine, a
 * classification loss otherwise, an output size that fits the loss, and `returnSequences` only where there is a
 * label per step (sine).
 */
export function trainingProblem(s: TaskSettings, label: SettingLabel): string | null {
  if (s.returnSequences && s.task !== 'sine') {
    return `${label('returnSequences', s)} does not fit the ${s.task} task: it has one label per sequence (sine forecasts at every step)`;
  }
  if (s.task === 'sine' && !REGRESSION_LOSSES.includes(s.loss)) {
    return `${label('loss', s)} does not fit the sine task (a regression): use ${REGRESSION_LOSSES.join(', ')}`;
  }
  if (s.task !== 'sine' && !CLASSIFICATION_LOSSES.includes(s.loss)) {
    return `${label('loss', s)} does not fit the ${s.task} task (a classification): use ${CLASSIFICATION_LOSSES.join(', ')}`;
  }
  const want = isCategorical(s.loss) ? 2 : 1;
  if (s.outputSize !== want) {
    return isCategorical(s.loss)
      ? `${label('outputSize', s)} does not fit ${s.loss}: the ${s.task} task has 2 classes, so use 2`
      : `${label('outputSize', s)} does not fit ${s.loss} on ${s.task}: it predicts one value, so use 1`;
  }
  return null;
}
