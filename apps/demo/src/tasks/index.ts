export type { TaskData } from './random.js';
export { sineData, type SineOptions } from './sine.js';
export { addingData, type AddingOptions } from './adding.js';
export { trainOnAdding, ADDING_TEST_SEED, type AddingRun, type AddingRunOptions } from './adding_run.js';
export { hiddenStateGradientsOf, gatesOf } from './gradient_flow.js';
export { forecastData, type ForecastOptions } from './forecast.js';
export { markerData, runningSignData, type MarkerOptions } from './marker.js';
export {
  sentimentData,
  sentimentModel,
  encodeIds,
  SENTIMENT_EMBEDDING_SIZE,
  type SentimentModelOptions,
  generateReviews,
  encode,
  tokenize, VOCABULARY, PAD, UNKNOWN, type Review } from './sentiment.js';
export { TASK_SPECS, ALL_TASKS, taskSpec, type AnyTaskName, type TaskSpec } from './registry.js';

/**
 * Tasks the web app offers (every task in the registry but `forecast`, which it has no hint text for yet). The CLI
 * offers {@link ALL_TASKS}.
 */
export const TASKS = ['sine', 'marker', 'sentiment'] as const;
export type TaskName = (typeof TASKS)[number];
export { taskArrays, labelTensor, type TaskDataOptions } from './arrays.js';
export {
  REGRESSION_LOSSES,
  CLASSIFICATION_LOSSES,
  isCategorical,
  effectiveInputSize,
  taskDefaults,
  trainingProblem,
  type TaskSettings,
  type SettingLabel,
} from './rules.js';
export { outputLabel, VIEW_CAPTIONS, type ViewName } from './labels.js';
