/**
 * `@basicrnn/viz`: see a recurrent network work. Each view exists as a `render…` function that returns a standalone
 * SVG element (any DOM, including a linkedom document in Node), and as a `plot…` function that mounts it into the
 * page behind a handle with `update` and `dispose`. For SVG strings and PNG files in Node, import
 * `@basicrnn/viz/node`.
 */
export {
  VizError,
  VizShapeError,
  VizValueError,
  VizEnvironmentError,
  VizDisposedError,
} from './errors.js';
/** Accepted data: tfjs tensors (duck-typed), `{ shape, data }`, nested and typed arrays. */
export type { ArrayInput, NestedArray, ShapedArray, TensorLike } from './data.js';
/** Options shared by the views. */
export type { DivergingOptions, ViewOptions } from './views/common.js';
export { FONT_FAMILY, FONT_STACK, SERIES_COLORS, type DivergingScheme } from './theme.js';
/** Where the browser loads the shipped font from. */
export type { FontSource } from './font.js';
export { renderRnnWorking, type RnnWorkingData, type RnnWorkingOptions } from './views/rnn-working.js';
export { renderHiddenStates, type HiddenStatesData, type HiddenStatesOptions } from './views/hidden-states.js';
export { renderWeights, type WeightsData, type WeightsOptions } from './views/weights.js';
export {
  renderTrainingCurves,
  trainingCurvesCallback,
  type TrainingCurvesCallback,
  type TrainingCurvesOptions,
  type TrainingCurvesSink,
  type TrainingHistory,
} from './views/training-curves.js';
export {
  renderBackendChart,
  type BackendChartOptions,
  type BackendResult,
} from './views/backend-chart.js';
export {
  renderGradientFlow,
  gradientNorms,
  type GradientFlowData,
  type GradientFlowOptions,
  type GradientNorms,
} from './views/gradient-flow.js';
export { renderCellStates, type CellStatesData, type CellStatesOptions } from './views/cell-states.js';
export { renderLstmGates, type LstmGatesData, type LstmGatesOptions } from './views/lstm-gates.js';
export {
  plotBackendChart,
  plotGradientFlow,
  plotHiddenStates,
  plotRnnWorking,
  plotTrainingCurves,
  plotWeights,
  type MountOptions,
  type VizHandle,
} from './mount.js';
