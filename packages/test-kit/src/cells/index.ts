export { cellParityTests, CELL_WORST, tensorsFor } from './suite.js';
export type { CellParityContext } from './suite.js';
export { CELL_CASES, cellCaseInputs } from './cases.js';
export type { CellCase } from './cases.js';
export { CELL_TOLERANCES, cellToleranceFor } from './tolerances.js';
export type { CellTolerance } from './tolerances.js';
export { cellReferenceBackward, cellReferenceForward, refActivate, refDerivative, gateCount, biasLength } from './reference.js';
export type { CellRefConfig, CellRefInputs, CellRefForward, CellRefGrads, RefActivation, RefCell } from './reference.js';
