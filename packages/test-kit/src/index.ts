// The parity suite and its references. Nothing here loads @tensorflow/tfjs: the tfjs-layers oracle is the
// separate entry `@basicrnn/test-kit/oracle`, for test files of its own (it registers tfjs's gradients).
export { parityTests, makeCheck, FORWARD_CASES, GRADIENT_CASES, modelFor, inputsFor } from './parity.js';
export type { ParityContext, CaseInputs } from './parity.js';
export { refConfig, type ParityCase } from './cases.js';
export { referenceForward, referenceBackward } from './reference.js';
export type { RefConfig, RefWeights, RefInputs, RefForward, RefGrads } from './reference.js';
export { referenceLoss, headOutput, type RefLoss } from './loss_reference.js';
export { expectCoreGradientsActive } from './gradient_checks.js';
export { TOLERANCES, QUANTITIES, GRADIENT_FACTOR, ToleranceUse, toleranceFor, compareArrays } from './tolerances.js';
export type { CellTolerances, Comparison, Quantity, Tolerance } from './tolerances.js';
export type { Check } from './training_parity.js';
export { FAST, MEASURE } from './run_flags.js';
export { uniform, randomMask } from './data.js';
export { layersParityTests, LAYERS_CASES, modelReference } from './layers_parity.js';
export type { LayersCase, LayersParityContext } from './layers_parity.js';
export { ADAM_TEST_ATTRS, tfjsAdamStep, trainWithAndWithoutAdamKernel } from './adam_checks.js';
export { expectFinalStatesLikeSequences } from './final_states_checks.js';
