import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { RnnSequence, type RnnSequenceAttrs } from '@basicrnn/core';
import { PackedInputs, isConstantOnCpu } from './packed_inputs.js';
import { InputProjectionProgram } from './programs/input_projection_program.js';
import { RnnStepProgram, type RecurrenceShape, type StepVariant } from './programs/rnn_step_program.js';
import { directTexelFetchEnabled, readsRowMajor } from './texel_layout.js';
import { ProgramCache, SequenceGather, maxPendingSteps } from './step_schedule.js';

/** The inputs a fused {@link RnnSequence} kernel receives: `bias`, `h0` (zeros) and `mask` (ones) may be absent. */
interface RnnSequenceKernelInputs {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias?: TensorInfo;
  h0?: TensorInfo;
  mask?: TensorInfo;
}

/**
 * The whole forward recurrence as T shader programs plus a few copies: one per step that fuses x_s·W + b, h·U,
 * the activation and the mask and writes h_s as a [B, H] texture (on WebGL1, or for an x texture laid out
 * another way, one more program first projects every step's input, and the steps read that). A separate
 * projection program cost more than the products it saved at L (B64·T100·I32·H256, SwiftShader): ~100 ms for
 * 409,600 output texels of only 16 texel pairs each, against a few % more work in each step. Every 16 steps, and at the last, a StepStackProgram copies the
 * pending step textures into one [B, 16, H] chunk, and a {@link SequenceGather} assembles the chunks into the
 * [B, T, H] output (processing order): T/16 stacks and about T/256 + 1 gathers, none when one chunk holds every
 * step. (Step programs that also wrote the chunk every 13 steps were measured slower: on SwiftShader such a
 * program ran its dot products for every texel of the chunk, ~6 plain steps at B64·H256.)
 */
export function rnnSequenceWebGL(args: { inputs: object; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const inputs = args.inputs as RnnSequenceKernelInputs;
  const backend = args.backend as MathBackendWebGL;
  const { activation, goBackwards } = args.attrs as unknown as RnnSequenceAttrs;
  const [batch, steps, inputSize] = inputs.x.shape as [number, number, number];
  const hidden = inputs.kernel.shape[1] as number;
  const outputShape = [batch, steps, hidden];
  if (batch * steps * hidden === 0) return backend.makeTensorInfo(outputShape, 'float32', new Float32Array(0));

  const packed = new PackedInputs(backend);
  try {
    const x = packed.prepare(inputs.x);
    const kernel = packed.prepare(inputs.kernel);
    const recurrent = packed.prepare(inputs.recurrentKernel);
    // An absent mask or h0, or a mask of ones and a zero h0 made on the CPU for this call, are read as constants.
    const constant = {
      noMask: inputs.mask === undefined || isConstantOnCpu(backend, inputs.mask, 1),
      zeroInitial: inputs.h0 === undefined || isConstantOnCpu(backend, inputs.h0, 0),
    };
    const initial = constant.zeroInitial ? [] : [packed.prepare(inputs.h0!)];
    const mask = constant.noMask ? [] : [packed.prepare(inputs.mask!)];
    const bias = inputs.bias === undefined ? undefined : packed.prepare(inputs.bias);

    const shape: RecurrenceShape = { batch, steps, hidden, activation, goBackwards };
    // WebGL2 and a row-major x texture (all but huge shapes): each step computes its own x_s·W + b (no
    // projection program, see RnnStepProgram's `inputs`); otherwise one time-major projection program first.
    const projecting = directTexelFetchEnabled() && readsRowMajor(backend, x);
    const weights = bias ? [x, kernel, bias] : [x, kernel];
    // Intermediates stay packed whatever WEBGL_LAZILY_UNPACK says (the last argument); the output follows it.
    const proj = projecting
      ? null
      : backend.runWebGLProgram(new InputProjectionProgram(shape, inputSize, bias !== undefined), weights, 'float32', undefined, true);
    const products = projecting ? { inputSize, hasBias: bias !== undefined } : undefined;
    const programs = new ProgramCache((v: StepVariant) => new RnnStepProgram(shape, v, { ...constant, inputs: products }));
    const fixed = [...(proj === null ? weights : [proj]), recurrent, ...mask];
    // Steps stacked per chunk: a stack program samples only them.
    const maxPending = maxPendingSteps(0);
    const gather = new SequenceGather(backend, batch, steps, hidden);
    // Step tensors not yet stacked (steps s - pending.length … s - 1), and h_{s-1} once stacked.
    let pending: TensorInfo[] = [];
    let previous: TensorInfo | null = null;
    try {
      for (let s = 0; s < steps; s++) {
        const variant: StepVariant = { previous: s === 0 ? 'initial' : 'pending', pending: s === 0 ? 0 : 1, chunkRows: 0, output: 'step' };
        const out = backend.runWebGLProgram(programs.get(variant), [...fixed, ...(previous === null ? initial : [previous])], 'float32', [[s]], true);
        if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
        previous = out;
        pending.push(out);
        if (pending.length === maxPending || s === steps - 1) {
          // A chunk that is the whole output follows WEBGL_LAZILY_UNPACK; intermediates stay packed.
          const first = s + 1 - pending.length;
          gather.addSteps(pending, first, !(first === 0 && s === steps - 1));
          for (const info of pending) if (info !== out) backend.disposeIntermediateTensorInfo(info);
          pending = [];
        }
      }
      if (previous !== null) backend.disposeIntermediateTensorInfo(previous);
      previous = null;
      if (proj !== null) backend.disposeIntermediateTensorInfo(proj);
      return gather.finish(false);
    } catch (error) {
      if (proj !== null) backend.disposeIntermediateTensorInfo(proj);
      for (const info of pending) backend.disposeIntermediateTensorInfo(info);
      if (previous !== null && !pending.includes(previous)) backend.disposeIntermediateTensorInfo(previous);
      gather.dispose();
      throw error;
    }
  } finally {
    packed.dispose();
  }
}

/** Fused forward kernel of core's recurrence op ({@link RnnSequence}) on the `webgl` backend. */
export const rnnSequenceConfig: KernelConfig = {
  kernelName: RnnSequence,
  backendName: 'webgl',
  kernelFunc: rnnSequenceWebGL as unknown as KernelFunc,
};
