// The layers run every cell through core's one recurrence seam (ops/recurrence.ts): fused kernels where the
// backend has them, the composite elsewhere, one gradient per cell.
import type { CellType } from '../kernel_names.js';

export { recurrence } from '../ops/recurrence.js';
export { CELL_TYPES, type CellType } from '../kernel_names.js';
export { RECURRENT_ACTIVATIONS, type RecurrentActivationName } from '../activations.js';

/** Number of gate blocks of a cell's kernels (SimpleRNN 1, LSTM 4, GRU 3). */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}
