import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { RnnSequence, type RnnSequenceAttrs } from '@basicrnn/core';
import { PackedInputs } from './packed_inputs.js';
import { InputProjectionProgram } from './programs/input_projection_program.js';
import { RnnStepProgram, type RecurrenceShape, type StepVariant } from './programs/rnn_step_program.js';
import { ProgramCache, SequenceGather, maxPendingSteps, type SequencePiece } from './step_schedule.js';

/** The inputs a fused {@link RnnSequence} kernel receives: core always passes a mask, `bias` may be absent. */
interface RnnSequenceKernelInputs {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias?: TensorInfo;
  h0: TensorInfo;
  mask: TensorInfo;
}

/**
 * The whole forward recurrence as T+1 shader programs plus a few gathers: one for the input projection x·W + b
 * over every timestep, then one per step that fuses h·U, the projected input, the activation and the mask.
 * Steps write [B, H] textures; every few steps, and at the last, a step also writes them as one chunk
 * (see {@link RnnStepProgram}), and a {@link SequenceGather} assembles the chunks into the [B, T, H] output
 * (processing order): about T/190 + 1 gather programs, none when one chunk holds every step.
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
    const h0 = packed.prepare(inputs.h0);
    const mask = packed.prepare(inputs.mask);
    const bias = inputs.bias === undefined ? undefined : packed.prepare(inputs.bias);

    const shape: RecurrenceShape = { batch, steps, hidden, activation, goBackwards };
    // Intermediates stay packed whatever WEBGL_LAZILY_UNPACK says (the last argument); the output follows it.
    const proj = backend.runWebGLProgram(
      new InputProjectionProgram(shape, inputSize, bias !== undefined),
      bias ? [x, kernel, bias] : [x, kernel],
      'float32',
      undefined,
      true,
    );
    const programs = new ProgramCache((v: StepVariant) => new RnnStepProgram(shape, v));
    // Inputs every step reads, then the previous state's tensor (h0 or a chunk), then the pending step tensors.
    const fixed = [proj, recurrent, mask];
    const maxPending = maxPendingSteps(fixed.length + 1);
    const gather = new SequenceGather(backend, batch, steps, hidden);
    let pending: TensorInfo[] = [];
    // The chunk the last flush wrote: the next step reads its last row, so it joins the gather only afterwards.
    let chunk: SequencePiece | null = null;
    try {
      for (let s = 0; s < steps; s++) {
        const previous = s === 0 ? 'initial' : pending.length > 0 ? 'pending' : 'chunk';
        const flush = s === steps - 1 || pending.length === maxPending;
        // A plain step reads only the tensor it starts from; a flush reads every pending one.
        const reads = flush ? pending : pending.slice(-1);
        const variant: StepVariant = {
          previous,
          pending: previous === 'pending' || flush ? reads.length : 0,
          chunkRows: previous === 'chunk' ? chunk!.end - chunk!.start : 0,
          output: flush ? 'flush' : 'step',
        };
        const list = [
          ...fixed,
          ...(previous === 'initial' ? [h0] : []),
          ...(previous === 'chunk' ? [chunk!.info] : []),
          ...(variant.pending > 0 ? reads : []),
        ];
        // Intermediates stay packed whatever WEBGL_LAZILY_UNPACK says; a chunk that is the whole output follows it.
        const whole = flush && s === steps - 1 && s - reads.length === 0;
        const out = backend.runWebGLProgram(programs.get(variant), list, 'float32', [[s]], !whole);
        if (flush) {
          for (const info of pending) backend.disposeIntermediateTensorInfo(info);
          pending = [];
          if (chunk !== null) gather.add(chunk);
          chunk = { info: out, start: s - reads.length, end: s + 1, first: 0, owned: true };
        } else {
          pending.push(out);
        }
      }
      gather.add(chunk!);
      chunk = null;
      backend.disposeIntermediateTensorInfo(proj);
      return gather.finish(false);
    } catch (error) {
      backend.disposeIntermediateTensorInfo(proj);
      for (const info of pending) backend.disposeIntermediateTensorInfo(info);
      if (chunk !== null) backend.disposeIntermediateTensorInfo(chunk.info);
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
