import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { RnnSequenceGrad, type RnnSequenceGradAttrs } from '@basicrnn/core';
import { PackedInputs } from './packed_inputs.js';
import { BiasGradProgram } from './programs/bias_grad_program.js';
import { RnnCarryProgram, type CarryVariant } from './programs/rnn_carry_program.js';
import { RnnDeltaProgram } from './programs/rnn_delta_program.js';
import { RnnSlopeProgram } from './programs/rnn_slope_program.js';
import type { RecurrenceShape } from './programs/rnn_step_program.js';
import { SequenceMatMulProgram } from './programs/sequence_matmul_program.js';
import { WeightGradProgram, weightGradReadsFlat, weightGradSplits } from './programs/weight_grad_program.js';
import { SequenceOperandTransposeProgram, PackedTransposeProgram, TransposedWeightGradProgram } from './programs/transposed_weight_grad_program.js';
import { ProgramCache, SequenceGather, maxPendingSteps } from './step_schedule.js';
import { directTexelFetchEnabled, readsRowMajor } from './texel_layout.js';

/** The inputs of a fused {@link RnnSequenceGrad} kernel; `mask` is absent when the op is called without one. */
interface RnnSequenceGradKernelInputs {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  h0: TensorInfo;
  hiddenStates: TensorInfo;
  dy: TensorInfo;
  mask?: TensorInfo;
}

/**
 * Backpropagation through time as T+7 shader programs (a few more past T ≈ 190, and 3 more from B·T = 1,024 with T
 * even: dz, x and h_{s-1} transposed for the weight gradients): m·act'(h) for every step, T-1
 * carry steps that compute the total gradients g in chunks (see {@link RnnCarryProgram}), one for dh0, the
 * gathers that assemble the chunks into one [B, T, H] tensor ({@link SequenceGather}), one for dz over all
 * steps, then dx, dW, dU and db each as a single program over every batch row and timestep.
 * Outputs, in order: dx [B, T, I] (original time order), dKernel [I, H], dRecurrentKernel [H, H], dBias [H],
 * dh0 [B, H].
 */
