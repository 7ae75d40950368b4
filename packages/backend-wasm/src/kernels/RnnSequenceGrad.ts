import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { RnnSequenceGrad, type RnnSequenceGradAttrs } from '@basicrnn/core';
import { ACTIVATION_CODES, pointerOf, rnnModuleFor, rowPointer, runCall } from './rnn_module.js';
import { expectFloat32, expectShape } from './shapes.js';

interface Inputs {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  h0: TensorInfo;
  hiddenStates: TensorInfo;
  dy: TensorInfo;
  mask?: TensorInfo;
}

/**
 * Backward of the recurrence (BPTT) on wasm, in one call into the fused module: the step loop carries
 * `dz·Uᵀ` with a pre-transposed U, then the weight gradients Xᵀ·dZ and H_prevᵀ·dZ and dx = dZ·Wᵀ run as single
 * SIMD gemms over all B·T rows (the transposed operands are read in place: no transposed slow path, no copies).
 * Outputs, in order: dx [B, T, I] (original time order), dKernel [I, H], dRecurrentKernel [H, H], dBias [H],
 * dh0 [B, H].
 */
function rnnSequenceGrad(args: { inputs: Inputs; backend: BackendWasm; attrs: RnnSequenceGradAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, kernel, recurrentKernel, h0, hiddenStates, dy, mask } = inputs;
  expectFloat32(RnnSequenceGrad, { x, kernel, recurrentKernel, h0, hiddenStates, dy, mask });
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const hidden = recurrentKernel.shape[0]!;
  expectShape(RnnSequenceGrad, 'kernel', kernel, [inputSize, hidden]);
  expectShape(RnnSequenceGrad, 'recurrentKernel', recurrentKernel, [hidden, hidden]);
  expectShape(RnnSequenceGrad, 'h0', h0, [batch, hidden]);
  expectShape(RnnSequenceGrad, 'hiddenStates', hiddenStates, [batch, steps, hidden]);
  expectShape(RnnSequenceGrad, 'dy', dy, [batch, steps, hidden]);
  if (mask !== undefined) expectShape(RnnSequenceGrad, 'mask', mask, [batch, steps]);
  const activation = ACTIVATION_CODES[attrs.activation];
  if (activation === undefined) throw new Error(`${RnnSequenceGrad} (wasm): unknown activation ${JSON.stringify(attrs.activation)}`);

  const dx = backend.makeOutput([batch, steps, inputSize], 'float32');
  const dKernel = backend.makeOutput([inputSize, hidden], 'float32');
  const dRecurrentKernel = backend.makeOutput([hidden, hidden], 'float32');
  const dBias = backend.makeOutput([hidden], 'float32');
  const dh0 = backend.makeOutput([batch, hidden], 'float32');
  const outputs = [dx, dKernel, dRecurrentKernel, dBias, dh0];
  if (batch * steps * hidden === 0) {
    // Nothing flows back; the outputs must still hold zeros (makeOutput leaves memory uninitialised).
    for (const t of outputs) backend.typedArrayFromHeap(t).fill(0);
    return outputs;
  }
  const rnn = rnnModuleFor(backend);
  const ptr = (t: TensorInfo | undefined) => (t === undefined ? 0 : pointerOf(backend, t));
  runCall(backend, {
    fn: 'backward',
    batch,
    work: batch * steps * hidden * (inputSize + hidden),
    scratchBytes: (rows) => rnn.backwardScratchBytes(rows, steps, inputSize, hidden),
    // dKernel, dRecurrentKernel, dBias: sums over the batch.
    sums: [inputSize * hidden, hidden * hidden, hidden],
    sumOutputs: [ptr(dKernel), ptr(dRecurrentKernel), ptr(dBias)],
    args: (rows, scratch, [dw, du, db]) => [
      rowPointer(ptr(x), rows, steps * inputSize), ptr(kernel), ptr(recurrentKernel), rowPointer(ptr(h0), rows, hidden),
      rowPointer(ptr(hiddenStates), rows, steps * hidden), rowPointer(ptr(dy), rows, steps * hidden),
      rowPointer(ptr(mask), rows, steps), rowPointer(ptr(dx), rows, steps * inputSize), dw!, du!, db!,
      rowPointer(ptr(dh0), rows, hidden), scratch, rows.count, steps, inputSize, hidden, activation, attrs.goBackwards ? 1 : 0,
    ],
  });
  return outputs;
}

/** Registers {@link rnnSequenceGrad} as the wasm kernel of core's `RnnSequenceGrad` op (see register.ts). */
export const rnnSequenceGradConfig: KernelConfig = {
  kernelName: RnnSequenceGrad,
  backendName: 'wasm',
  kernelFunc: rnnSequenceGrad as unknown as KernelFunc,
};
