import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceAttrs, LstmSequence, LstmSequenceFinal } from '@basicrnn/core';
import { type GatedCall, copyLastSteps, gatedCall, withDefaults } from './gated.js';
import { pointerOf, rnnModuleFor, rowPointer, runCall, withScratch } from './rnn_module.js';
import { allocateGates, freeGates, saveGates } from './saved_gates.js';

/**
 * Forward of core's LSTM op on wasm, the whole sequence in one call into the fused module: the input projection of
 * every step and gate as one SIMD gemm, then per step one gemm h·U for the four gates and one pass that applies
 * the activations, the state update and the mask, writing hiddenStates and cellStates [B, T, H] (processing
 * order) straight into the outputs. `bias` is always present; h0, c0 and the mask may be absent (see kernel_names.ts).
 */
function lstmSequence(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(LstmSequence, 4, inputs, backend, attrs);
  const { batch, steps, inputSize, units } = call.sizes;
  const hiddenStates = backend.makeOutput([batch, steps, units], 'float32');
  const cellStates = backend.makeOutput([batch, steps, units], 'float32');
  if (batch * steps * units === 0) return [hiddenStates, cellStates];
  const rnn = rnnModuleFor(backend);
  // Under a gradient tape the gate values are kept for the backward (saved_gates.ts).
  const gates = allocateGates(backend, rnn.lstmGatesBytes(batch, steps, units));
  try {
    runLstmForward(backend, call, inputs, attrs, pointerOf(backend, hiddenStates), pointerOf(backend, cellStates), gates);
  } catch (e) {
    freeGates(backend, gates);
    throw e;
  }
  // Outside a tape nothing is saved: skip building the key and the input list.
  if (gates !== 0) saveGates(backend, gates, hiddenStates, lstmGatesKey(call, attrs), lstmGateInputs(inputs));
  return [hiddenStates, cellStates];
}

/**
 * One call of the module's LSTM forward writing hiddenStates and cellStates [B, T, H] at the given byte offsets (and
 * the gate values at `gates` when not 0). Outside a tape h0, c0 and the mask may be absent (zeros, all ones:
 * kernel_names.ts).
 */
function runLstmForward(
  backend: BackendWasm,
  call: GatedCall,
  inputs: Record<string, TensorInfo>,
  attrs: GatedSequenceAttrs,
  hiddenPointer: number,
  cellPointer: number,
  gates: number,
): void {
  const { batch, steps, inputSize, units } = call.sizes;
  const rnn = rnnModuleFor(backend);
  // Saved gate rows are row-local ([B·T, 4H], batch-major): a kernel thread's share starts at its first row's.
  const gateRowBytes = rnn.lstmGatesBytes(1, steps, units);
  const seq = steps * units;
  const state = { floats: batch * units, value: 0 } as const;
  const absent = { h0: state, c0: state, mask: { floats: batch * steps, value: 1 } } as const;
  withDefaults(backend, inputs, call.pointer, absent, (p) => runCall(backend, {
    fn: 'lstmForward',
    batch,
    work: batch * steps * 4 * units * (inputSize + units),
    scratchBytes: (rows) => rnn.lstmForwardScratchBytes(rows, steps, inputSize, units),
    sums: [],
    sumOutputs: [],
    args: (rows, scratch) => [
      rowPointer(p('x'), rows, steps * inputSize), p('kernel'), p('recurrentKernel'), p('bias'),
      rowPointer(p('h0'), rows, units), rowPointer(p('c0'), rows, units), rowPointer(p('mask'), rows, steps),
      rowPointer(hiddenPointer, rows, seq), rowPointer(cellPointer, rows, seq),
      gates === 0 ? 0 : gates + rows.start * gateRowBytes,
      scratch, rows.count, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.goBackwards ? 1 : 0,
    ],
    columns: {
      fn: 'lstmForwardColumns',
      hidden: units,
      stepWork: batch * 4 * units * units,
      sharedBytes: 0,
      ownBytes: rnn.lstmForwardScratchBytes(batch, steps, inputSize, units),
      args: (part, _shared, scratch, ctl, threads) => [
        p('x'), p('kernel'), p('recurrentKernel'), p('bias'), p('h0'), p('c0'), p('mask'), hiddenPointer, cellPointer, gates,
        scratch, batch, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.goBackwards ? 1 : 0,
        part.j0, part.j1, ctl, threads, part.index,
      ],
    },
  }));
}

/**
 * Core's {@link LstmSequenceFinal} on wasm: the forward above with both state sequences in scratch, returning only
 * the last processed step's states [h, c], each [B, H].
 */
function lstmSequenceFinal(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(LstmSequenceFinal, 4, inputs, backend, attrs);
  const { batch, steps, units } = call.sizes;
  const finals = [backend.makeOutput([batch, units], 'float32'), backend.makeOutput([batch, units], 'float32')];
  if (batch * steps * units === 0) return finals;
  const bytes = batch * steps * units * 4;
  withScratch(backend, 2 * bytes, (states) => {
    runLstmForward(backend, call, inputs, attrs, states, states + bytes, 0);
    copyLastSteps(backend, [states, states + bytes], finals, batch, steps, units);
  });
  return finals;
}

/** What must match between an LSTM forward and its backward for the forward's saved gates to be used. */
export function lstmGatesKey(call: GatedCall, attrs: { goBackwards: boolean }): string {
  const { batch, steps, inputSize, units } = call.sizes;
  return `lstm ${batch} ${steps} ${inputSize} ${units} ${call.activation} ${call.recurrentActivation} ${attrs.goBackwards}`;
}

/** The inputs an LSTM forward reads, in a fixed order (its backward must get the same tensors). */
export function lstmGateInputs(inputs: Record<string, TensorInfo | undefined>): (TensorInfo | undefined)[] {
  return ['x', 'kernel', 'recurrentKernel', 'bias', 'h0', 'c0', 'mask'].map((name) => inputs[name]);
}

/** Registers {@link lstmSequence} as the wasm kernel of core's `LstmSequence` op (see register.ts). */
export const lstmSequenceConfig: KernelConfig = {
  kernelName: LstmSequence,
  backendName: 'wasm',
  kernelFunc: lstmSequence as unknown as KernelFunc,
};

/** Registers {@link lstmSequenceFinal} as the wasm kernel of core's `LstmSequenceFinal` op (see register.ts). */
export const lstmSequenceFinalConfig: KernelConfig = {
  kernelName: LstmSequenceFinal,
  backendName: 'wasm',
  kernelFunc: lstmSequenceFinal as unknown as KernelFunc,
};