export function rnnSequenceGradWebGL(args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const inputs = args.inputs as RnnSequenceGradKernelInputs;
  const backend = args.backend as MathBackendWebGL;
  const { activation, goBackwards } = args.attrs as unknown as RnnSequenceGradAttrs;
  const [batch, steps, inputSize] = inputs.x.shape as [number, number, number];
  const hidden = inputs.recurrentKernel.shape[0] as number;
  if (batch * steps * hidden * inputSize === 0) return zeroSizedGrads(backend, batch, steps, inputSize, hidden);

  const packed = new PackedInputs(backend);
  try {
    const x = packed.prepare(inputs.x);
    const kernel = packed.prepare(inputs.kernel);
    const recurrent = packed.prepare(inputs.recurrentKernel);
    const h0 = packed.prepare(inputs.h0);
    const states = packed.prepare(inputs.hiddenStates);
    const dy = packed.prepare(inputs.dy);
    const mask = inputs.mask === undefined ? undefined : packed.prepare(inputs.mask);
    const withMask = (list: TensorInfo[]) => (mask === undefined ? list : [...list, mask]);
    const shape: RecurrenceShape = { batch, steps, hidden, activation, goBackwards };
    const hasMask = mask !== undefined;

    // Outputs follow WEBGL_LAZILY_UNPACK like any tfjs kernel's; intermediates stay packed (the `true`s).
    const run = (program: GPGPUProgram, list: TensorInfo[], uniforms?: number[][]) =>
      backend.runWebGLProgram(program, list, 'float32', uniforms);

    // g_{T-1} is dy_{T-1}; each step s yields g_{s-1}, as a [B, H] tensor, and every few steps (and at s = 1)
    // writes them as one chunk; a SequenceGather assembles dy's last row and the chunks, as the forward kernel does.
    const programs = new ProgramCache((v: CarryVariant) => new RnnCarryProgram(shape, hasMask, v));
    // m·act'(h) for every step, once, so the steps' dot products read one cheap texel instead of two.
    const slopes = backend.runWebGLProgram(new RnnSlopeProgram(shape, hasMask), withMask([states]), 'float32', undefined, true);
    const fixed = withMask([dy, slopes, recurrent]);
    // Steps stacked per chunk: a stack program samples only them.
    const maxPending = maxPendingSteps(0);
    const gather = new SequenceGather(backend, batch, steps, hidden);
    // g tensors not yet stacked (descending time), and g_s once stacked.
    let pending: TensorInfo[] = [];
    let previous: TensorInfo | null = null;
    let stacked = false;
    let grads: TensorInfo;
    let dh0: TensorInfo;
    try {
      // Pieces arrive in descending time: dy's row T-1 first.
      gather.add({ info: dy, start: steps - 1, end: steps, first: steps - 1, owned: false });
      const variantAt = (s: number, output: CarryVariant['output']): CarryVariant =>
        s === steps - 1 ? { source: 'dy', pending: 0, output } : { source: 'pending', pending: 1, output };
      for (let s = steps - 1; s >= 1; s--) {
        const out = backend.runWebGLProgram(programs.get(variantAt(s, 'step')), [...fixed, ...(previous ? [previous] : [])], 'float32', [[s]], true);
        if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
        previous = out;
        pending.push(out);
        if (pending.length === maxPending || s === 1) {
          // g_{s-1} … ascending: the stack's rows are in time order.
          gather.addSteps([...pending].reverse(), s - 1);
          stacked = true;
          for (const info of pending) if (info !== out) backend.disposeIntermediateTensorInfo(info);
          pending = [];
        }
      }
      dh0 = run(programs.get(variantAt(0, 'initialState')), [...fixed, ...(previous ? [previous] : [])], [[0]]);
      if (previous !== null) backend.disposeIntermediateTensorInfo(previous);
      previous = null;
      if (stacked) {
        grads = gather.finish(true);
      } else {
        gather.dispose();
        grads = dy;
      }
    } catch (error) {
      for (const info of pending) backend.disposeIntermediateTensorInfo(info);
      if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
      gather.dispose();
      backend.disposeIntermediateTensorInfo(slopes);
      throw error;
    }
    backend.disposeIntermediateTensorInfo(slopes);
    const deltas = backend.runWebGLProgram(new RnnDeltaProgram(shape, hasMask), withMask([grads, states]), 'float32', undefined, true);
    if (grads !== dy) backend.disposeIntermediateTensorInfo(grads);

    const dx = run(
      new SequenceMatMulProgram(batch, steps, hidden, inputSize, {
        transposeMatrix: true,
        reverseTime: goBackwards,
        seqRowMajor: directTexelFetchEnabled() && readsRowMajor(backend, deltas),
      }),
      [deltas, kernel],
    );
    // With T even the weight gradients read [B·T, ·] views of the sequences (free reshapes, see weightGradReadsFlat).
    const rows = (info: TensorInfo): TensorInfo =>
      weightGradReadsFlat(steps) ? { ...info, shape: [batch * steps, info.shape[2] as number] } : info;
    const splits = weightGradSplits(batch, steps);
    // Long sequences (T even, B·T ≥ 1,024): dz, x and h_{s-1} transposed once, so that every walk runs along
    // texture rows (TransposedWeightGradProgram).
    const deltasT = splits === 1 ? null : backend.runWebGLProgram(new PackedTransposeProgram(batch * steps, hidden), [rows(deltas)], 'float32', undefined, true);
    const weightGrad = (inner: number, source: 'input' | 'previousState', list: TensorInfo[]): TensorInfo => {
      if (deltasT !== null) {
        const operand = backend.runWebGLProgram(
          new SequenceOperandTransposeProgram(batch, steps, inner, source, goBackwards, hasMask),
          list.slice(1),
          'float32',
          undefined,
          true,
        );
        const grad = run(new TransposedWeightGradProgram(batch * steps, inner, hidden, 0, null), [operand, deltasT]);
        backend.disposeIntermediateTensorInfo(operand);
        return grad;
      }
      // dW zeroes masked steps' x by select (it may be NaN there, and dz = 0 would not cancel it).
      const program = new WeightGradProgram(batch, steps, inner, hidden, source, goBackwards, hasMask);
      return run(program, list);
    };
    const dKernel = weightGrad(inputSize, 'input', mask === undefined ? [rows(deltas), rows(x)] : [rows(deltas), rows(x), mask]);
    const dRecurrent = weightGrad(hidden, 'previousState', [rows(deltas), rows(states), h0]);
    if (deltasT !== null) backend.disposeIntermediateTensorInfo(deltasT);
    const dBias = run(new BiasGradProgram(batch, steps, hidden), [deltas]);
    backend.disposeIntermediateTensorInfo(deltas);
    return [dx, dKernel, dRecurrent, dBias, dh0];
  } finally {
    packed.dispose();
  }
}

/** Zeros of the gradient shapes when a dimension is 0 (no program can run on an empty texture). */
function zeroSizedGrads(backend: MathBackendWebGL, batch: number, steps: number, inputSize: number, hidden: number): TensorInfo[] {
  const shapes = [[batch, steps, inputSize], [inputSize, hidden], [hidden, hidden], [hidden], [batch, hidden]];
  return shapes.map((shape) =>
    backend.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))),
  );
}

/** Fused backward kernel of core's recurrence op ({@link RnnSequenceGrad}) on the `webgl` backend. */
export const rnnSequenceGradConfig: KernelConfig = {
  kernelName: RnnSequenceGrad,
  backendName: 'webgl',
  kernelFunc: rnnSequenceGradWebGL as unknown as KernelFunc,
};
