import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { GruSequence, GruSequenceFinal, LstmSequence, LstmSequenceFinal } from '@basicrnn/core';
import { gatedCall, padWeights, takeColumns } from './gated_common.js';
import { PackedInputs, isConstantOnCpu } from './packed_inputs.js';
import { GatedStepProgram, type GatedShape, KEPT_GATE_BLOCKS, gateCount, paddedWidth, stateWidth } from './programs/gated_programs.js';
import { InputProjectionProgram } from './programs/input_projection_program.js';
import type { StepVariant } from './programs/rnn_step_program.js';
import { ProgramCache, SequenceGather, maxPendingSteps } from './step_schedule.js';
import { directTexelFetchEnabled, readsRowMajor } from './texel_layout.js';

/**
 * Runs the forward steps of a recurrence and gathers their states into one [B, T, W] tensor, at a cost linear in
 * T: every step writes its state as a [B, W] tensor, and every 16 steps (as many as a program may sample) and at
 * the last, a stack program copies them into one chunk for the {@link SequenceGather} (step programs that also
 * wrote the chunk ran their dot products for every texel of it on SwiftShader: slower).
 * `step(s, variant, previous)`: runs step s's program(s) for the variant on the previous-state tensors (the
 * initial ones, or the state tensor of step s-1) and returns the new state.
 * `keepPacked`: the gathered result is an intermediate (true) or a kernel output that follows WEBGL_LAZILY_UNPACK
 * (false).
 */
export function runForwardSteps(
  backend: MathBackendWebGL,
  gather: SequenceGather,
  steps: number,
  initial: TensorInfo[],
  step: (s: number, variant: StepVariant, previous: TensorInfo[], keepPacked: boolean) => TensorInfo,
  keepPacked: boolean,
): TensorInfo {
  // Steps stacked per chunk: a stack program samples only them.
  const maxPending = maxPendingSteps(0);
  // State tensors not yet stacked (steps s - pending.length … s - 1), and the state of step s-1 once stacked.
  let pending: TensorInfo[] = [];
  let previous: TensorInfo | null = null;
  try {
    for (let s = 0; s < steps; s++) {
      const variant: StepVariant = { previous: s === 0 ? 'initial' : 'pending', pending: s === 0 ? 0 : 1, chunkRows: 0, output: 'step' };
      const out = step(s, variant, previous === null ? initial : [previous], true);
      if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
      previous = out;
      pending.push(out);
      if (pending.length === maxPending || s === steps - 1) {
        const first = s + 1 - pending.length;
        gather.addSteps(pending, first, keepPacked || !(first === 0 && s === steps - 1));
        for (const info of pending) if (info !== out) backend.disposeIntermediateTensorInfo(info);
        pending = [];
      }
    }
    if (previous !== null) backend.disposeIntermediateTensorInfo(previous);
    previous = null;
    return gather.finish(keepPacked);
  } catch (error) {
    for (const info of pending) backend.disposeIntermediateTensorInfo(info);
    if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
    gather.dispose();
    throw error;
  }
}

/**
 * Whether an LSTM forward step runs as two programs (c', then [h, c] with the o gate) rather than one whose h and
 * c halves each run their gates' products (the c half i, f, c̃; the h half all four: 7 gate-column products per
 * unit instead of 4). Two programs cost a program's overhead more per step, worth it when the products dominate.
 * The split saves 3 of 7 products per unit (∝ B·H², the h·U work of a step) and costs one program's fixed
 * overhead, so it pays from B·H² = 65,536 on (measured on SwiftShader, forward medians of 25 alternated runs, ms,
 * split / one program: B1·H32 11.2 / 9.9, B16·H32 11.5 / 11.2, B8·H64 11.6 / 11.0, B4·H128 13.9 / 14.4,
 * B2·H128 22.0 / 25.4, B8·H128 20.9 / 24.9, B32·H64 24.5 / 37.8; a B·H threshold of 4,096 left B32·H64, the
 * benchmark's M, unsplit). `LSTM_SPLIT_MIN_WORK`: from this B·H² on (tests set it to 0 through
 * {@link setLstmSplitMinWork}).
 */
/**
 * Runs the forward steps of a recurrence keeping only the last state (a final-states kernel: no step is gathered),
 * with the same `step` as {@link runForwardSteps}. `keepPacked`: the last state is an intermediate (true) or the
 * kernel output, which follows WEBGL_LAZILY_UNPACK (false).
 */
