import { DEFAULT_LEARNING_RATES, LOSS_NAMES, OPTIMIZER_NAMES, type LossName, type OptimizerName } from '@basicrnn/core';
import {
  CLASSIFICATION_LOSSES,
  REGRESSION_LOSSES,
  TASKS,
  effectiveInputSize as taskInputSize,
  isCategorical,
  taskDefaults,
  trainingProblem as sharedTrainingProblem,
  type SettingLabel,
  type TaskName,
} from '../tasks/index.js';

/** The backends the web app offers. */
export const WEB_BACKENDS = ['cpu', 'wasm', 'webgl'] as const;
export type WebBackend = (typeof WEB_BACKENDS)[number];

/** wasm thread counts offered; 'auto' leaves the choice to tfjs (the logical cores the browser reports). */
export const THREAD_CHOICES = ['auto', 1, 2, 4, 8] as const;
export type ThreadChoice = (typeof THREAD_CHOICES)[number];

/** Everything the controls set. Persisted per tab, so a reload (for a new thread count) restores it. */
export interface Settings {
  task: TaskName;
  hiddenSize: number;
  outputSize: number;
  seqLength: number;
  /** Features per step; only the marker task lets the user choose (sine has 1, sentiment one per word). */
  inputSize: number;
  returnSequences: boolean;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate: number;
  epochs: number;
  batchSize: number;
  samples: number;
  seed: number;
  backend: WebBackend;
  threads: ThreadChoice;
  /** What the forward pass reads: random normal values as in the seed, or examples of the task. */
  exampleInput: 'random' | 'task';
  sentence: string;
}

/**
 * The seed's experiment: BasicRNN(64, 1) on a [32, 20, 10] input, trained on the marker task with Adam at Keras's
 * default learning rate (0.001, core's DEFAULT_LEARNING_RATES, the CLI's default too).
 */
export const DEFAULT_SETTINGS: Readonly<Settings> = {
  task: 'marker',
  hiddenSize: 64,
  outputSize: 1,
  seqLength: 20,
  inputSize: 10,
  returnSequences: false,
  loss: 'binaryCrossentropy',
  optimizer: 'adam',
  learningRate: DEFAULT_LEARNING_RATES.adam,
  epochs: 10,
  batchSize: 32,
  samples: 1000,
  seed: 7,
  backend: 'wasm',
  threads: 'auto',
  exampleInput: 'random',
  sentence: 'the movie was not good at all',
};

export { REGRESSION_LOSSES, CLASSIFICATION_LOSSES, isCategorical };

/** Bounds of the numeric controls: [min, max, integer]. Kept small enough for a browser tab. */
export const NUMBER_BOUNDS = {
  hiddenSize: [1, 512, true],
  outputSize: [1, 16, true],
  seqLength: [1, 200, true],
  inputSize: [1, 128, true],
  learningRate: [1e-6, 10, false],
  epochs: [1, 1000, true],
  batchSize: [1, 1024, true],
  samples: [10, 20000, true],
  seed: [-(2 ** 31), 2 ** 31 - 1, true],
} as const satisfies Record<string, readonly [number, number, boolean]>;
export type NumberSetting = keyof typeof NUMBER_BOUNDS;

/** Checks one numeric control; returns the value or a sentence saying what is expected. */
export function parseNumber(name: NumberSetting, text: string): { value: number } | { error: string } {
  const [min, max, integer] = NUMBER_BOUNDS[name];
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return { error: `expected a number, got ${JSON.stringify(text)}` };
  if (integer && !Number.isInteger(value)) return { error: `expected a whole number, got ${text}` };
  if (value < min || value > max) return { error: `expected ${min} to ${max}, got ${text}` };
  return { value };
}

/**
 * The input size the task dictates (sine: 1; sentiment: the vocabulary size, the embedding's inputDim, since its
 * model reads token ids), or the chosen one for marker.
 */
export function effectiveInputSize(s: Pick<Settings, 'task' | 'inputSize'>): number {
  return taskInputSize(s.task, s.inputSize);
}

/**
 * Why the settings cannot train on their task, or null when they can. The same rules as the CLI's
 * (`basicrnn --task …`): a regression loss for sine, a classification loss otherwise, an output size that fits
 * the loss, and `returnSequences` only where there is a label per step (sine).
 */
