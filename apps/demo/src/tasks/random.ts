import { SeededRandom } from '@basicrnn/core';

export { SeededRandom };

/** A dataset for one task: inputs [N, T, I], labels, and what the labels mean. */
export interface TaskData {
  /** [N, T, I] row-major */
  x: Float32Array;
  /** labels, row-major: [N, O] or [N, T, O] */
  y: Float32Array;
  shape: { samples: number; seqLength: number; inputSize: number; outputSize: number };
  returnSequences: boolean;
  /** Token ids [N, T] (0 = padding) for tasks whose model starts with an embedding (sentiment). */
  ids?: Int32Array;
}
