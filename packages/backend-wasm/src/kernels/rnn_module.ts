import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { RNN_WASM_PLAIN, RNN_WASM_SHARED } from './rnn_wasm_binary.js';
import { type BatchedCall, type Rows, type ThreadedExport, closeKernelThreads, runBatched } from './threads.js';

/**
 * The exports of the fused recurrence module (assembly/rnn.ts). Pointers are byte offsets into tfjs's wasm heap,
 * which the module imports as its own memory, so kernels read and write tensors in place.
 */
export interface RnnModule {
  /** One Adam update of n floats (core's AdamUpdate); see assembly/rnn.ts. */
  adamUpdate(
    x: number, m: number, v: number, g: number, xOut: number, mOut: number, vOut: number, n: number,
    b1: number, b2: number, k1: number, k2: number, c1: number, c2: number, eps: number, step: number,
  ): void;
  /** Σ x·0 over n floats: 0 when all are finite, NaN otherwise (core's FiniteProbe); see assembly/rnn.ts. */
  finiteProbe(x: number, n: number): number;
  forwardScratchBytes(batch: number, steps: number, inputSize: number, hidden: number): number;
  forward(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, mask: number, out: number,
    scratch: number, batch: number, steps: number, inputSize: number, hidden: number, activation: number,
    backwards: number,
  ): void;
  backwardScratchBytes(batch: number, steps: number, inputSize: number, hidden: number): number;
  backward(
    x: number, kernel: number, recurrentKernel: number, h0: number, hiddenStates: number, dy: number, mask: number,
    dx: number, dKernel: number, dRecurrentKernel: number, dBias: number, dh0: number, scratch: number,
    batch: number, steps: number, inputSize: number, hidden: number, activation: number, backwards: number,
  ): void;
  lstmForwardScratchBytes(batch: number, steps: number, inputSize: number, hidden: number): number;
  lstmForward(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, c0: number, mask: number,
    hiddenStates: number, cellStates: number, gatesOut: number, scratch: number, batch: number, steps: number, inputSize: number,
    hidden: number, activation: number, recurrentActivation: number, backwards: number,
  ): void;
  /** Bytes of the gate values lstmForward saves when given `gatesOut` (0 there: none). */
  lstmGatesBytes(batch: number, steps: number, hidden: number): number;
  lstmBackwardScratchBytes(batch: number, steps: number, inputSize: number, hidden: number): number;
  lstmBackward(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, c0: number, mask: number,
    hiddenStates: number, cellStates: number, dh: number, dc: number, savedGates: number,
    dx: number, dKernel: number, dRecurrentKernel: number, dBias: number, dh0: number, dc0: number, dHiddenStates: number,
    scratch: number, batch: number, steps: number, inputSize: number, hidden: number, activation: number,
    recurrentActivation: number, backwards: number,
  ): void;
  /**
   * lstmForward for units [j0, j1) of thread `index` of `threads` (a column split, see assembly/rnn.ts): all batch
   * rows, a barrier per step on `ctl`; its own scratch of lstmForwardScratchBytes. Returns 0, or -1 when aborted.
   */
  lstmForwardColumns(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, c0: number, mask: number,
    hiddenStates: number, cellStates: number, gatesOut: number, scratch: number, batch: number, steps: number, inputSize: number,
    hidden: number, activation: number, recurrentActivation: number, backwards: number,
    j0: number, j1: number, ctl: number, threads: number, index: number,
  ): number;
  /** Bytes of each thread's own scratch in lstmBackwardColumns (besides one shared lstmBackwardScratchBytes block). */
  lstmBackwardColumnsBytes(batch: number, inputSize: number, hidden: number): number;
  /** lstmBackward for units [j0, j1) (and the dx of batch rows [b0, b1)) of thread `index`: see lstmForwardColumns. */
  lstmBackwardColumns(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, c0: number, mask: number,
    hiddenStates: number, cellStates: number, dh: number, dc: number, savedGates: number,
    dx: number, dKernel: number, dRecurrentKernel: number, dBias: number, dh0: number, dc0: number, dHiddenStates: number,
    shared: number, scratch: number, batch: number, steps: number, inputSize: number, hidden: number, activation: number,
    recurrentActivation: number, backwards: number, j0: number, j1: number, b0: number, b1: number, ctl: number,
    threads: number, index: number,
  ): number;
  gruForwardScratchBytes(batch: number, steps: number, inputSize: number, hidden: number): number;
  /**
   * gruForward for units [j0, j1) of thread `index` (see lstmForwardColumns); `shared` holds r⊙h [B, H] for
   * resetAfter false. Returns 0, or -1 when aborted.
   */
  gruForwardColumns(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, mask: number, hiddenStates: number,
    saveOut: number, shared: number, scratch: number, batch: number, steps: number, inputSize: number, hidden: number,
    activation: number, recurrentActivation: number, resetAfter: number, backwards: number,
    j0: number, j1: number, ctl: number, threads: number, index: number,
  ): number;
  gruForward(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, mask: number, hiddenStates: number,
    saveOut: number, scratch: number, batch: number, steps: number, inputSize: number, hidden: number, activation: number,
    recurrentActivation: number, resetAfter: number, backwards: number,
  ): void;
  /** Bytes of the values gruForward saves when given `saveOut` (0 there: none). */
  gruGatesBytes(batch: number, steps: number, hidden: number): number;
  gruBackwardScratchBytes(batch: number, steps: number, inputSize: number, hidden: number): number;
  gruBackward(
    x: number, kernel: number, recurrentKernel: number, bias: number, h0: number, mask: number, hiddenStates: number,
    dh: number, saved: number, dx: number, dKernel: number, dRecurrentKernel: number, dBias: number, dh0: number, dHiddenStates: number,
    scratch: number, batch: number, steps: number, inputSize: number, hidden: number, activation: number,
    recurrentActivation: number, resetAfter: number, backwards: number,
  ): void;
}

