export type { TaskData } from './random.js';
export { sineData, type SineOptions } from './sine.js';
export { markerData, runningSignData, type MarkerOptions } from './marker.js';
export { sentimentData, generateReviews, encode, tokenize, VOCABULARY, PAD, UNKNOWN, type Review } from './sentiment.js';

/** Task names the CLI and the web app offer. */
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
