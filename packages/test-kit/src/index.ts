export { parityTests, FORWARD_CASES, GRADIENT_CASES, ORACLE_CASES, modelFor, inputsFor } from './parity.js';
export type { ParityContext, CaseInputs } from './parity.js';
export { refConfig, type ParityCase } from './cases.js';
export { referenceForward, referenceBackward } from './reference.js';
export type { RefConfig, RefWeights, RefInputs, RefForward, RefGrads } from './reference.js';
export { TOLERANCES, GRADIENT_FACTOR, toleranceFor, compareArrays } from './tolerances.js';
export type { Tolerance } from './tolerances.js';
export { layersModel } from './oracle.js';
export { uniform, randomMask } from './data.js';
