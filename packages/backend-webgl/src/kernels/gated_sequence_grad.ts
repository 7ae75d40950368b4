import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { GruSequenceGrad, LstmSequenceGrad, ShapeError } from '@basicrnn/core';
import { gatedCall, padWeights, takeColumns } from './gated_common.js';
import { splitLstmStep } from './gated_sequence.js';
import { PackedInputs } from './packed_inputs.js';
import { LstmGateGradProgram, LstmSplitCarryProgram } from './programs/lstm_split_carry_programs.js';
import {
  ColumnSumProgram,
  GatedCarryProgram,
  type GatedCarryVariant,
  GatedDeltasProgram,
  GatedFactorsProgram,
  GatedGatesProgram,
  GradStartProgram,
  GruCandidateProgram,
  GruResetGradProgram,
  KEPT_GATE_BLOCKS,
  RemapProgram,
  TimeMajorDxProgram,
  TimeMajorProgram,
  TimeMajorWeightGradProgram,
  blockRemapGlsl,
  deltaBlocks,
  gateCount,
  paddedWidth,
  rowsPerStep,
  stateWidth,
  timeMajorWeightGradSplits,
} from './programs/gated_programs.js';
import { PackedTransposeProgram, TransposedWeightGradProgram } from './programs/transposed_weight_grad_program.js';
import { ProgramCache, SequenceGather, maxPendingSteps, type SequencePiece } from './step_schedule.js';

/**
 * Backpropagation through time of a gated cell as shader programs, linear in T:
 * - before the steps (5 to 9 programs): the padded weights (odd H) and bias rows (GRU resetAfter), x and the
 *   previous states h_{s-1} (and LSTM's c_{s-1}) time-major, the gate values of every step recomputed in one
 *   program from them (x·W + b and h_{s-1}·U in one pass; two programs for GRU without resetAfter) or, given
 *   the forward's kept `gates` [B, T, 4·Hp] (KEPT_GATE_BLOCKS), taken time-major from them (one program; two for
 *   GRU without resetAfter: its gates and its candidate columns), and the
 *   per-step factors that turn total gradients into gate gradients ({@link GatedFactorsProgram}); then g_{T-1}
 *   from dh (and dc);
 * - T-1 carry steps, ONE program each (TWO for GRU without resetAfter: d(r⊙h) first), then one for dh0 (/dc0),
 *   and the gathers that assemble the step chunks into the [B, T, W] total gradients ({@link SequenceGather})
 *   (GRU without resetAfter: and the steps' d(r⊙h) into [B, T, H], one stack per 16 steps and its gathers);
 * - after (4 to 10, 3 more from T·B' = 1,024, 4 for GRU without resetAfter): the gate gradients of every step,
 *   dx, dW, dU and db each as one program over all batch rows and steps (from T·B' = 1,024 rows dW and dU read
 *   their operands transposed, {@link TransposedWeightGradProgram}: x, h_{s-1}, the gate gradients, and
 *   r⊙h_{s-1} for GRU without resetAfter, one transpose each), the unpadding of the weight gradients (odd H) and
 *   the outputs taken out of the LSTM state layout.
 * Outputs, in order: dx [B, T, I], dKernel [I, G·H], dRecurrentKernel [H, G·H], dBias (the bias's shape), dh0
 * [B, H], dc0 [B, H] (LSTM), and dHiddenStates [B, T, H] (∂loss/∂h_t, processing order) when `hiddenStateGrads`.
 */
