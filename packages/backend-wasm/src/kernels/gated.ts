import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceGradAttrs, type GatedSequenceSizes, checkGatedSequenceInputs } from '@basicrnn/core';
import { ACTIVATION_CODES, pointerOf } from './rnn_module.js';

/** What a gated wasm kernel reads off its inputs and attrs. */
export interface GatedCall {
  sizes: GatedSequenceSizes;
  activation: number;
  recurrentActivation: number;
  /** The byte offset of a named input, 0 when absent. */
  pointer(name: string): number;
}

/**
 * Checks a gated kernel's inputs with core's one validator (the same refusals, in the same words, as every
 * backend) and resolves the activation codes of the module.
 */
export function gatedCall(
  kernelName: string,
  gates: number,
  inputs: Record<string, TensorInfo | undefined>,
  backend: BackendWasm,
  attrs: Pick<GatedSequenceGradAttrs, 'activation' | 'recurrentActivation' | 'resetAfter'>,
): GatedCall {
  const sizes = checkGatedSequenceInputs(kernelName, 'wasm', inputs, gates, attrs.resetAfter);
  const code = (name: 'activation' | 'recurrentActivation'): number => {
    const value = ACTIVATION_CODES[attrs[name]];
    if (value === undefined) throw new Error(`${kernelName} (wasm): unknown ${name} ${JSON.stringify(attrs[name])}`);
    return value;
  };
  return {
    sizes,
    activation: code('activation'),
    recurrentActivation: code('recurrentActivation'),
    pointer: (name) => {
      const t = inputs[name];
      return t === undefined ? 0 : pointerOf(backend, t);
    },
  };
}

/** Zero-fills outputs (makeOutput leaves wasm memory uninitialised) for calls with nothing to compute. */
export function zeroFill(backend: BackendWasm, outputs: TensorInfo[]): void {
  for (const t of outputs) backend.typedArrayFromHeap(t).fill(0);
}