export function runFinalStep(
  backend: MathBackendWebGL,
  steps: number,
  initial: TensorInfo[],
  step: (s: number, variant: StepVariant, previous: TensorInfo[], keepPacked: boolean) => TensorInfo,
  keepPacked: boolean,
): TensorInfo {
  let previous: TensorInfo | null = null;
  try {
    for (let s = 0; s < steps; s++) {
      const variant: StepVariant = { previous: s === 0 ? 'initial' : 'pending', pending: s === 0 ? 0 : 1, chunkRows: 0, output: 'step' };
      const out = step(s, variant, previous === null ? initial : [previous], s < steps - 1 || keepPacked);
      if (previous !== null) backend.disposeIntermediateTensorInfo(previous);
      previous = out;
    }
    const last = previous!;
    previous = null;
    return last;
  } finally {
    if (previous !== null) backend.disposeIntermediateTensorInfo(previous);
  }
}

/**
 * Whether the forward steps form their own x·W + b (x read at computed coordinates, as SimpleRNN's steps do) rather
 * than read one InputProjectionProgram's [T, B, G·Hp] output. On SwiftShader that program's cost is mostly per
 * output texel; folded, the products join the steps' serial chain. Measured (forward, fused, medians; fold /
 * projection, ms): L B64·T100·I32·H256 LSTM 627 / 757, GRU 528 / 616, GRU resetAfter 409 / 506; Long B8·T1000·I16·H128
 * 405 / 433, 337 / 356, 247 / 272; M B32·T20·I10·H64 equal within the readback's ~4 ms granularity; S B1·T50·I8·H32
 * LSTM at times 9.0 / 5.0 (the added per-step latency). Adam steps at L: 2742 / 2897 (LSTM), 2343 / 2453 (GRU).
 * `GATED_FOLD_MIN`: from this projection size T·B·G·Hp on (tests set it to 0 or Infinity through
 * {@link setGatedFoldMinSize}).
 */
export const GATED_FOLD_DEFAULT = 1 << 20;
let GATED_FOLD_MIN = GATED_FOLD_DEFAULT;
/** Whether a gated forward of this size folds x·W + b into its steps (see above). */
export function foldGatedInputs(steps: number, batch: number, gates: number, paddedHidden: number): boolean {
  return steps * batch * gates * paddedHidden >= GATED_FOLD_MIN;
}
/** Sets the projection size T·B·G·Hp from which the gated forward steps form their own x·W + b; for tests. */
export function setGatedFoldMinSize(value: number): void {
  GATED_FOLD_MIN = value;
}

/**
 * Whether a forward under a gradient tape (core's `keepGates` attr) keeps its gate values for the backward,
 * which then reads them instead of recomputing every step's x·W + b + h·U (a forward's worth of products: at L a
 * quarter of an LSTM training step's). Each step then runs its gates as one program and its state as an
 * element-wise second (GRU without resetAfter: r first, three), and the steps' gates are gathered like the states.
 * That pays where a step's products are large and loses where the programs per step dominate. Measured on the
 * bench's shapes (Adam train step, Chromium on software WebGL, 5 alternated runs, keep vs recompute):
 * - L (B64·H256): LSTM 3482 vs 3929 ms (11% faster), GRU 3317 vs 3522 ms (6%), GRU resetAfter 3022 vs 2777 ms
 *   (9% slower: its step is one program, and keeping splits it in two);
 * - Long (B8·T1000·H128): LSTM 2268 vs 2139 ms, GRU 2227 vs 1918 ms, GRU resetAfter 1926 vs 1429 ms (slower).
 * So LSTM and GRU without resetAfter keep from B·Hp = 2^14 (`GATED_KEEP_DEFAULT`; L is 16,384, Long 1,024, M
 * 2,048) and GRU resetAfter never; tests force either through {@link setGatedKeepMinSize}.
 */
export const GATED_KEEP_DEFAULT = 1 << 14;
let GATED_KEEP_MIN: number | null = null;
/** Whether a gated forward with this shape under a tape keeps its gates for the backward (see above). */
export function keepGatedGates(shape: Pick<GatedShape, 'cell' | 'resetAfter' | 'batch'>, paddedHidden: number): boolean {
  const min = GATED_KEEP_MIN ?? (shape.cell === 'gru' && shape.resetAfter ? Infinity : GATED_KEEP_DEFAULT);
  return shape.batch * paddedHidden >= min;
}
/**
 * Sets the size B·Hp from which a taped gated forward keeps its gates, for every cell (see {@link keepGatedGates});
 * null restores the defaults. For tests.
 */