export function trainingProblem(s: Settings): string | null {
  const problem = sharedTrainingProblem(s, controlLabel);
  return problem === null ? null : `${problem}.`;
}

/** Names a control with its value, as the page labels it: "Output size 3". */
const controlLabel: SettingLabel = (setting, s) =>
  setting === 'returnSequences' ? 'Return sequences' : setting === 'loss' ? s.loss : `Output size ${s.outputSize}`;

/**
 * Settings adjusted to a newly chosen task: its usual sequence length, and a loss and output size that fit it
 * when the current ones do not. Returns what changed, to tell the user.
 */
export function adaptToTask(s: Settings, task: TaskName): { settings: Settings; changes: string[] } {
  const next: Settings = { ...s, task };
  const changes: string[] = [];
  const { seqLength, loss } = taskDefaults(task);
  if (next.seqLength !== seqLength) {
    next.seqLength = seqLength;
    changes.push(`sequence length ${seqLength}`);
  }
  const fits = task === 'sine' ? REGRESSION_LOSSES : CLASSIFICATION_LOSSES;
  if (!fits.includes(next.loss)) {
    next.loss = loss;
    changes.push(`loss ${next.loss}`);
  }
  const outputSize = isCategorical(next.loss) ? 2 : 1;
  if (next.outputSize !== outputSize) {
    next.outputSize = outputSize;
    changes.push(`output size ${outputSize}`);
  }
  if (task === 'sentiment' && next.exampleInput === 'random') {
    // Random word ids are no sentence: show the model real reviews (their token ids).
    next.exampleInput = 'task';
    changes.push('forward-pass input: examples of the task');
  }
  if (next.returnSequences && task !== 'sine') {
    next.returnSequences = false;
    changes.push('return sequences off');
  }
  return { settings: next, changes };
}

/**
 * Settings adjusted to a newly chosen optimizer: a learning rate still at the previous optimizer's Keras default
 * moves to the new one's (as the CLI, where an unset `--learning-rate` follows `--optimizer`); a rate the user
 * typed stays. Returns what changed, to tell the user.
 */
export function adaptToOptimizer(s: Settings, optimizer: OptimizerName): { settings: Settings; changes: string[] } {
  const next: Settings = { ...s, optimizer };
  const changes: string[] = [];
  if (s.learningRate === DEFAULT_LEARNING_RATES[s.optimizer] && next.learningRate !== DEFAULT_LEARNING_RATES[optimizer]) {
    next.learningRate = DEFAULT_LEARNING_RATES[optimizer];
    changes.push(`learning rate ${next.learningRate} (the Keras default for ${optimizer})`);
  }
  return { settings: next, changes };
}

/** Settings read back from storage: unknown or invalid fields fall back to the defaults, one by one. */
export function sanitizeSettings(raw: unknown): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS };
  if (raw === null || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  for (const name of Object.keys(NUMBER_BOUNDS) as NumberSetting[]) {
    const v = r[name];
    if (typeof v === 'number') {
      const parsed = parseNumber(name, String(v));
      if ('value' in parsed) out[name] = parsed.value;
    }
  }
  if (TASKS.includes(r.task as TaskName)) out.task = r.task as TaskName;
  if (LOSS_NAMES.includes(r.loss as LossName)) out.loss = r.loss as LossName;
  if (OPTIMIZER_NAMES.includes(r.optimizer as OptimizerName)) out.optimizer = r.optimizer as OptimizerName;
  if (WEB_BACKENDS.includes(r.backend as WebBackend)) out.backend = r.backend as WebBackend;
  if ((THREAD_CHOICES as readonly unknown[]).includes(r.threads)) out.threads = r.threads as ThreadChoice;
  if (typeof r.returnSequences === 'boolean') out.returnSequences = r.returnSequences;
  if (r.exampleInput === 'random' || r.exampleInput === 'task') out.exampleInput = r.exampleInput;
  if (typeof r.sentence === 'string') out.sentence = r.sentence.slice(0, 500);
  return out;
}

/**
 * The settings that define the model: the shapes of its weights, their seed, and the task it learns (so the
 * curves never mix two tasks). Changing one of them starts a new model.
 */
export function architectureKey(s: Settings): string {
  return JSON.stringify([s.task, s.hiddenSize, s.outputSize, s.seqLength, effectiveInputSize(s), s.returnSequences, s.seed]);
}
