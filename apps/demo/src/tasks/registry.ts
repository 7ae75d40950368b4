import type { LossName } from '@basicrnn/core';
import { addingData } from './adding.js';
import { forecastData } from './forecast.js';
import { markerData } from './marker.js';
import type { TaskData } from './random.js';
import { VOCABULARY, sentimentData } from './sentiment.js';
import { sineData } from './sine.js';

/** What selects a task's data. */
export interface TaskDataOptions {
  task: AnyTaskName;
  samples: number;
  seqLength: number;
  /** Features per step where the task lets you choose (forecast, marker); others dictate theirs. */
  inputSize: number;
  seed: number;
  /** A label per step (tasks with `perStepLabels`). */
  returnSequences: boolean;
  /** Values predicted per label where the task lets you choose (forecast: the horizon). Default 1. */
  outputSize?: number;
}

/**
 * One task as the CLI and the web app offer it. Adding a task is one entry in {@link TASK_SPECS}: its data, what
 * its sizes mean, and which losses and output sizes fit.
 */
export interface TaskSpec {
  /** One line: what is learnt. */
  readonly title: string;
  /** Regression tasks take MSE/MAE/Huber; classification tasks take the cross-entropies (2 classes). */
  readonly kind: 'regression' | 'classification';
  /** Input features per step: fixed by the task, or chosen (with a default). */
  readonly inputSize: { readonly fixed: number; readonly why: string } | { readonly default: number; readonly meaning: string };
  /** Output size: one value, any horizon k, or the class scores the loss wants (1 logit or 2). */
  readonly outputs: 'one' | 'horizon' | 'classes';
  /** Usual sequence length and loss. */
  readonly defaults: { readonly seqLength: number; readonly loss: LossName };
  /** Whether there is a label at every step, so `returnSequences` fits. */
  readonly perStepLabels: boolean;
  /** The task's arrays for these options. */
  data(o: TaskDataOptions): TaskData;
}

/** Every task, keyed by the name `--task` takes. */
export const TASK_SPECS = {
  forecast: {
    title: 'k-step forecast of one series from several related ones (leading indicators)',
    kind: 'regression',
    inputSize: { default: 10, meaning: 'related series observed per step; series i leads the forecast one by i steps' },
    outputs: 'horizon',
    defaults: { seqLength: 20, loss: 'meanSquaredError' },
    perStepLabels: true,
    data: (o) => forecastData({ samples: o.samples, seqLength: o.seqLength, inputSize: o.inputSize, horizon: o.outputSize ?? 1, seed: o.seed, perStep: o.returnSequences }),
  },
  sine: {
    title: 'next-value forecasting of a noisy sine wave',
    kind: 'regression',
    inputSize: { fixed: 1, why: 'the sine series has 1 feature per step' },
    outputs: 'one',
    defaults: { seqLength: 20, loss: 'meanSquaredError' },
    perStepLabels: true,
    data: (o) => sineSequences(o),
  },
  marker: {
    title: 'which marker (+2 or −2 on feature 0) appeared in the first half: memory across time',
    kind: 'classification',
    inputSize: { default: 10, meaning: 'features per step: the marker on feature 0, noise on the others' },
    outputs: 'classes',
    defaults: { seqLength: 20, loss: 'binaryCrossentropy' },
    perStepLabels: false,
    data: (o) => markerData({ samples: o.samples, seqLength: o.seqLength, inputSize: o.inputSize, seed: o.seed }),
  },
  sentiment: {
    title: 'sentiment of short reviews (word ids into an embedding, negations included)',
    kind: 'classification',
    inputSize: { fixed: VOCABULARY.length, why: `sentiment inputs are word ids of a ${VOCABULARY.length}-word vocabulary (the CLI and the web app embed them)` },
    outputs: 'classes',
    defaults: { seqLength: 8, loss: 'binaryCrossentropy' },
    perStepLabels: false,
    data: (o) => sentimentData({ samples: o.samples, seqLength: o.seqLength, seed: o.seed }),
  },
  adding: {
    title: 'the adding problem: sum the two marked values of a long sequence (a long dependency; try --cell lstm)',
    kind: 'regression',
    inputSize: { fixed: 2, why: 'each step of the adding problem has 2 features: a value in [0, 1] and its marker' },
    outputs: 'one',
    defaults: { seqLength: 100, loss: 'meanSquaredError' },
    perStepLabels: false,
    data: (o) => addingData({ samples: o.samples, seqLength: o.seqLength, seed: o.seed }),
  },
} as const satisfies Record<string, TaskSpec>;

/** Every task name, the CLI's `--task` choices. */
export type AnyTaskName = keyof typeof TASK_SPECS;
export const ALL_TASKS = Object.keys(TASK_SPECS) as AnyTaskName[];

/** The spec of a task. */
export function taskSpec(task: AnyTaskName): TaskSpec {
  return TASK_SPECS[task];
}

/** sine windows; with `returnSequences` the label of step t is the input of step t + 1. */
function sineSequences(o: TaskDataOptions): TaskData {
  const d = sineData({ samples: o.samples, seqLength: o.seqLength, seed: o.seed });
  if (!o.returnSequences) return d;
  const y = new Float32Array(o.samples * o.seqLength);
  for (let n = 0; n < o.samples; n++) {
    for (let t = 0; t < o.seqLength; t++) {
      y[n * o.seqLength + t] = t + 1 < o.seqLength ? d.x[n * o.seqLength + t + 1]! : d.y[n]!;
    }
  }
  return { ...d, y, returnSequences: true };
}