function gatedSequenceGradWebGL(cell: 'lstm' | 'gru', kernelName: string, args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const inputs = args.inputs as Record<string, TensorInfo>;
  const backend = args.backend as MathBackendWebGL;
  const lstm = cell === 'lstm';
  for (const name of lstm ? ['hiddenStates', 'cellStates', 'dh', 'dc'] : ['hiddenStates', 'dh']) {
    if (inputs[name] === undefined) throw new Error(`${kernelName} (webgl): input ${name} is missing`);
  }
  const { shape, inputSize, hiddenStateGrads } = gatedCall(kernelName, cell, inputs, args.attrs);
  const { batch, steps, hidden, goBackwards, resetAfter } = shape;
  const gates = gateCount(shape);
  const hp = paddedWidth(hidden);
  const keptShape = [batch, steps, KEPT_GATE_BLOCKS * hp];
  const given = inputs.gates;
  if (given !== undefined && (given.dtype !== 'float32' || given.shape.length !== 3 || given.shape.some((d, i) => d !== keptShape[i]))) {
    throw new ShapeError(
      `${kernelName} (webgl): expected gates (the forward's kept gate values) float32 [${keptShape.join(', ')}], received ${given.dtype} [${given.shape.join(', ')}]`,
    );
  }
  const biasShape = inputs.bias!.shape;
  const outputShapes = [
    [batch, steps, inputSize],
    [inputSize, gates * hidden],
    [hidden, gates * hidden],
    biasShape,
    [batch, hidden],
    ...(lstm ? [[batch, hidden]] : []),
    ...(hiddenStateGrads ? [[batch, steps, hidden]] : []),
  ];
  if (batch * steps * hidden * inputSize === 0) {
    return outputShapes.map((s) => backend.makeTensorInfo(s, 'float32', new Float32Array(s.reduce((a, b) => a * b, 1))));
  }
  const twoPhase = cell === 'gru' && !resetAfter;
  const rows = steps * rowsPerStep(batch);
  const packed = new PackedInputs(backend);
  const owned: TensorInfo[] = [];
  // Intermediates stay packed whatever WEBGL_LAZILY_UNPACK says; outputs follow it.
  const temp = (program: GPGPUProgram, list: TensorInfo[], uniforms?: number[][]): TensorInfo => {
    const info = backend.runWebGLProgram(program, list, 'float32', uniforms, true);
    owned.push(info);
    return info;
  };
  const output = (program: GPGPUProgram, list: TensorInfo[]) => backend.runWebGLProgram(program, list, 'float32');
  try {
    const weights = padWeights(backend, packed, shape, gates, {
      kernel: inputs.kernel!,
      recurrentKernel: inputs.recurrentKernel!,
      bias: inputs.bias!,
    });
    owned.push(...weights.owned);
    const x = packed.prepare(inputs.x!);
    const mask = packed.prepare(inputs.mask!);
    const h0 = packed.prepare(inputs.h0!);
    const states = packed.prepare(inputs.hiddenStates!);
    const dh = packed.prepare(inputs.dh!);
    const dc = lstm ? packed.prepare(inputs.dc!) : undefined;
    const recurrentBias = weights.recurrentBias ? [weights.recurrentBias] : [];

    // x time-major (processing order, masked steps' rows zero): the gate programs recompute x·W + b from it, and
    // dW reads it.
    const xs = temp(new TimeMajorProgram(batch, steps, inputSize, 0, goBackwards, true), [x, mask]);
    const projection = [xs, weights.kernel, weights.bias];
    const previousH = temp(new TimeMajorProgram(batch, steps, hidden, 1, false), [states, h0]);
    // The gate values: the forward's, kept (time-major here), or recomputed.
    const kept = inputs.gates === undefined ? null : packed.prepare(inputs.gates);
    const keptColumns = (width: number, offset: number) => temp(new TimeMajorProgram(batch, steps, width, 0, false, false, offset), [kept!]);
    const gateValues =
      kept !== null
        ? keptColumns(twoPhase ? 2 * hp : KEPT_GATE_BLOCKS * hp, 0)
        : temp(new GatedGatesProgram(shape, inputSize), [...projection, weights.recurrent, previousH, ...recurrentBias]);
    const candidate = !twoPhase
      ? undefined
      : kept !== null
        ? keptColumns(2 * hp, 2 * hp)
        : temp(new GruCandidateProgram(shape, inputSize), [...projection, weights.recurrent, previousH, gateValues]);
    const previousForFactors = lstm
      ? temp(new TimeMajorProgram(batch, steps, hidden, 1, false), [packed.prepare(inputs.cellStates!), packed.prepare(inputs.c0!)])
      : previousH;
    const factors = temp(new GatedFactorsProgram(shape), [gateValues, previousForFactors, mask, ...(candidate ? [candidate] : [])]);

    // The carry steps, in descending time, from the one-row chunk g_{T-1}.
    const fixed = [dh, ...(dc ? [dc] : []), factors, weights.recurrent, mask];
    // Carry steps stacked per chunk: a stack program samples only them.
    const maxPending = maxPendingSteps(0);
    const carries = new ProgramCache((v: GatedCarryVariant) => new GatedCarryProgram(shape, v));
    const resetGrads = new ProgramCache((v: { source: GatedCarryVariant['source'] }) => new GruResetGradProgram(shape, v.source));
    const gather = new SequenceGather(backend, batch, steps, stateWidth(shape));
    // GRU without resetAfter: every step's d(r⊙h_{s-1}) [B, H] (computed once by the carry, not again for dr), the
    // ones not yet stacked (descending time), and their gather.
    const resetGather = twoPhase ? new SequenceGather(backend, batch, steps, hidden) : null;
    let resetPending: TensorInfo[] = [];
    let resetSequence: TensorInfo | null = null;
    // g tensors not yet stacked (descending time), and the one the next step reads once stacked.
    let pending: TensorInfo[] = [];
    let previous: TensorInfo | null = null;
    let chunk: SequencePiece | null = null;
    let initialGrads: TensorInfo;
    let grads: TensorInfo;
    // Large LSTMs (B·H ≥ 4,096, as the forward's split steps): the step's gate gradients first, then the carry.
    const splitCarry = lstm && splitLstmStep(batch, hidden);
    const gateGrads = new ProgramCache((v: { source: GatedCarryVariant['source'] }) => new LstmGateGradProgram(shape, v.source));
    const splitCarries = new ProgramCache((v: GatedCarryVariant) => new LstmSplitCarryProgram(shape, v));
    const carry = (s: number, variant: GatedCarryVariant, list: TensorInfo[], keepPacked: boolean): TensorInfo => {
      if (splitCarry) {
        const dz = backend.runWebGLProgram(gateGrads.get({ source: variant.source }), [factors, mask, ...list], 'float32', [[s]], true);
        try {
          return backend.runWebGLProgram(splitCarries.get(variant), [...fixed, dz, ...list], 'float32', [[s]], keepPacked);
        } finally {
          backend.disposeIntermediateTensorInfo(dz);
        }
      }
      if (!twoPhase) return backend.runWebGLProgram(carries.get(variant), [...fixed, ...list], 'float32', [[s]], keepPacked);
      // `list` is the one tensor holding g_s: the start chunk or the previous step's output.
      const source = list;
      const resetGrad = backend.runWebGLProgram(
        resetGrads.get({ source: variant.source }),
        [factors, weights.recurrent, mask, ...source],
        'float32',
        [[s]],
        true,
      );
      // Kept for the gate gradients' dr = d(r⊙h)·B_r: stacked every 16 steps into the reset gather.
      resetPending.push(resetGrad);
      const out = backend.runWebGLProgram(carries.get(variant), [...fixed, resetGrad, ...list], 'float32', [[s]], keepPacked);
      if (resetPending.length === maxPending || s === 0) {
        // d(r⊙h)_s … ascending: the stack's rows are in time order.
        resetGather!.addSteps([...resetPending].reverse(), s);
        for (const info of resetPending) backend.disposeIntermediateTensorInfo(info);
        resetPending = [];
      }
      return out;
    };
    try {
      const start = backend.runWebGLProgram(new GradStartProgram(shape), dc ? [dh, dc] : [dh], 'float32', undefined, true);
      chunk = { info: start, start: steps - 1, end: steps, first: 0, owned: true };
      const variantAt = (s: number, output: GatedCarryVariant['output']): GatedCarryVariant =>
        s === steps - 1 ? { source: 'chunk', pending: 0, output } : { source: 'pending', pending: 1, output };
      for (let s = steps - 1; s >= 1; s--) {
        const out = carry(s, variantAt(s, 'step'), previous === null ? [chunk!.info] : [previous], true);
        if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
        if (chunk !== null) {
          // The one-row chunk g_{T-1} is the gather's first (latest) piece.
          gather.add(chunk);
          chunk = null;
        }
        previous = out;
        pending.push(out);
        if (pending.length === maxPending || s === 1) {
          // g_{s-1} … ascending: the stack's rows are in time order.
          gather.addSteps([...pending].reverse(), s - 1);
          for (const info of pending) if (info !== out) backend.disposeIntermediateTensorInfo(info);
          pending = [];
        }
      }
      initialGrads = carry(0, variantAt(0, 'initialState'), previous === null ? [chunk!.info] : [previous], lstm);
      if (previous !== null) backend.disposeIntermediateTensorInfo(previous);
      previous = null;
      if (chunk !== null) {
        gather.add(chunk);
        chunk = null;
      }
      grads = gather.finish(true);
      if (resetGather !== null) {
        resetSequence = resetGather.finish(true);
        owned.push(resetSequence);
      }
    } catch (error) {
      for (const info of resetPending) backend.disposeIntermediateTensorInfo(info);
      resetGather?.dispose();
      for (const info of pending) backend.disposeIntermediateTensorInfo(info);
      if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
      if (chunk !== null) backend.disposeIntermediateTensorInfo(chunk.info);
      gather.dispose();
      throw error;
    }
    if (lstm) owned.push(initialGrads);
    if (!(hiddenStateGrads && !lstm)) owned.push(grads);

    const deltas = temp(new GatedDeltasProgram(shape), [grads, factors, mask, ...(resetSequence ? [resetSequence] : [])]);
    const dx = output(new TimeMajorDxProgram(batch, steps, inputSize, gates * hp, goBackwards), [deltas, weights.kernel]);
    // `info` is already an output (H even) or a temporary (H odd: `weightGrad` made it with `temp`).
    const unpad = (info: TensorInfo, outputShape: number[]): TensorInfo => {
      if (hp === hidden) return info;
      const lead = outputShape.length === 1 ? '' : 'r';
      return output(new RemapProgram(outputShape, ['source'], blockRemapGlsl({ lead, fromWidth: hp, toWidth: hidden, valid: hidden, offset: 0 })), [info]);
    };
    const final = hp === hidden ? output : temp;
    const secondA = twoPhase ? { switchColumn: 2 * hp, offset: hp } : null;
    const recurrentOffset = resetAfter ? gates * hp : 0;
    let dKernelPadded: TensorInfo;
    let dRecurrentPadded: TensorInfo;
    if (timeMajorWeightGradSplits(rows) === 1) {
      // Short sequences: each output texel walks the columns of the [R, ·] inputs (they fit in the cache).
      dKernelPadded = final(new TimeMajorWeightGradProgram(rows, inputSize, gates * hp, 0, null), [xs, deltas]);
      dRecurrentPadded = final(
        new TimeMajorWeightGradProgram(rows, hidden, gates * hp, recurrentOffset, secondA),
        twoPhase ? [previousH, deltas, candidate!] : [previousH, deltas],
      );
    } else {
      // Long ones: transpose the inputs once, so that every walk runs along texture rows.
      const transposed = (info: TensorInfo): TensorInfo => temp(new PackedTransposeProgram(rows, info.shape[1] as number), [info]);
      const deltasT = transposed(deltas);
      dKernelPadded = final(new TransposedWeightGradProgram(rows, inputSize, gates * hp, 0, null), [transposed(xs), deltasT]);
      dRecurrentPadded = final(
        new TransposedWeightGradProgram(rows, hidden, gates * hp, recurrentOffset, secondA),
        twoPhase ? [transposed(previousH), deltasT, transposed(candidate!)] : [transposed(previousH), deltasT],
      );
    }
    const dKernel = unpad(dKernelPadded, [inputSize, gates * hidden]);
    const dRecurrent = unpad(dRecurrentPadded, [hidden, gates * hidden]);
    let dBias: TensorInfo;
    const biasSums = temp(new ColumnSumProgram(rows, deltaBlocks(shape) * hp), [deltas]);
    if (resetAfter) {
      // [dP sums, dQ sums] → [2, 3H]: row r, gate block, offset k.
      dBias = output(
        new RemapProgram([2, gates * hidden], ['source'], `
          float valueAt(int r, int c) {
            int block = c / ${hidden};
            int col = r * ${gates * hp} + block * ${hp} + c - block * ${hidden};
            return elementOf(getSource(col), 0, imod(col, 2));
          }`),
        [biasSums],
      );
    } else {
      dBias = output(new RemapProgram([gates * hidden], ['source'], blockRemapGlsl({ lead: '', fromWidth: hp, toWidth: hidden, valid: hidden, offset: 0 })), [biasSums]);
    }
    const result = [dx, dKernel, dRecurrent, dBias];
    if (lstm) result.push(takeColumns(backend, initialGrads, hidden, 0), takeColumns(backend, initialGrads, hidden, hp));
    else result.push(initialGrads);
    if (hiddenStateGrads) result.push(lstm ? takeColumns(backend, grads, hidden, 0) : grads);
    return result;
  } finally {
    for (const info of owned) backend.disposeIntermediateTensorInfo(info);
    packed.dispose();
  }
}

/** Fused backward kernel of core's LSTM op ({@link LstmSequenceGrad}) on the `webgl` backend. */
export const lstmSequenceGradConfig: KernelConfig = {
  kernelName: LstmSequenceGrad,
  backendName: 'webgl',
  kernelFunc: ((args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }) =>
    gatedSequenceGradWebGL('lstm', LstmSequenceGrad, args)) as unknown as KernelFunc,
};

/** Fused backward kernel of core's GRU op ({@link GruSequenceGrad}) on the `webgl` backend, both Keras forms. */
export const gruSequenceGradConfig: KernelConfig = {
  kernelName: GruSequenceGrad,
  backendName: 'webgl',
  kernelFunc: ((args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }) =>
    gatedSequenceGradWebGL('gru', GruSequenceGrad, args)) as unknown as KernelFunc,
};
