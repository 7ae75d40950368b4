import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { RnnSequence, type RnnSequenceAttrs } from '@basicrnn/core';
import { ACTIVATION_CODES, pointerOf, rnnModuleFor, rowPointer, runCall } from './rnn_module.js';
import { withDefaults } from './gated.js';
import { expectFloat32, expectShape } from './shapes.js';

interface Inputs {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias?: TensorInfo;
  /** Absent: zeros. */
  h0?: TensorInfo;
  mask?: TensorInfo;
}

/**
 * Forward of {@link RnnSequence} on wasm: the whole sequence in one call into the fused module (one SIMD gemm
 * for the input projection of every step, then per step an in-place `h·U` gemm and the activation), writing the
 * hidden states [B, T, H] straight into the output tensor. No tensor is allocated besides the output; scratch
 * comes from tfjs's allocator and is freed before returning.
 */
function rnnSequence(args: { inputs: Inputs; backend: BackendWasm; attrs: RnnSequenceAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, kernel, recurrentKernel, bias, h0, mask } = inputs;
  expectFloat32(RnnSequence, { x, kernel, recurrentKernel, bias, h0, mask });
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0]!;
  expectShape(RnnSequence, 'kernel', kernel, [inputSize, hidden]);
  expectShape(RnnSequence, 'recurrentKernel', recurrentKernel, [hidden, hidden]);
  if (bias !== undefined) expectShape(RnnSequence, 'bias', bias, [hidden]);
  if (h0 !== undefined) expectShape(RnnSequence, 'h0', h0, [batch, hidden]);
  if (mask !== undefined) expectShape(RnnSequence, 'mask', mask, [batch, steps]);
  const activation = ACTIVATION_CODES[attrs.activation];
  if (activation === undefined) throw new Error(`${RnnSequence} (wasm): unknown activation ${JSON.stringify(attrs.activation)}`);

  const out = backend.makeOutput([batch, steps, hidden], 'float32');
  if (batch * steps * hidden === 0) return out;
  const rnn = rnnModuleFor(backend);
  const [px, pk, pu, pb, pm, po] = [x, kernel, recurrentKernel, bias, mask, out].map((t) =>
    t === undefined ? 0 : pointerOf(backend, t),
  ) as number[];
  // An absent h0 is zeros (the module reads it); an absent mask the module treats as ones itself.
  const named = inputs as unknown as Record<string, TensorInfo | undefined>;
  const absent = { h0: { floats: batch * hidden, value: 0 } } as const;
  withDefaults(backend, named, (name) => pointerOf(backend, named[name]!), absent, (p) => {
    const ph0 = p('h0');
    runCall(backend, {
      fn: 'forward',
      batch,
      work: batch * steps * hidden * (inputSize + hidden),
      scratchBytes: (rows) => rnn.forwardScratchBytes(rows, steps, inputSize, hidden),
      sums: [],
      sumOutputs: [],
      args: (rows, scratch) => [
        rowPointer(px!, rows, steps * inputSize), pk!, pu!, pb!, rowPointer(ph0, rows, hidden), rowPointer(pm!, rows, steps),
        rowPointer(po!, rows, steps * hidden), scratch, rows.count, steps, inputSize, hidden, activation, attrs.goBackwards ? 1 : 0,
      ],
    });
  });
  return out;
}

/** Registers {@link rnnSequence} as the wasm kernel of core's `RnnSequence` op (see register.ts). */
export const rnnSequenceConfig: KernelConfig = {
  kernelName: RnnSequence,
  backendName: 'wasm',
  kernelFunc: rnnSequence as unknown as KernelFunc,
};
