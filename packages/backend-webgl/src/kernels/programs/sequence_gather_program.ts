import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { PACKED_HELPERS, pendingGlsl, pendingNames } from './glsl.js';

/**
 * Where one input of a {@link SequenceGatherProgram} lands: its rows `first … first + (end - start) - 1` become
 * output rows `start … end - 1` (row = timestep of a [B, rows, H] tensor).
 */
export interface GatherPiece {
  start: number;
  end: number;
  first: number;
}

/** Input names of a {@link SequenceGatherProgram}. */
export function pieceNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `piece${i}`);
}

/**
 * Copies row ranges of several [B, ·, H] tensors into one [B, rows, H] tensor: the step chunks of a recurrence
 * into a longer chunk, or into the whole sequence. Each input is read once per output texel it covers, so a
 * gather costs one pass over what it writes, and never over what was gathered before: the reason the fused
 * recurrence stays linear in T (see {@link SequenceGather}).
 * A packed texel holds rows t, t+1 of one batch row; they may come from two pieces, and a piece may start at an
 * odd row, so each half is looked up on its own.
 */
export class SequenceGatherProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, rows: number, hidden: number, pieces: GatherPiece[]) {
    this.outputShape = [batch, rows, hidden];
    this.variableNames = pieceNames(pieces.length);
    const cases = pieces
      .map(({ start, end, first }, i) => {
        const name = `getPiece${i}`;
        return `if (r >= ${start} && r < ${end}) { int l = r - ${start - first}; return rowOf(${name}(b, l, n), imod(l, 2)); }`;
      })
      .join('\n        ');
    this.userCode = `
      ${PACKED_HELPERS}

      vec2 rowAt(int b, int r, int n) {
        ${cases}
        return vec2(0.0);
      }

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int t = rc.y;
        int n = rc.z;
        vec4 result = vec4(rowAt(b, t, n), rowAt(b, t + 1, n));
        if (n + 1 >= ${hidden}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}

/**
 * Stacks `count` per-step [B, W] tensors (packed: a texel holds batch rows b, b+1 of one step) into one
 * [B, count, W] chunk (a texel holds steps r, r+1 of one batch row): one texel read per value written. The step
 * programs write only their own [B, W] state; stacking separately, every `count` steps, costs a copy, where a
 * step program that also wrote the chunk ran its dot products for every texel of the chunk on SwiftShader.
 */
export class StepStackProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(batch: number, count: number, width: number) {
    this.outputShape = [batch, count, width];
    this.variableNames = pendingNames(count);
    this.userCode = `
      ${PACKED_HELPERS}
      ${pendingGlsl(count)}

      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int r = rc.y;
        int n = rc.z;
        int pairRow = imod(b, 2);
        vec2 row0 = rowOf(pendingTexel(r, b, n), pairRow);
        vec2 row1 = r + 1 < ${count} ? rowOf(pendingTexel(r + 1, b, n), pairRow) : vec2(0.0);
        vec4 result = vec4(row0, row1);
        if (n + 1 >= ${width}) { result.y = 0.0; result.w = 0.0; }
        setOutput(result);
      }
    `;
  }
}