/**
 * Activation codes of the module (assembly/rnn.ts ACT_*): every activation of core's ACTIVATION_TABLE
 * (SimpleRNN's op only ever passes the first four).
 */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  tanh: 0,
  relu: 1,
  sigmoid: 2,
  linear: 3,
  hardSigmoid: 4,
  hardSigmoidKeras2: 5,
  softsign: 6,
};

/** The parts of tfjs's Emscripten module the kernels use (not in its published types). */
interface EmscriptenHeap {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  /** Set by the threaded build (its memory is created in JS and shared with the workers). */
  wasmMemory?: WebAssembly.Memory;
  /** The instance exports; the unthreaded builds export their memory here. */
  asm?: { memory?: WebAssembly.Memory };
}

type Variant = 'plain' | 'shared';

const compiled: Partial<Record<Variant, WebAssembly.Module>> = {};
const instances = new WeakMap<WebAssembly.Memory, Bound>();

function bytesOf(variant: Variant): Uint8Array<ArrayBuffer> {
  const text = atob(variant === 'plain' ? RNN_WASM_PLAIN : RNN_WASM_SHARED);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Compiles the module asynchronously, so that the first kernel call only has to instantiate it (Chromium refuses
 * to compile modules over 4 KiB synchronously on the main thread). `shared`: for the threaded tfjs build, whose
 * memory is shared. Called by the binding's `prepare()`; without it the first kernel call compiles synchronously,
 * which is fine in Node and workers.
 */
export async function precompileRnnModule(shared: boolean): Promise<void> {
  const variant: Variant = shared ? 'shared' : 'plain';
  compiled[variant] ??= await WebAssembly.compile(bytesOf(variant));
}

/** tfjs's wasm memory, from whichever build is loaded. */
function memoryOf(heap: EmscriptenHeap): WebAssembly.Memory {
  const memory = heap.wasmMemory ?? heap.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      'fused recurrence kernels: could not find the WebAssembly.Memory of the tfjs wasm module ' +
        '(expected Module.wasmMemory or Module.asm.memory); turn fused kernels off with setFusedKernelsEnabled(false)',
    );
  }
  return memory;
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The module instance bound to this backend's memory (instantiated once per memory). */
export function rnnModuleFor(backend: BackendWasm): RnnModule {
  return bound(backend).rnn;
}

interface Bound {
  rnn: RnnModule;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

function bound(backend: BackendWasm): Bound {
  const memory = memoryOf(backend.wasm as unknown as EmscriptenHeap);
  let b = instances.get(memory);
  if (b === undefined) {
    const variant: Variant = isShared(memory) ? 'shared' : 'plain';
    const module = (compiled[variant] ??= new WebAssembly.Module(bytesOf(variant)));
    const rnn = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as RnnModule;
    b = { rnn, memory, module };
    instances.set(memory, b);
  }
  return b;
}

/** tfjs's wasm memory of the backend. */
export function wasmMemoryOf(backend: BackendWasm): WebAssembly.Memory {
  return memoryOf(backend.wasm as unknown as EmscriptenHeap);
}

/** The compiled module for a memory (its instance is created on first use). */
export function rnnWasmModuleFor(backend: BackendWasm): WebAssembly.Module {
  return bound(backend).module;
}

const disposeHooked = new WeakSet<object>();

/** tfjs calls the backend's dispose() when it is removed (tf.removeBackend): end the kernel threads with it. */
export function endKernelThreadsWith(backend: BackendWasm): void {
  if (disposeHooked.has(backend)) return;
  disposeHooked.add(backend);
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    closeKernelThreads();
    dispose();
  };
}

/**
 * Runs one kernel call through the module: split across the kernel threads where tfjs's memory is shared and the
 * workers run (see threads.ts), else on this thread with one scratch block.
 */
export function runCall(backend: BackendWasm, call: BatchedCall): void {
  const { rnn, memory, module } = bound(backend);
  const exports = rnn as unknown as Record<ThreadedExport, (...args: number[]) => void>;
  const single = () =>
    withScratch(backend, call.scratchBytes(call.batch), (scratch) => {
      exports[call.fn](...call.args({ start: 0, count: call.batch }, scratch, call.sumOutputs));
    });
  if (!isShared(memory)) return single();
  endKernelThreadsWith(backend);
  runBatched(backend.wasm as unknown as EmscriptenHeap, memory, module, exports, call, single);
}

/** Byte offset of row `rows.start` of a batch-major tensor with `perRow` floats per batch row; 0 stays 0 (absent). */
export function rowPointer(pointer: number, rows: Rows, perRow: number): number {
  return pointer === 0 ? 0 : pointer + rows.start * perRow * 4;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function pointerOf(backend: BackendWasm, tensor: TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/**
 * Runs `body` with `bytes` of uninitialised scratch from tfjs's allocator, freed afterwards even on error, so a
 * kernel call leaves the heap as it found it (beyond its outputs).
 */
export function withScratch<T>(backend: BackendWasm, bytes: number, body: (scratch: number) => T): T {
  const heap = backend.wasm as unknown as EmscriptenHeap;
  // `>>> 0`: offsets past 2 GiB come back negative from the i32 ABI (as in tfjs's own backend).
  const scratch = heap._malloc(Math.max(bytes, 16)) >>> 0;
  if (scratch === 0) throw new Error(`fused recurrence kernels: could not allocate ${bytes} bytes of wasm memory`);
  try {
    return body(scratch);
  } finally {
    heap._free(scratch);
  }
}
