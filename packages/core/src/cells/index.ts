import type { CellType } from '../kernel_names.js';
import type { CellSpec } from './common.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { simpleRnnCell } from './simple_rnn.js';

export type { CellAttrs, CellGradInputs, CellGrads, CellInputs, CellOutputs, CellSpec, CellWeightShapes } from './common.js';
export { gruCell, lstmCell, simpleRnnCell };

/** Every cell's spec by name. */
export const CELLS: Readonly<Record<CellType, CellSpec>> = { simpleRNN: simpleRnnCell, lstm: lstmCell, gru: gruCell };
