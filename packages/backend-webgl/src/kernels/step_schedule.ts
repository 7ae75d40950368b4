import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { SequenceGatherProgram, StepStackProgram } from './programs/sequence_gather_program.js';

/** Texture units one program may sample: WebGL2 guarantees 16, tfjs caps them at WEBGL_MAX_TEXTURES_IN_SHADER. */
function textureUnits(): number {
  return tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER');
}

/**
 * How many per-step tensors a flush program may gather, given how many other textures it samples.
 */
export function maxPendingSteps(otherInputs: number): number {
  return Math.max(1, textureUnits() - otherInputs);
}

/**
 * Program objects by variant for one kernel call: building a program's GLSL takes longer than running a small
 * one, and tfjs finds the compiled binary by the program's source, so reuse the object as well.
 */
export class ProgramCache<V extends object, P extends GPGPUProgram> {
  private readonly programs = new Map<string, P>();

  constructor(private readonly make: (variant: V) => P) {}

  get(variant: V): P {
    const key = JSON.stringify(variant);
    let program = this.programs.get(key);
    if (program === undefined) {
      program = this.make(variant);
      this.programs.set(key, program);
    }
    return program;
  }
}

/**
 * Rows `first … first + (end - start) - 1` of the [B, ·, H] tensor `info` hold timesteps `start … end - 1` of a
 * sequence. `owned`: whether the gather disposes it once copied (false for a kernel input such as dy).
 */
export interface SequencePiece {
  info: TensorInfo;
  start: number;
  end: number;
  first: number;
  owned: boolean;
}

/**
 * Collects the step chunks of a recurrence into one [B, T, H] tensor at a cost linear in T.
 *
 * Chunks arrive one after another (ascending time forward, descending backward), each covering the steps next
 * to the previous one. Gathering them all at the end would need more inputs than a program may sample, and
 * re-gathering everything at every flush grows as T². Instead chunks are merged in levels, like the digits of
 * a counter in base `fanIn`: when a level holds `fanIn` pieces they become one piece of the next level. Every
 * timestep is copied once per level, and the levels grow as log_fanIn(T / chunk) (2 up to T ≈ 2,500 with
 * 12-step chunks and 16 texture units), so the cost is linear in T for every practical length, with
 * ⌈T / chunk / fanIn⌉ + 1 gather programs or so per pass.
 */
export class SequenceGather {
  private readonly levels: SequencePiece[][] = [];
  private readonly fanIn: number;

  constructor(
    private readonly backend: MathBackendWebGL,
    private readonly batch: number,
    private readonly steps: number,
    private readonly hidden: number,
  ) {
    this.fanIn = Math.max(2, textureUnits());
  }

  /** Hands a piece to the gather; owned pieces are disposed by it. */
  add(piece: SequencePiece): void {
    this.push(0, piece);
  }

  /**
   * The whole [B, T, H] sequence (the caller owns it). `keepPacked`: the result stays in the packed layout
   * whatever WEBGL_LAZILY_UNPACK says (for an intermediate); otherwise it follows the flag like a kernel output.
   */
  finish(keepPacked: boolean): TensorInfo {
    const single = this.levels.flat();
    if (single.length === 1) {
      const only = single[0]!;
      if (only.owned && only.start === 0 && only.end === this.steps && only.info.shape[1] === this.steps) {
        this.levels.length = 0;
        return only.info;
      }
    }
    // Merge the newest levels until one program can read what is left.
    for (let level = 0; level < this.levels.length; level++) {
      if (this.levels.flat().length <= this.fanIn) break;
      const pieces = this.levels[level]!;
      if (pieces.length >= 2) {
        this.levels[level] = [];
        this.push(level + 1, this.merge(pieces, true));
      }
    }
    const all = this.levels.flat();
    this.levels.length = 0;
    return this.merge(all, keepPacked).info;
  }

  /**
   * Stacks the [B, H] state tensors of steps `start … start + states.length - 1` (ascending) into one chunk
   * ({@link StepStackProgram}) and hands it to the gather. The states stay the caller's. `keepPacked` as in
   * {@link finish}, for a chunk that will be the whole sequence.
   */
  addSteps(states: TensorInfo[], start: number, keepPacked = true): void {
    const program = new StepStackProgram(this.batch, states.length, this.hidden);
    const info = this.backend.runWebGLProgram(program, states, 'float32', undefined, keepPacked);
    this.add({ info, start, end: start + states.length, first: 0, owned: true });
  }

  /** Disposes every owned piece still held (a kernel that fails part way). */
  dispose(): void {
    for (const piece of this.levels.flat()) if (piece.owned) this.backend.disposeIntermediateTensorInfo(piece.info);
    this.levels.length = 0;
  }

  private push(level: number, piece: SequencePiece): void {
    while (this.levels.length <= level) this.levels.push([]);
    const pieces = this.levels[level]!;
    pieces.push(piece);
    if (pieces.length === this.fanIn) {
      this.levels[level] = [];
      this.push(level + 1, this.merge(pieces, true));
    }
  }

  private merge(pieces: SequencePiece[], keepPacked: boolean): SequencePiece {
    const start = Math.min(...pieces.map((p) => p.start));
    const end = Math.max(...pieces.map((p) => p.end));
    const covered = pieces.reduce((sum, p) => sum + p.end - p.start, 0);
    // Pieces of one level are always adjacent in time; a gap would silently leave zeros in the sequence.
    if (covered !== end - start) throw new Error(`SequenceGather: pieces cover ${covered} of steps ${start}…${end - 1}`);
    const program = new SequenceGatherProgram(
      this.batch,
      end - start,
      this.hidden,
      pieces.map((p) => ({ start: p.start - start, end: p.end - start, first: p.first })),
    );
    const info = this.backend.runWebGLProgram(program, pieces.map((p) => p.info), 'float32', undefined, keepPacked);
    for (const p of pieces) if (p.owned) this.backend.disposeIntermediateTensorInfo(p.info);
    return { info, start, end, first: 0, owned: true };
  }
}
