import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

// Gate values a fused forward saved for its backward, so the backward need not recompute them (a third of the LSTM
// backward's time: the projection, h·U and the activations of every step again). Saved only while tfjs records a
// gradient tape (a training forward), in wasm memory outside any tensor, with a copy of the inputs the forward
// read. The gates are a function of those inputs alone, and the backward takes them only when its inputs (x, the
// weights, the initial states, the mask) are bit for bit the same as the copy: tfjs hands the backward clones of
// the forward's tensors (new data ids), so identity cannot be used. Taken gates are freed by the backward; gates
// no backward took are freed at the next fused forward once the forward's own hiddenStates tensor is gone (the
// tape's forward pass is over by then), and at most MAX_SAVED are held.

interface EmscriptenHeap {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

interface Saved {
  backend: BackendWasm;
  pointer: number;
  /** Kernel, sizes and attributes of the forward call. */
  key: string;
  /** Bytes of each input the forward read (null: input absent), in the order given to {@link saveGates}. */
  inputs: (Uint8Array | null)[];
}

/** Saved gates by the data id of the forward's hiddenStates output, oldest first. */
const saved = new Map<unknown, Saved>();
const MAX_SAVED = 16;

/**
 * Input copies of entries a backward took or that were released, by byte length, for the next {@link saveGates}
 * to refill instead of allocating: a training loop would otherwise allocate (and the garbage collector reclaim)
 * a copy of x and the weights every step. At most {@link SPARE_PER_LENGTH} per length and {@link SPARE_BYTES} in all.
 */
const spare = new Map<number, Uint8Array[]>();
const SPARE_PER_LENGTH = 4;
const SPARE_BYTES = 32 * 1024 * 1024;
let spareBytes = 0;

/** A copy of `bytes`, in a spare array of its length when there is one. */
function copyOf(bytes: Uint8Array): Uint8Array {
  const reuse = spare.get(bytes.length)?.pop();
  if (reuse === undefined) return bytes.slice();
  spareBytes -= reuse.length;
  reuse.set(bytes);
  return reuse;
}

/** Keeps an entry's input copies for {@link copyOf} (within the limits). */
function recycle(s: Saved): void {
  for (const bytes of s.inputs) {
    if (bytes === null || spareBytes + bytes.length > SPARE_BYTES) continue;
    let list = spare.get(bytes.length);
    if (list === undefined) spare.set(bytes.length, (list = []));
    if (list.length >= SPARE_PER_LENGTH) continue;
    list.push(bytes);
    spareBytes += bytes.length;
  }
  s.inputs = [];
}

function bytesOf(backend: BackendWasm, t: TensorInfo): Uint8Array {
  const view = backend.typedArrayFromHeap(t);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Node's `Buffer.compare` (a native memcmp, several times faster than the loop below on the ~120 KiB an LSTM at M
 * compares per training step); absent in browsers.
 */
const nativeCompare: ((a: Uint8Array, b: Uint8Array) => number) | null = (() => {
  const B = (globalThis as { Buffer?: { compare?: (a: Uint8Array, b: Uint8Array) => number } }).Buffer;
  return typeof B?.compare === 'function' ? (a, b) => B.compare!(a, b) : null;
})();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (nativeCompare !== null) return nativeCompare(a, b) === 0;
  if (a.length % 4 === 0 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const x = new Int32Array(a.buffer, a.byteOffset, a.length / 4);
    const y = new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the kernel runs inside a tfjs gradient tape's forward pass (its backward may follow). */
export function recordingGradients(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

/** Frees the saved gates whose hiddenStates tensor is gone (a forward with no backward). */
export function sweepSavedGates(): void {
  for (const [id, s] of saved) {
    if (!s.backend.dataIdMap.has(id as object)) release(id, s);
  }
}

/** Number of saved gate buffers held now (tests). */
export function savedGateCount(): number {
  return saved.size;
}

/** Allocates `bytes` for a forward's gates when a tape records (0 otherwise, or when wasm memory is short). */
export function allocateGates(backend: BackendWasm, bytes: number): number {
  sweepSavedGates();
  if (!recordingGradients()) return 0;
  const pointer = (backend.wasm as unknown as EmscriptenHeap)._malloc(Math.max(bytes, 16)) >>> 0;
  slicesOf.delete(pointer);
  if (pointer !== 0) {
    heldBytes.set(pointer, bytes);
    heldTotal += bytes;
  }
  return pointer;
}

/** Frees gates allocated by {@link allocateGates} that will not be saved (the forward failed). */
export function freeGates(backend: BackendWasm, pointer: number): void {
  if (pointer === 0) return;
  slicesOf.delete(pointer);
  heldTotal -= heldBytes.get(pointer) ?? 0;
  heldBytes.delete(pointer);
  (backend.wasm as unknown as EmscriptenHeap)._free(pointer);
}

/** Bytes of each gate buffer allocated and not yet freed, by pointer. */
const heldBytes = new Map<number, number>();
let heldTotal = 0;

/**
 * Bytes of wasm memory that saved gate values hold now, outside every tensor: tf.memory() does not count them
 * (at most one training step's worth once its backward has run; the bench adds them to its peak bytes).
 */
export function savedGateBytes(): number {
  return heldTotal;
}

/**
 * The batch-row ranges (kernel threads' shares) a forward wrote its gates in, by gate pointer. LSTM's saved rows are
 * row-local, so any split of the backward reads them; GRU's hold each share's gate rows and then its second block,
 * so a backward share may use them only when the forward wrote exactly that share ({@link gateSliceWritten}).
 */
const slicesOf = new Map<number, Set<string>>();

/** Records that the forward writing gates at `pointer` ran rows `rows` of a `batch`-row call (one call: the whole batch). */
export function noteGateSlice(pointer: number, rows: { start: number; count: number }, batch: number): void {
  if (pointer === 0) return;
  const key = `${rows.start}:${rows.count}`;
  // A call over the whole batch (one thread, or the one-thread retry after a failed split) rewrites every row.
  if (rows.start === 0 && rows.count === batch) {
    slicesOf.set(pointer, new Set([key]));
    return;
  }
  let set = slicesOf.get(pointer);
  if (set === undefined) slicesOf.set(pointer, (set = new Set()));
  set.add(key);
}

/** Whether the forward that saved `pointer` wrote exactly the share `rows` (so its layout is the one a share reads). */
export function gateSliceWritten(pointer: number, rows: { start: number; count: number }): boolean {
  const written = pointer !== 0 && slicesOf.get(pointer)?.has(`${rows.start}:${rows.count}`) === true;
  if (written) sharesReadSaved++;
  return written;
}

/**
 * The split the forward that saved `pointer` wrote its gates in (ranges in row order), when it was split; undefined
 * for one thread or no saved gates. GRU's backward asks for it, so that the balanced split, which may have moved
 * since, does not make its shares recompute the gates.
 */
export function gateSplitOf(pointer: number): { start: number; count: number }[] | undefined {
  const set = pointer === 0 ? undefined : slicesOf.get(pointer);
  if (set === undefined || set.size < 2) return undefined;
  return [...set].map((key) => {
    const [start, count] = key.split(':').map(Number) as [number, number];
    return { start, count };
  }).sort((a, b) => a.start - b.start);
}

let sharesReadSaved = 0;
/** How many GRU backward shares have read a forward's saved gates so far (tests: the split layouts matched). */
export function savedGateSharesRead(): number {
  return sharesReadSaved;
}

/** Keeps `pointer` for the backward of the forward that wrote `hiddenStates` from `inputs` (copied). */
export function saveGates(backend: BackendWasm, pointer: number, hiddenStates: TensorInfo, key: string, inputs: (TensorInfo | undefined)[]): void {
  if (pointer === 0) return;
  while (saved.size >= MAX_SAVED) {
    const [id, oldest] = saved.entries().next().value as [unknown, Saved];
    release(id, oldest);
  }
  saved.set(hiddenStates.dataId, { backend, pointer, key, inputs: inputs.map((t) => (t === undefined ? null : copyOf(bytesOf(backend, t)))) });
}

/**
 * Saved gates of a forward with the same `key` whose inputs were bit for bit `inputs`, handed to the caller (who
 * frees them with {@link freeGates}), or 0 (the backward recomputes them).
 */
export function takeGates(backend: BackendWasm, key: string, inputs: (TensorInfo | undefined)[]): number {
  for (const [id, s] of saved) {
    if (s.backend !== backend || s.key !== key || s.inputs.length !== inputs.length) continue;
    const same = s.inputs.every((bytes, i) => {
      const t = inputs[i];
      return bytes === null ? t === undefined : t !== undefined && sameBytes(bytes, bytesOf(backend, t));
    });
    if (!same) continue;
    saved.delete(id);
    recycle(s);
    return s.pointer;
  }
  return 0;
}

function release(id: unknown, s: Saved): void {
  saved.delete(id);
  recycle(s);
  freeGates(s.backend, s.pointer);
}
