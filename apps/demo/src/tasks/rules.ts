import type { LossName } from '@basicrnn/core';
import { ALL_TASKS, TASK_SPECS, type AnyTaskName } from './registry.js';

/*
 * Which settings fit which task, shared by the CLI and the web app so both refuse the same combinations. The
 * facts live in the task registry (registry.ts); these functions only read them.
 */

export const REGRESSION_LOSSES: readonly LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'huber'];
export const CLASSIFICATION_LOSSES: readonly LossName[] = ['binaryCrossentropy', 'sparseCategoricalCrossentropy', 'categoricalCrossentropy'];

/** Whether the loss takes two class scores (and so an output size of 2). */
export function isCategorical(loss: LossName): boolean {
  return loss === 'sparseCategoricalCrossentropy' || loss === 'categoricalCrossentropy';
}

/** The input size the task dictates (sine: 1, sentiment: the vocabulary size), or the chosen one where it is free. */
export function effectiveInputSize(task: AnyTaskName, inputSize: number): number {
  const spec = TASK_SPECS[task].inputSize;
  return 'fixed' in spec ? spec.fixed : inputSize;
}

/** The task's usual sequence length and loss. */
export function taskDefaults(task: AnyTaskName): { seqLength: number; loss: LossName } {
  return { ...TASK_SPECS[task].defaults };
}

/** The settings the rules look at. */
export interface TaskSettings {
  task: AnyTaskName;
  loss: LossName;
  outputSize: number;
  returnSequences: boolean;
}

/** How a front end names a setting with its value in a message ("--loss huber", "Output size 3"). */
export type SettingLabel = (setting: 'returnSequences' | 'loss' | 'outputSize', s: TaskSettings) => string;

/** Tasks with a label at every step ("forecast and sine"). */
function perStepTasks(): string {
  const names = ALL_TASKS.filter((t) => TASK_SPECS[t].perStepLabels);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * Why the settings cannot train on their task, or null when they can: a loss of the task's kind (regression or
 * classification), an output size that fits the loss and the task, and `returnSequences` only where there is a
 * label per step.
 */
export function trainingProblem(s: TaskSettings, label: SettingLabel): string | null {
  const spec = TASK_SPECS[s.task];
  if (s.returnSequences && !spec.perStepLabels) {
    return `${label('returnSequences', s)} does not fit the ${s.task} task: it has one label per sequence (${perStepTasks()} have a label at every step)`;
  }
  if (spec.kind === 'regression' && !REGRESSION_LOSSES.includes(s.loss)) {
    return `${label('loss', s)} does not fit the ${s.task} task (a regression): use ${REGRESSION_LOSSES.join(', ')}`;
  }
  if (spec.kind === 'classification' && !CLASSIFICATION_LOSSES.includes(s.loss)) {
    return `${label('loss', s)} does not fit the ${s.task} task (a classification): use ${CLASSIFICATION_LOSSES.join(', ')}`;
  }
  if (spec.outputs === 'classes') {
    const want = isCategorical(s.loss) ? 2 : 1;
    if (s.outputSize !== want) {
      return isCategorical(s.loss)
        ? `${label('outputSize', s)} does not fit ${s.loss}: the ${s.task} task has 2 classes, so use 2`
        : `${label('outputSize', s)} does not fit ${s.loss} on ${s.task}: one logit for 2 classes, so use 1`;
    }
  } else if (spec.outputs === 'one' && s.outputSize !== 1) {
    return `${label('outputSize', s)} does not fit ${s.loss} on ${s.task}: it predicts one value, so use 1 (the forecast task predicts k values)`;
  }
  return null;
}