export function setGatedKeepMinSize(value: number | null): void {
  GATED_KEEP_MIN = value;
}

/** The default B·H² from which LSTM forward steps are split (B16·H64, B4·H128, B1·H256 and up). */
export const LSTM_SPLIT_DEFAULT = 65536;
let LSTM_SPLIT_MIN_WORK = LSTM_SPLIT_DEFAULT;
/** Whether an LSTM forward step of this B and H runs as two programs (see above). */
export function splitLstmStep(batch: number, hidden: number): boolean {
  return batch * hidden * hidden >= LSTM_SPLIT_MIN_WORK;
}
/** Sets the B·H² from which LSTM forward steps are split in two programs (see {@link splitLstmStep}); for tests. */
export function setLstmSplitMinWork(value: number): void {
  LSTM_SPLIT_MIN_WORK = value;
}

/**
 * The forward pass of a gated cell as shader programs: the weights' gate blocks padded to an even width (only
 * for odd H, up to 3 programs; GRU resetAfter splits its bias rows, 2), the input projection x·W + b of every
 * step and gate as one program (unless the steps form their own, {@link foldGatedInputs}), then ONE program per
 * step (LSTM, GRU resetAfter; TWO for GRU without resetAfter, whose reset gate must multiply h before h·U_h, and
 * for LSTM from B·H² = 65,536, {@link splitLstmStep}) that fuses the recurrent products of all gates, the
 * activations, the state update and the mask, and the gathers that assemble the step chunks (about T/190 + 1,
 * see {@link SequenceGather}). LSTM adds 2 programs that take h and c out of its [h, c] state layout.
 * Returns [hiddenStates] (GRU) or [hiddenStates, cellStates] (LSTM), [B, T, H], processing order, and with core's
 * `keepGates` attr (a forward under a tape), for LSTM and GRU without resetAfter from B·Hp = 2^14 on
 * ({@link keepGatedGates}), one more output, the
 * steps' gate values [B, T, 4·Hp] ({@link KEPT_GATE_BLOCKS}), which the backward kernel reads instead of
 * recomputing them: then every step runs its gates and its state as two programs (three for GRU without
 * resetAfter) whatever its size.
 * `finalOnly` (the final-states kernels): no step is gathered; returns the last processed step's states, [B, H].
 */
