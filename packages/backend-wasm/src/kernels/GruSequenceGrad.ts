import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceGradAttrs, GruSequenceGrad } from '@basicrnn/core';
import { gatedCall, zeroFill } from './gated.js';
import { gruGateInputs, gruGatesKey } from './GruSequence.js';
import { pointerOf, rnnModuleFor, rowPointer, runCall } from './rnn_module.js';
import { freeGates, gateSliceWritten, gateSplitOf, takeGates } from './saved_gates.js';

/**
 * GRU BPTT on wasm (both `resetAfter` forms) in one call into the fused module: z, r and ĥ of every step are
 * recomputed by batched gemms from the saved states, the step loop carries ∂/∂h with per-step gemms against a
 * pre-transposed U, and the weight gradients and dx are single SIMD gemms over all B·T rows. Outputs, in order:
 * dx, dKernel, dRecurrentKernel, dBias (the bias's shape: [2, 3H] with resetAfter), dh0, and dHiddenStates
 * [B, T, H] when `hiddenStateGrads` is set.
 */
function gruSequenceGrad(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceGradAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(GruSequenceGrad, 3, inputs, backend, attrs);
  const { batch, steps, inputSize, units } = call.sizes;
  for (const name of ['hiddenStates', 'dh']) {
    if (inputs[name] === undefined) throw new Error(`${GruSequenceGrad} (wasm): input ${name} is missing`);
  }
  const g = 3 * units;
  const outputs = [
    backend.makeOutput([batch, steps, inputSize], 'float32'),
    backend.makeOutput([inputSize, g], 'float32'),
    backend.makeOutput([units, g], 'float32'),
    backend.makeOutput(attrs.resetAfter ? [2, g] : [g], 'float32'),
    backend.makeOutput([batch, units], 'float32'),
  ];
  if (attrs.hiddenStateGrads) outputs.push(backend.makeOutput([batch, steps, units], 'float32'));
  if (batch * steps * units === 0) {
    zeroFill(backend, outputs);
    return outputs;
  }
  const [dx, dKernel, dRecurrentKernel, dBias, dh0, dHidden] = outputs.map((t) => pointerOf(backend, t)) as number[];
  const rnn = rnnModuleFor(backend);
  const p = call.pointer;
  const seq = steps * units;
  // The forward's gate values when it saved them for this very call (saved_gates.ts) and wrote this share's rows
  // in the same split; 0: the share recomputes them.
  const gates = takeGates(backend, gruGatesKey(call, attrs), gruGateInputs(inputs));
  const gateRowBytes = rnn.gruGatesBytes(1, steps, units);
  try {
    runCall(backend, {
      fn: 'gruBackward',
      batch,
      work: batch * steps * g * (inputSize + units),
      scratchBytes: (rows) => rnn.gruBackwardScratchBytes(rows, steps, inputSize, units),
      // dKernel, dRecurrentKernel, dBias ([2, 3H] with resetAfter): sums over the batch.
      sums: [inputSize * g, units * g, attrs.resetAfter ? 2 * g : g],
      sumOutputs: [dKernel!, dRecurrentKernel!, dBias!],
      preferredSplit: gateSplitOf(gates),
      args: (rows, scratch, [dw, du, db]) => [
        rowPointer(p('x'), rows, steps * inputSize), p('kernel'), p('recurrentKernel'), p('bias'),
        rowPointer(p('h0'), rows, units), rowPointer(p('mask'), rows, steps), rowPointer(p('hiddenStates'), rows, seq),
        rowPointer(p('dh'), rows, seq), gateSliceWritten(gates, rows) ? gates + rows.start * gateRowBytes : 0,
        rowPointer(dx!, rows, steps * inputSize), dw!, du!, db!,
        rowPointer(dh0!, rows, units), rowPointer(dHidden ?? 0, rows, seq),
        scratch, rows.count, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.resetAfter ? 1 : 0,
        attrs.goBackwards ? 1 : 0,
      ],
    });
  } finally {
    freeGates(backend, gates);
  }
  return outputs;
}

/** Registers {@link gruSequenceGrad} as the wasm kernel of core's `GruSequenceGrad` op (see register.ts). */
export const gruSequenceGradConfig: KernelConfig = {
  kernelName: GruSequenceGrad,
  backendName: 'wasm',
  kernelFunc: gruSequenceGrad as unknown as KernelFunc,
};
