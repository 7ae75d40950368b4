import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceAttrs, GruSequence, GruSequenceFinal } from '@basicrnn/core';
import { type GatedCall, copyLastSteps, gatedCall, withDefaults } from './gated.js';
import { pointerOf, rnnModuleFor, rowPointer, runCall, withScratch } from './rnn_module.js';
import { allocateGates, freeGates, noteGateSlice, saveGates } from './saved_gates.js';

/**
 * Forward of core's GRU op on wasm (both `resetAfter` forms), the whole sequence in one call into the fused module:
 * the input projection of every step and gate as one SIMD gemm, then per step the recurrent gemm (resetAfter: one
 * for all three gates; otherwise h·U_zr, then (r⊙h)·U_h) and one pass for activations, update and mask, writing
 * hiddenStates [B, T, H] (processing order) straight into the output.
 */
function gruSequence(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(GruSequence, 3, inputs, backend, attrs);
  const { batch, steps, inputSize, units } = call.sizes;
  const hiddenStates = backend.makeOutput([batch, steps, units], 'float32');
  if (batch * steps * units === 0) return hiddenStates;
  const rnn = rnnModuleFor(backend);
  // Under a gradient tape the gate values are kept for the backward (saved_gates.ts).
  const gates = allocateGates(backend, rnn.gruGatesBytes(batch, steps, units));
  try {
    runGruForward(backend, call, inputs, attrs, pointerOf(backend, hiddenStates), gates);
  } catch (e) {
    freeGates(backend, gates);
    throw e;
  }
  // Outside a tape nothing is saved: skip building the key and the input list.
  if (gates !== 0) saveGates(backend, gates, hiddenStates, gruGatesKey(call, attrs), gruGateInputs(inputs));
  return hiddenStates;
}

/**
 * One call of the module's GRU forward writing hiddenStates [B, T, H] at `statesPointer` (and the gate values at
 * `gates` when not 0). Outside a tape h0 and the mask may be absent (zeros, all ones: kernel_names.ts).
 */
function runGruForward(
  backend: BackendWasm,
  call: GatedCall,
  inputs: Record<string, TensorInfo>,
  attrs: GatedSequenceAttrs,
  statesPointer: number,
  gates: number,
): void {
  const { batch, steps, inputSize, units } = call.sizes;
  const rnn = rnnModuleFor(backend);
  // A kernel thread's share writes its gate rows, then its second block, from its first row's offset (so the
  // buffer's layout depends on the split: the backward uses a share's rows only when the split matches).
  const gateRowBytes = rnn.gruGatesBytes(1, steps, units);
  const absent = { h0: { floats: batch * units, value: 0 }, mask: { floats: batch * steps, value: 1 } } as const;
  withDefaults(backend, inputs, call.pointer, absent, (p) => runCall(backend, {
    fn: 'gruForward',
    batch,
    work: batch * steps * 3 * units * (inputSize + units),
    scratchBytes: (rows) => rnn.gruForwardScratchBytes(rows, steps, inputSize, units),
    sums: [],
    sumOutputs: [],
    args: (rows, scratch) => {
      noteGateSlice(gates, rows, batch);
      return [
        rowPointer(p('x'), rows, steps * inputSize), p('kernel'), p('recurrentKernel'), p('bias'),
        rowPointer(p('h0'), rows, units), rowPointer(p('mask'), rows, steps),
        rowPointer(statesPointer, rows, steps * units),
        gates === 0 ? 0 : gates + rows.start * gateRowBytes,
        scratch, rows.count, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.resetAfter ? 1 : 0,
        attrs.goBackwards ? 1 : 0,
      ];
    },
    // Split by units (a column split) only outside a gradient tape: its saved gates would have the one-thread layout,
    // which the backward's row shares cannot read (they would recompute them), and there is no column backward yet.
    columns: gates !== 0 ? undefined : {
      fn: 'gruForwardColumns',
      hidden: units,
      stepWork: batch * 3 * units * units,
      sharedBytes: attrs.resetAfter ? 0 : batch * units * 4,
      ownBytes: rnn.gruForwardScratchBytes(batch, steps, inputSize, units),
      args: (part, shared, scratch, ctl, threads) => [
        p('x'), p('kernel'), p('recurrentKernel'), p('bias'), p('h0'), p('mask'), statesPointer, 0, shared, scratch,
        batch, steps, inputSize, units, call.activation, call.recurrentActivation, attrs.resetAfter ? 1 : 0,
        attrs.goBackwards ? 1 : 0, part.j0, part.j1, ctl, threads, part.index,
      ],
    },
  }));
}

/**
 * Core's {@link GruSequenceFinal} on wasm: the forward above with the hidden states in scratch, returning only the
 * last processed step's state [B, H] (one output and no slice for a layer that returns no sequence).
 */
function gruSequenceFinal(args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: GatedSequenceAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const call = gatedCall(GruSequenceFinal, 3, inputs, backend, attrs);
  const { batch, steps, units } = call.sizes;
  const finalState = backend.makeOutput([batch, units], 'float32');
  if (batch * steps * units === 0) return finalState;
  withScratch(backend, batch * steps * units * 4, (states) => {
    runGruForward(backend, call, inputs, attrs, states, 0);
    copyLastSteps(backend, states, [finalState], batch, steps, units);
  });
  return finalState;
}

/** What must match between a GRU forward and its backward for the forward's saved gates to be used. */
export function gruGatesKey(call: GatedCall, attrs: { goBackwards: boolean; resetAfter: boolean }): string {
  const { batch, steps, inputSize, units } = call.sizes;
  return `gru ${batch} ${steps} ${inputSize} ${units} ${call.activation} ${call.recurrentActivation} ${attrs.resetAfter} ${attrs.goBackwards}`;
}

/** The inputs a GRU forward reads, in a fixed order (its backward must get the same tensors). */
export function gruGateInputs(inputs: Record<string, TensorInfo | undefined>): (TensorInfo | undefined)[] {
  return ['x', 'kernel', 'recurrentKernel', 'bias', 'h0', 'mask'].map((name) => inputs[name]);
}

/** Registers {@link gruSequence} as the wasm kernel of core's `GruSequence` op (see register.ts). */
export const gruSequenceConfig: KernelConfig = {
  kernelName: GruSequence,
  backendName: 'wasm',
  kernelFunc: gruSequence as unknown as KernelFunc,
};

/** Registers {@link gruSequenceFinal} as the wasm kernel of core's `GruSequenceFinal` op (see register.ts). */
export const gruSequenceFinalConfig: KernelConfig = {
  kernelName: GruSequenceFinal,
  backendName: 'wasm',
  kernelFunc: gruSequenceFinal as unknown as KernelFunc,
};