function gatedSequenceWebGL(
  cell: 'lstm' | 'gru',
  kernelName: string,
  args: { inputs: object; backend: unknown; attrs?: NamedAttrMap },
  finalOnly = false,
): TensorInfo[] {
  const inputs = args.inputs as Record<string, TensorInfo>;
  const backend = args.backend as MathBackendWebGL;
  const { shape, inputSize } = gatedCall(kernelName, cell, inputs, args.attrs);
  const { batch, steps, hidden } = shape;
  const lstm = cell === 'lstm';
  if (batch * steps * hidden === 0) {
    const empty = () =>
      finalOnly
        ? backend.makeTensorInfo([batch, hidden], 'float32', new Float32Array(batch * hidden))
        : backend.makeTensorInfo([batch, steps, hidden], 'float32', new Float32Array(0));
    return lstm ? [empty(), empty()] : [empty()];
  }
  const gates = gateCount(shape);
  const hp = paddedWidth(hidden);
  const packed = new PackedInputs(backend);
  const owned: TensorInfo[] = [];
  try {
    const weights = padWeights(backend, packed, shape, gates, {
      kernel: inputs.kernel!,
      recurrentKernel: inputs.recurrentKernel!,
      bias: inputs.bias!,
    });
    owned.push(...weights.owned);
    const x = packed.prepare(inputs.x!);
    // An absent mask or initial state (kernel_names.ts), or a mask of ones and zero initial states made on the CPU
    // for this call, are read as constants, not uploaded.
    const zero = (t: TensorInfo | undefined) => t === undefined || isConstantOnCpu(backend, t, 0);
    const constant = {
      noMask: inputs.mask === undefined || isConstantOnCpu(backend, inputs.mask, 1),
      zeroInitial: zero(inputs.h0) && (!lstm || zero(inputs.c0)),
    };
    const mask = constant.noMask ? [] : [packed.prepare(inputs.mask!)];
    // One of LSTM's h0 and c0 absent, the other not zero: the absent one is zeros, made here for the call.
    const state = (t: TensorInfo | undefined): TensorInfo => {
      if (t !== undefined) return packed.prepare(t);
      const zeros = backend.makeTensorInfo([batch, hidden], 'float32', new Float32Array(batch * hidden));
      owned.push(zeros);
      return zeros;
    };
    const initial = constant.zeroInitial ? [] : lstm ? [state(inputs.h0), state(inputs.c0)] : [state(inputs.h0)];
    // Large enough (foldGatedInputs), WebGL2 and a row-major x texture: each step forms its own x·W + b (see
    // GatedStepProgram's `inputs`); otherwise one time-major projection program over all steps and gates first.
    const folding = foldGatedInputs(steps, batch, gates, hp) && directTexelFetchEnabled() && readsRowMajor(backend, x);
    const proj = folding
      ? null
      : backend.runWebGLProgram(
          new InputProjectionProgram({ batch, steps, hidden: gates * hp, activation: 'linear', goBackwards: shape.goBackwards }, inputSize, true),
          [x, weights.kernel, weights.bias],
          'float32',
          undefined,
          true,
        );
    if (proj !== null) owned.push(proj);
    const fixed = [
      ...(proj === null ? [x, weights.kernel, weights.bias] : [proj]),
      weights.recurrent,
      ...mask,
      ...(weights.recurrentBias ? [weights.recurrentBias] : []),
    ];
    const programConstant = { ...constant, inputs: folding ? { inputSize } : undefined };
    const states = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'state', programConstant));
    const resets = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'reset', programConstant));
    const cells = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'cell', programConstant));
    const lstmStates = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'lstmState', programConstant));
    const twoPhase = cell === 'gru' && !shape.resetAfter;
    // Kept gates (core's keepGates: a forward under a tape): every step's gates [B, 4·Hp], stacked every 16 steps
    // into their own gather; the state is formed from them.
    const keep = !finalOnly && (args.attrs as { keepGates?: boolean } | undefined)?.keepGates === true && keepGatedGates(shape, hp);
    const keptGather = keep ? new SequenceGather(backend, batch, steps, KEPT_GATE_BLOCKS * hp) : null;
    let keptPending: TensorInfo[] = [];
    const gateSteps = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'gates', programConstant));
    const gateRs = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'gateR', programConstant));
    const fromGates = new ProgramCache((v: StepVariant) => new GatedStepProgram(shape, v, 'fromGates', programConstant));
    const keptStep = (s: number, variant: StepVariant, previous: TensorInfo[], keepPacked: boolean): TensorInfo => {
      let stepGates: TensorInfo;
      if (twoPhase) {
        const r = backend.runWebGLProgram(gateRs.get(variant), [...fixed, ...previous], 'float32', [[s]], true);
        try {
          stepGates = backend.runWebGLProgram(gateSteps.get(variant), [...fixed, r, ...previous], 'float32', [[s]], true);
        } finally {
          backend.disposeIntermediateTensorInfo(r);
        }
      } else {
        stepGates = backend.runWebGLProgram(gateSteps.get(variant), [...fixed, ...previous], 'float32', [[s]], true);
      }
      keptPending.push(stepGates);
      const state = backend.runWebGLProgram(fromGates.get(variant), [...mask, stepGates, ...previous], 'float32', [[s]], keepPacked);
      if (keptPending.length === maxPendingSteps(0) || s === steps - 1) {
        keptGather!.addSteps(keptPending, s + 1 - keptPending.length);
        for (const info of keptPending) backend.disposeIntermediateTensorInfo(info);
        keptPending = [];
      }
      return state;
    };
    const step = (s: number, variant: StepVariant, previous: TensorInfo[], keepPacked: boolean): TensorInfo => {
      if (keep) return keptStep(s, variant, previous, keepPacked);
      if (lstm && splitLstmStep(batch, hidden)) {
        // c' first (gates i, f, c̃), then [h, c] with o: each gate's products computed once per unit.
        const cellNew = backend.runWebGLProgram(cells.get(variant), [...fixed, ...previous], 'float32', [[s]], true);
        try {
          return backend.runWebGLProgram(lstmStates.get(variant), [...fixed, cellNew, ...previous], 'float32', [[s]], keepPacked);
        } finally {
          backend.disposeIntermediateTensorInfo(cellNew);
        }
      }
      if (!twoPhase) return backend.runWebGLProgram(states.get(variant), [...fixed, ...previous], 'float32', [[s]], keepPacked);
      // r⊙h_{s-1} first: it reads only the tensor holding h_{s-1} (the last of the previous-state list).
      const resetVariant: StepVariant = { ...variant, pending: variant.previous === 'pending' ? 1 : 0, output: 'step' };
      const resetInputs = variant.previous === 'pending' ? [previous.at(-1)!] : previous;
      const reset = backend.runWebGLProgram(resets.get(resetVariant), [...fixed, ...resetInputs], 'float32', [[s]], true);
      try {
        return backend.runWebGLProgram(states.get(variant), [...fixed, reset, ...previous], 'float32', [[s]], keepPacked);
      } finally {
        backend.disposeIntermediateTensorInfo(reset);
      }
    };
    if (finalOnly) {
      const last = runFinalStep(backend, steps, initial, step, lstm);
      if (!lstm) return [last];
      try {
        return [takeColumns(backend, last, hidden, 0), takeColumns(backend, last, hidden, hp)];
      } finally {
        backend.disposeIntermediateTensorInfo(last);
      }
    }
    const gather = new SequenceGather(backend, batch, steps, stateWidth(shape));
    let sequence: TensorInfo | null = null;
    let keptGates: TensorInfo | null = null;
    try {
      sequence = runForwardSteps(backend, gather, steps, initial, step, lstm);
      if (keptGather !== null) keptGates = keptGather.finish(true);
    } catch (error) {
      for (const info of keptPending) backend.disposeIntermediateTensorInfo(info);
      keptGather?.dispose();
      if (sequence !== null) backend.disposeIntermediateTensorInfo(sequence);
      throw error;
    }
    // The kept gates are one more output, which core's gradient saves and hands to the backward kernel.
    const extra = keptGates === null ? [] : [keptGates];
    if (!lstm) return [sequence, ...extra];
    try {
      return [takeColumns(backend, sequence, hidden, 0), takeColumns(backend, sequence, hidden, hp), ...extra];
    } catch (error) {
      for (const info of extra) backend.disposeIntermediateTensorInfo(info);
      throw error;
    } finally {
      backend.disposeIntermediateTensorInfo(sequence);
    }
  } finally {
    for (const info of owned) backend.disposeIntermediateTensorInfo(info);
    packed.dispose();
  }
}

