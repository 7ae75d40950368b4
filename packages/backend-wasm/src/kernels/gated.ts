import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type GatedSequenceGradAttrs, type GatedSequenceSizes, checkGatedSequenceInputs } from '@basicrnn/core';
import { ACTIVATION_CODES, pointerOf, wasmMemoryOf, withScratch } from './rnn_module.js';

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

/** The value an absent input stands for, and its size in floats (core's kernel contract: zeros for states, ones for a mask). */
export interface AbsentDefault {
  floats: number;
  value: 0 | 1;
}

/**
 * Runs `body` with the byte offset of every input in `defaults`: the tensor's own, or for an absent one a block of
 * `floats` copies of its value in tfjs's heap, made for this call and freed afterwards (no tensor, no dispatch).
 * Inputs not in `defaults` resolve as `pointer` does (0 when absent).
 */
export function withDefaults<T>(
  backend: BackendWasm,
  inputs: Record<string, TensorInfo | undefined>,
  pointer: (name: string) => number,
  defaults: Record<string, AbsentDefault>,
  body: (pointer: (name: string) => number) => T,
): T {
  const offsets: Record<string, number> = {};
  let floats = 0;
  for (const [name, d] of Object.entries(defaults)) {
    if (inputs[name] !== undefined) continue;
    offsets[name] = floats;
    floats += d.floats;
  }
  if (floats === 0) return body(pointer);
  return withScratch(backend, floats * 4, (block) => {
    const view = new Float32Array(wasmMemoryOf(backend).buffer, block, floats);
    for (const [name, offset] of Object.entries(offsets)) view.fill(defaults[name]!.value, offset, offset + defaults[name]!.floats);
    return body((name) => (offsets[name] === undefined ? pointer(name) : block + offsets[name]! * 4));
  });
}

/**
 * Copies the last step of each sequence [B, T, H] at byte offset `sequences[k]` (processing order) into the
 * [B, H] output `outputs[k]`: the final states of a forward run into scratch.
 */
export function copyLastSteps(backend: BackendWasm, sequences: number | number[], outputs: TensorInfo[], batch: number, steps: number, units: number): void {
  const from = Array.isArray(sequences) ? sequences : [sequences];
  outputs.forEach((out, k) => {
    const heap = new Float32Array(wasmMemoryOf(backend).buffer);
    const dst = pointerOf(backend, out) / 4;
    const src = from[k]! / 4;
    for (let b = 0; b < batch; b++) {
      const row = src + (b * steps + steps - 1) * units;
      heap.copyWithin(dst + b * units, row, row + units);
    }
  });
}
