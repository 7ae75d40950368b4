import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceAttrs, LstmSequence } from '@basicrnn/core';
import { gatedCall } from './gated.js';
import { pointerOf, rnnModuleFor, rowPointer, runCall } from './rnn_module.js';

/**
 * Forward of core's LSTM op on wasm, the whole sequence in one call into the fused module: the input projection of
 * every step and gate as one SIMD gemm, then per step one gemm h·U for the four gates and one pass that applies
 * the activations, the state update and the mask, writing hiddenStates and cellStates [B, T, H] (processing
 * order) straight into the outputs. Inputs as core's op fills them (bias, c0 and mask always present).
 */
function lstmSequence(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(LstmSequence, 4, inputs, backend, attrs);
  const { batch, steps, inputSize, units } = call.sizes;
  const hiddenStates = backend.makeOutput([batch, steps, units], 'float32');
  const cellStates = backend.makeOutput([batch, steps, units], 'float32');
  if (batch * steps * units === 0) return [hiddenStates, cellStates];
  const rnn = rnnModuleFor(backend);
  const p = call.pointer;
  const seq = steps * units;
  runCall(backend, {
    fn: 'lstmForward',
    batch,
    work: batch * steps * 4 * units * (inputSize + units),
    scratchBytes: (rows) => rnn.lstmForwardScratchBytes(rows, steps, inputSize, units),
    sums: [],
    sumOutputs: [],
    args: (rows, scratch) => [
      rowPointer(p('x'), rows, steps * inputSize), p('kernel'), p('recurrentKernel'), p('bias'),
      rowPointer(p('h0'), rows, units), rowPointer(p('c0'), rows, units), rowPointer(p('mask'), rows, steps),
      rowPointer(pointerOf(backend, hiddenStates), rows, seq), rowPointer(pointerOf(backend, cellStates), rows, seq),
      scratch, rows.count, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.goBackwards ? 1 : 0,
    ],
  });
  return [hiddenStates, cellStates];
}

/** Registers {@link lstmSequence} as the wasm kernel of core's `LstmSequence` op (see register.ts). */
export const lstmSequenceConfig: KernelConfig = {
  kernelName: LstmSequence,
  backendName: 'wasm',
  kernelFunc: lstmSequence as unknown as KernelFunc,
};