/** Fused forward kernel of core's LSTM op ({@link LstmSequence}) on the `webgl` backend: [hiddenStates, cellStates]. */
export const lstmSequenceConfig: KernelConfig = {
  kernelName: LstmSequence,
  backendName: 'webgl',
  kernelFunc: ((args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }) =>
    gatedSequenceWebGL('lstm', LstmSequence, args)) as unknown as KernelFunc,
};

/** Fused forward kernel of core's GRU op ({@link GruSequence}) on the `webgl` backend, both Keras forms: [hiddenStates]. */
export const gruSequenceConfig: KernelConfig = {
  kernelName: GruSequence,
  backendName: 'webgl',
  kernelFunc: ((args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }) =>
    gatedSequenceWebGL('gru', GruSequence, args)) as unknown as KernelFunc,
};

/**
 * Final-states kernel of core's LSTM op ({@link LstmSequenceFinal}) on `webgl`: the forward's steps without gathering
 * them, [h, c] of the last processed step, each [B, H].
 */
export const lstmSequenceFinalConfig: KernelConfig = {
  kernelName: LstmSequenceFinal,
  backendName: 'webgl',
  kernelFunc: ((args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }) =>
    gatedSequenceWebGL('lstm', LstmSequenceFinal, args, true)) as unknown as KernelFunc,
};

/** Final-state kernel of core's GRU op ({@link GruSequenceFinal}) on `webgl`: [h] of the last processed step, [B, H]. */
export const gruSequenceFinalConfig: KernelConfig = {
  kernelName: GruSequenceFinal,
  backendName: 'webgl',
  kernelFunc: ((args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }) =>
    gatedSequenceWebGL('gru', GruSequenceFinal, args, true)) as unknown as KernelFunc,
};

export type { GatedShape };
