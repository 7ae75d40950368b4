import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceGradAttrs, LstmSequenceGrad } from '@basicrnn/core';
import { gatedCall, zeroFill } from './gated.js';
import { lstmGateInputs, lstmGatesKey } from './LstmSequence.js';
import { pointerOf, rnnModuleFor, rowPointer, runCall } from './rnn_module.js';
import { freeGates, takeGates } from './saved_gates.js';

/**
 * LSTM BPTT on wasm in one call into the fused module: the gate values of every step are recomputed by two
 * batched gemms from the saved states, the step loop carries ∂/∂h and ∂/∂c with one gemm against a pre-transposed
 * U per step, and dW = Xᵀ·dZ, dU = H_prevᵀ·dZ, dx = dZ·Wᵀ run as single SIMD gemms over all B·T rows (transposed
 * operands read in place). Outputs, in order: dx, dKernel, dRecurrentKernel, dBias, dh0, dc0, and dHiddenStates
 * [B, T, H] (∂loss/∂h_t reaching each step, processing order) when `hiddenStateGrads` is set.
 */
function lstmSequenceGrad(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceGradAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(LstmSequenceGrad, 4, inputs, backend, attrs);
  const { batch, steps, inputSize, units } = call.sizes;
  for (const name of ['hiddenStates', 'cellStates', 'dh', 'dc']) {
    if (inputs[name] === undefined) throw new Error(`${LstmSequenceGrad} (wasm): input ${name} is missing`);
  }
  const g = 4 * units;
  const outputs = [
    backend.makeOutput([batch, steps, inputSize], 'float32'),
    backend.makeOutput([inputSize, g], 'float32'),
    backend.makeOutput([units, g], 'float32'),
    backend.makeOutput([g], 'float32'),
    backend.makeOutput([batch, units], 'float32'),
    backend.makeOutput([batch, units], 'float32'),
  ];
  if (attrs.hiddenStateGrads) outputs.push(backend.makeOutput([batch, steps, units], 'float32'));
  if (batch * steps * units === 0) {
    zeroFill(backend, outputs);
    return outputs;
  }
  const [dx, dKernel, dRecurrentKernel, dBias, dh0, dc0, dHidden] = outputs.map((t) => pointerOf(backend, t)) as number[];
  const rnn = rnnModuleFor(backend);
  const p = call.pointer;
  const seq = steps * units;
  // The forward's gate values when it saved them for this very call (saved_gates.ts); 0: recompute them.
  const gates = takeGates(backend, lstmGatesKey(call, attrs), lstmGateInputs(inputs));
  const gateRowBytes = rnn.lstmGatesBytes(1, steps, units);
  try {
    runCall(backend, {
      fn: 'lstmBackward',
      batch,
      work: batch * steps * g * (inputSize + units),
      scratchBytes: (rows) => rnn.lstmBackwardScratchBytes(rows, steps, inputSize, units),
      // dKernel, dRecurrentKernel, dBias: sums over the batch.
      sums: [inputSize * g, units * g, g],
      sumOutputs: [dKernel!, dRecurrentKernel!, dBias!],
      args: (rows, scratch, [dw, du, db]) => [
        rowPointer(p('x'), rows, steps * inputSize), p('kernel'), p('recurrentKernel'), p('bias'),
        rowPointer(p('h0'), rows, units), rowPointer(p('c0'), rows, units), rowPointer(p('mask'), rows, steps),
        rowPointer(p('hiddenStates'), rows, seq), rowPointer(p('cellStates'), rows, seq),
        rowPointer(p('dh'), rows, seq), rowPointer(p('dc'), rows, seq), gates === 0 ? 0 : gates + rows.start * gateRowBytes,
        rowPointer(dx!, rows, steps * inputSize), dw!, du!, db!, rowPointer(dh0!, rows, units), rowPointer(dc0!, rows, units),
        rowPointer(dHidden ?? 0, rows, seq),
        scratch, rows.count, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.goBackwards ? 1 : 0,
      ],
      // Split by units, each thread writes its own columns of dKernel, dRecurrentKernel and dBias (no sums).
      columns: {
        fn: 'lstmBackwardColumns',
        hidden: units,
        stepWork: batch * 4 * units * units,
        sharedBytes: rnn.lstmBackwardScratchBytes(batch, steps, inputSize, units),
        ownBytes: rnn.lstmBackwardColumnsBytes(batch, inputSize, units),
        args: (part, shared, scratch, ctl, threads) => [
          p('x'), p('kernel'), p('recurrentKernel'), p('bias'), p('h0'), p('c0'), p('mask'), p('hiddenStates'), p('cellStates'),
          p('dh'), p('dc'), gates, dx!, dKernel!, dRecurrentKernel!, dBias!, dh0!, dc0!, dHidden ?? 0, shared, scratch,
          batch, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.goBackwards ? 1 : 0,
          part.j0, part.j1, part.b0, part.b1, ctl, threads, part.index,
        ],
      },
    });
  } finally {
    freeGates(backend, gates);
  }
  return outputs;
}

/** Registers {@link lstmSequenceGrad} as the wasm kernel of core's `LstmSequenceGrad` op (see register.ts). */
export const lstmSequenceGradConfig: KernelConfig = {
  kernelName: LstmSequenceGrad,
  backendName: 'wasm',
  kernelFunc: lstmSequenceGrad as unknown as KernelFunc,
};
