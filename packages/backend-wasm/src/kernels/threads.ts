// Kernel threads: the fused recurrence kernels split a call's batch across Web Workers that run the shared-memory
// build of the module on tfjs's own (shared) wasm memory. tfjs's pthread pool belongs to XNNPACK and cannot run
// our code, so these are our own workers, started once, asynchronously, and kept blocked in Atomics.wait between
// calls (no postMessage per call).
//
// Every tensor of the kernels is batch-major (x [B,T,I], states [B,H], mask [B,T], outputs [B,T,H]), so a range of
// batch rows is a contiguous byte range: each thread calls the same export with offset pointers, its row count and
// its own scratch. The forward needs no synchronisation at all, and each row's arithmetic does not depend on which
// rows share its call, so a split forward is bitwise identical to the single-threaded one. The backward exports
// overwrite their weight gradients (dKernel, dRecurrentKernel, dBias are sums over the batch), so every thread but
// the main one writes private buffers, which the main thread adds to its own at the end (float32, in thread order:
// only the summation order differs from one thread).
//
// Threads need not be equally fast (efficiency and performance cores, a core shared with other work, a virtual CPU
// whose host is busy), and the slowest share decides a call's time. With the 'balanced' split (the default) every
// worker reports how long its share took, and the next calls give each thread a share of rows proportional to its
// measured speed (a moving average, kept between half and twice the mean); 'even' keeps equal shares, so that the
// weight gradients' summation order depends on the thread count only.
//
// A batch with fewer than one row tile (4 rows) per thread leaves threads idle: B 1 runs on one thread, B 8 on 4
// threads uses 2. Where the module has a column export (LSTM forward and backward, GRU forward outside a gradient
// tape), such a call is split by hidden units instead when each thread's share of a step is large ('auto', see
// KernelThreadTuning.columnSplit): every thread takes all rows and a share of the units sized by its speed in steps
// of 8, and a spin barrier in the shared memory ends every step (workers that spin too long sleep on it; the main
// thread spins). Each column sums in the single-threaded order, so these calls are bitwise identical to one
// thread, weight gradients included. The shares follow the speeds the row-split calls measured (all threads
// finish a column-split call together, so it cannot measure them itself).
//
// The browser main thread may not Atomics.wait: it runs its own share, then spins on a done-counter, with a
// time limit, so a dead worker cannot hang the page: past it the workers are terminated, threads turn off with a
// BackendError kept for getKernelThreadStats(), and the call is recomputed on the main thread.
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '@basicrnn/core';

/** Exports of the module a worker may be asked to run (the index is what travels in the control block). */
export const THREADED_EXPORTS = [
  'forward',
  'backward',
  'lstmForward',
  'lstmBackward',
  'gruForward',
  'gruBackward',
  'lstmForwardColumns',
  'lstmBackwardColumns',
  'gruForwardColumns',
] as const;

/** One of {@link THREADED_EXPORTS}. */
export type ThreadedExport = (typeof THREADED_EXPORTS)[number];

/** The most threads (main thread included) a kernel call is split across. */
export const MAX_KERNEL_THREADS = 64;

/** What the kernel threads do, from {@link getKernelThreadStats}. */
export interface KernelThreadStats {
  /** The thread count asked with `configureWasm({ kernelThreads })`; `undefined`: tfjs's thread count. */
  requested: number | undefined;
  /** Threads a large call is split across now (the main thread plus the started workers); 1 while none run. */
  running: number;
  /** Kernel calls that were split across threads since the page loaded. */
  threadedCalls: number;
  /** How many threads the last split call used (0 before the first). */
  lastThreads: number;
  /**
   * Of the last split call: ms the main thread spent on its own share, then waiting for the workers (a long wait
   * against a short share means the workers did not get a core at the same time: a loaded machine).
   */
  lastMainMs: number;
  lastWaitMs: number;
  /**
   * Of the last split call: the batch rows each thread was given (the main thread's first); with a column split
   * every thread had all rows.
   */
  lastRows: number[];
  /** Of the last split call when it split the hidden units (a column split): each thread's units; else empty. */
  lastUnits: number[];
  /** Kernel calls split by hidden units (column split) since the page loaded, out of {@link threadedCalls}. */
  columnCalls: number;
  /** Of the last split call: ms each thread spent on its share (the main thread's first). */
  lastThreadMs: number[];
  /**
   * How rows are split: `'balanced'` (shares proportional to the threads' measured speeds) or `'even'`. See
   * `configureWasm({ kernelThreadSplit })`.
   */
  split: KernelThreadSplit;
  /**
   * The threads' relative speeds (mean 1; the main thread's first) that the 'balanced' split uses: all 1 until
   * split calls have been timed; the 'even' split neither uses nor updates them.
   */
  speeds: number[];
  /** Why kernel threads turned off (a worker failed to start, failed in a call, or did not answer in time). */
  error?: BackendError;
}

/** How a call's batch rows are shared between the kernel threads (see `configureWasm({ kernelThreadSplit })`). */
export type KernelThreadSplit = 'balanced' | 'even';

/** The values of {@link KernelThreadSplit}. */
export const KERNEL_THREAD_SPLITS: readonly KernelThreadSplit[] = ['balanced', 'even'];

/** Tuning of the split, changed only by tests. */
export interface KernelThreadTuning {
  /** Calls below this much work (B·T·gates·H·(I + H) multiply-adds) run on one thread. */
  minWork: number;
  /** Fewest batch rows a thread is given. */
  minRows: number;
  /** The main thread waits for the workers at least this long (ms) before it gives up on them. */
  timeoutMs: number;
  /** ... and at least this many times as long as its own share took. */
  timeoutFactor: number;
  /** Use at most this many of the running threads (measurements compare thread counts on one pool). */
  maxThreads: number;
  /** 'balanced' split: weight of the newest timing in the moving average of the threads' speeds (0 to 1). */
  speedSmoothing: number;
  /** 'balanced' split: only calls whose every share took at least this long (ms) update the speeds. */
  minTimedMs: number;
  /**
   * When a call that can split its hidden units (a column split: every thread takes all batch rows and a share of
   * the units, with a barrier per step) does so instead of splitting its rows: 'auto' when the rows cannot give
   * every thread a 4-row tile and each thread's share of a step's recurrent product is at least
   * `columnMinStepWork`; 'always' / 'never' (tests and measurements).
   */
  columnSplit: 'auto' | 'always' | 'never';
  /**
   * 'auto' column split: the fewest multiply-adds of a step's recurrent product per thread. A step's exchange (the
   * barrier, and the other threads' units of h read from their cores' caches) grows with B·H: on this project's
   * 2-vCPU VMs ~0.5 µs at B 1, H 256 and 3–5 µs at B 8, H 128. 2^18 multiply-adds are ~15 µs there.
   */
  columnMinStepWork: number;
}

/** A thread's speed in the 'balanced' split stays within this factor of the mean (either way). */
const MAX_SPEED_RATIO = 2;

/** Workers that have not all reported ready by then count as failed to start. */
const START_TIMEOUT_MS = 10_000;

const DEFAULT_TUNING: KernelThreadTuning = {
  minWork: 1 << 20,
  minRows: 2,
  timeoutMs: 10_000,
  timeoutFactor: 50,
  maxThreads: MAX_KERNEL_THREADS,
  speedSmoothing: 0.5,
  minTimedMs: 1,
  columnSplit: 'auto',
  columnMinStepWork: 1 << 18,
};
let tuning: KernelThreadTuning = { ...DEFAULT_TUNING };

/** Test hook: changes the split's tuning (no argument: back to the defaults); returns the tuning in force. */
export function setKernelThreadTuning(change?: Partial<KernelThreadTuning>): KernelThreadTuning {
  tuning = change === undefined ? { ...DEFAULT_TUNING } : { ...tuning, ...change };
  return { ...tuning };
}

// Control block (an Int32Array on its own SharedArrayBuffer): [DONE], then one slot per worker.
const DONE = 0;
const HEADER = 4;
// Slot: [SEQ] job sequence (the futex the worker waits on), [STATUS] 1 ok / 2 failed, [FN] export index,
// [NARGS] argument count, [MICROS] µs the worker's share took, [DELAY] µs the worker idles after its share (a test
// hook: a slow core), then the arguments (i32: pointers, sizes, flags).
const SEQ = 0;
const STATUS = 1;
const FN = 2;
const NARGS = 3;
const MICROS = 4;
const DELAY = 5;
const ARGS = 6;
const MAX_ARGS = 40;
const SLOT = ARGS + MAX_ARGS;

// The worker: instantiate the module on the shared memory, report ready, then serve jobs forever.
const WORKER_SOURCE = `'use strict';
const NAMES = ${JSON.stringify(THREADED_EXPORTS)};
self.onmessage = (event) => {
  const { module, memory, control, index } = event.data;
  const c = new Int32Array(control);
  let exports;
  try {
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch (e) {
    self.postMessage({ type: 'error', message: String((e && e.message) || e) });
    return;
  }
  const base = ${HEADER} + index * ${SLOT};
  let seen = Atomics.load(c, base + ${SEQ});
  self.postMessage({ type: 'ready' });
  for (;;) {
    Atomics.wait(c, base + ${SEQ}, seen);
    const seq = Atomics.load(c, base + ${SEQ});
    if (seq === seen) continue;
    seen = seq;
    const n = c[base + ${NARGS}];
    const args = new Array(n);
    for (let k = 0; k < n; k++) args[k] = c[base + ${ARGS} + k];
    let status = 1;
    const started = performance.now();
    try {
      // The column-split exports return -1 when the call was aborted at a barrier (a thread never arrived).
      if (exports[NAMES[c[base + ${FN}]]](...args) === -1) status = 2;
    } catch (e) {
      status = 2;
    }
    const delay = c[base + ${DELAY}];
    if (delay > 0) while (performance.now() - started < delay / 1000);
    c[base + ${MICROS}] = Math.min(2147483647, Math.round((performance.now() - started) * 1000));
    Atomics.store(c, base + ${STATUS}, status);
    Atomics.add(c, ${DONE}, 1);
    Atomics.notify(c, ${DONE});
  }
};
`;

interface Pool {
  memory: WebAssembly.Memory;
  workers: Worker[];
  control: Int32Array;
  ready: number;
  state: 'starting' | 'ready' | 'closed';
  whenReady: Promise<number>;
  /** Resolves whenReady (once: later calls do nothing). */
  settle: (threads: number) => void;
  url: string;
  /** The threads' relative speeds (main thread first), for the 'balanced' split. */
  speeds: number[];
}

let requested: number | undefined;
let pool: Pool | undefined;
let failure: BackendError | undefined;
let threadedCalls = 0;
let lastThreads = 0;
let lastMainMs = 0;
let lastWaitMs = 0;
let lastRows: number[] = [];
let lastUnits: number[] = [];
let columnCalls = 0;
let lastThreadMs: number[] = [];
let split: KernelThreadSplit = 'balanced';
let warned = false;
let poisonNext = false;
let stallWorker = -1;
let slowWorkers: number[] = [];
let failStart = false;

/**
 * Sets `configureWasm({ kernelThreads })`: a different count closes the running workers (new ones start lazily);
 * any call clears an earlier failure, so that threads are tried again.
 */
export function setRequestedKernelThreads(count: number): void {
  if (count === requested && failure === undefined) return;
  requested = count;
  closeKernelThreads();
  failure = undefined;
  warned = false;
}

/** Sets `configureWasm({ kernelThreadSplit })` (the speeds measured so far are kept; 'even' does not update them). */
export function setKernelThreadSplit(mode: KernelThreadSplit): void {
  split = mode;
}

/** The thread count asked for, resolved: the configured one, else tfjs's (1 before tfjs initialised). */
function targetThreads(): number {
  if (requested !== undefined) return requested;
  try {
    return Math.min(getThreadsCount(), MAX_KERNEL_THREADS);
  } catch {
    return 1;
  }
}

/** Threads a call may be split across now. */
export function runningKernelThreads(): number {
  return pool?.state === 'ready' ? pool.workers.length + 1 : 1;
}

/** Counters and state of the kernel threads. */
export function getKernelThreadStats(): KernelThreadStats {
  const stats: KernelThreadStats = {
    requested,
    running: runningKernelThreads(),
    threadedCalls,
    lastThreads,
    lastMainMs,
    lastWaitMs,
    lastRows: [...lastRows],
    lastUnits: [...lastUnits],
    columnCalls,
    lastThreadMs: [...lastThreadMs],
    split,
    speeds: pool === undefined ? [1] : [...pool.speeds],
  };
  if (failure !== undefined) stats.error = failure;
  return stats;
}

/** Terminates the workers (they hold no state beyond the module instance); the next large call starts new ones. */
export function closeKernelThreads(): void {
  const p = pool;
  pool = undefined;
  if (p === undefined) return;
  p.state = 'closed';
  for (const w of p.workers) w.terminate();
  URL.revokeObjectURL(p.url);
  p.settle(1);
}

/** Whether this runtime can run kernel threads on `memory`: a shared memory and Web Workers (not Node). */
export function threadsPossible(memory: WebAssembly.Memory): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' &&
    memory.buffer instanceof SharedArrayBuffer &&
    typeof Worker !== 'undefined' &&
    typeof Blob !== 'undefined' &&
    typeof URL !== 'undefined' &&
    typeof URL.createObjectURL === 'function' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false
  );
}

/**
 * Starts the workers for `memory` unless they run (or are starting) already; resolves with the thread count once
 * they are up (1 when threads cannot or should not run here).
 */
export function startKernelThreads(memory: WebAssembly.Memory, module: WebAssembly.Module): Promise<number> {
  if (pool !== undefined && pool.memory !== memory) closeKernelThreads();
  if (pool !== undefined) return pool.whenReady;
  const target = targetThreads();
  if (failure !== undefined || target < 2 || !threadsPossible(memory)) return Promise.resolve(1);

  const count = target - 1;
  const control = new Int32Array(new SharedArrayBuffer((HEADER + count * SLOT) * 4));
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const p: Pool = {
    memory,
    workers: [],
    control,
    ready: 0,
    state: 'starting',
    whenReady: Promise.resolve(1),
    settle: () => {},
    url,
    speeds: new Array<number>(count + 1).fill(1),
  };
  pool = p;
  p.whenReady = new Promise<number>((resolve) => {
    p.settle = resolve;
    const timer = setTimeout(() => {
      if (p.state === 'starting') fail(`the workers did not start within ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    const fail = (why: string, cause?: unknown) => {
      clearTimeout(timer);
      if (p.state === 'closed') return;
      failure = new BackendError(`wasm kernel threads: ${why}; the fused kernels run on one thread`, { cause });
      closeKernelThreads();
    };
    try {
      for (let index = 0; index < count; index++) {
        const worker = new Worker(url, { name: `basicrnn-rnn-kernel-${index + 1}` });
        p.workers.push(worker);
        worker.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
          if (event.data.type === 'error') return fail(`worker ${index + 1} could not instantiate the module (${event.data.message})`);
          if (p.state !== 'starting') return;
          if (++p.ready === count) {
            clearTimeout(timer);
            p.state = 'ready';
            URL.revokeObjectURL(url);
            resolve(count + 1);
          }
        };
        worker.onerror = (event: ErrorEvent) => {
          event.preventDefault?.();
          fail(`worker ${index + 1} failed: ${event.message || 'could not start (blocked by the page policy?)'}`);
        };
        worker.postMessage({ module: failStart ? null : module, memory, control: control.buffer, index });
      }
      failStart = false;
    } catch (cause) {
      fail(`could not start ${count} worker(s): ${cause instanceof Error ? cause.message : String(cause)}`, cause);
    }
  });
  return p.whenReady;
}

/** A range of batch rows. */
export interface Rows {
  start: number;
  count: number;
}

/**
 * Splits `batch` rows into up to `threads` ranges of at least `minRows`, on multiples of 4 (the module's row tile)
 * when every range can have 4 or more; one range when the call is too small to gain from threads. `speeds` (one per
 * thread, any scale; default equal) makes each range's size proportional to its thread's speed, as far as the
 * row unit allows.
 */
export function splitBatch(batch: number, work: number, threads: number, speeds?: readonly number[]): Rows[] {
  const n = Math.min(threads, tuning.maxThreads, Math.floor(batch / Math.max(1, tuning.minRows)));
  if (n < 2 || work < tuning.minWork) return [{ start: 0, count: batch }];
  const unit = batch >= 4 * n ? 4 : 1;
  const least = Math.max(unit, Math.min(tuning.minRows, Math.floor(batch / n)));
  const bounds = proportionalBounds(batch, n, unit, least, speeds);
  const rows: Rows[] = [];
  for (let k = 0; k < n; k++) if (bounds[k + 1]! > bounds[k]!) rows.push({ start: bounds[k]!, count: bounds[k + 1]! - bounds[k]! });
  return rows;
}

/**
 * Bounds 0 = b_0 ≤ … ≤ b_n = total of n shares proportional to `speeds` (one per share, any scale; missing or bad
 * ones count as 1), each inner bound on a multiple of `unit`, every share at least `least` (after the previous
 * bound, and room left for the rest).
 */
function proportionalBounds(total: number, n: number, unit: number, least: number, speeds?: readonly number[]): number[] {
  const weights = Array.from({ length: n }, (_, k) => {
    const s = speeds?.[k];
    return s !== undefined && Number.isFinite(s) && s > 0 ? s : 1;
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  const bounds = [0];
  let cumulative = 0;
  for (let k = 1; k < n; k++) {
    cumulative += weights[k - 1]!;
    const ideal = unit * Math.round((cumulative / sum) * (total / unit));
    bounds.push(Math.min(total - (n - k) * least, Math.max(bounds[k - 1]! + least, ideal)));
  }
  bounds.push(total);
  return bounds;
}

/**
 * Updates the pool's speeds from one split call's shares and times (ms): each thread's rows per ms against the
 * participants' mean, blended into the moving average, then kept within {@link MAX_SPEED_RATIO} of the mean.
 */
export function updateSpeeds(speeds: number[], rows: readonly Rows[], ms: readonly number[]): void {
  const n = rows.length;
  if (n < 2 || ms.length < n || ms.some((t) => !(t >= tuning.minTimedMs) || !Number.isFinite(t))) return;
  const rates = rows.map((r, k) => r.count / ms[k]!);
  const meanRate = rates.reduce((a, b) => a + b, 0) / n;
  const current = speeds.slice(0, n);
  const meanSpeed = current.reduce((a, b) => a + b, 0) / n;
  const alpha = tuning.speedSmoothing;
  for (let k = 0; k < n; k++) speeds[k] = (1 - alpha) * current[k]! + alpha * meanSpeed * (rates[k]! / meanRate);
  const mean = speeds.reduce((a, b) => a + b, 0) / speeds.length;
  for (let k = 0; k < speeds.length; k++) {
    speeds[k] = Math.min(MAX_SPEED_RATIO, Math.max(1 / MAX_SPEED_RATIO, speeds[k]! / mean));
  }
}

/** The parts of tfjs's Emscripten module a split call uses. */
export interface Heap {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** One kernel call, described so that any thread can run a range of its batch rows. */
export interface BatchedCall {
  /** The module export every thread calls. */
  fn: ThreadedExport;
  batch: number;
  /** Multiply-adds of the whole call (decides whether it is worth splitting). */
  work: number;
  /** Scratch bytes the export needs for `rows` batch rows. */
  scratchBytes(rows: number): number;
  /**
   * Float32 lengths of the outputs summed over the batch (the weight gradients), in the order `args` takes their
   * pointers; empty for a forward.
   */
  sums: number[];
  /** The output pointers of {@link sums} (the main thread's share writes there). */
  sumOutputs: number[];
  /** The export's arguments for a range of rows, with its scratch and where its summed outputs go. */
  args(rows: Rows, scratch: number, sums: number[]): number[];
  /**
   * A split to use instead of the computed one when it has as many ranges (GRU's backward: the split its forward
   * saved its gates in, so that every share reads them). Ignored unless its ranges cover the batch in order.
   */
  preferredSplit?: readonly Rows[];
  /** The same call split by hidden units instead of rows, where the module has an export for it. */
  columns?: ColumnCall;
}

/** One thread's share of a column-split call. */
export interface ColumnPart {
  /** The thread (0: the main thread). */
  index: number;
  /** Its hidden units [j0, j1) (multiples of 8). */
  j0: number;
  j1: number;
  /** Its batch rows [b0, b1) for the work a column split shares out by rows (a backward's dx). */
  b0: number;
  b1: number;
}

/** A kernel call split by hidden units: every thread calls `fn` with all batch rows, a share of the units. */
export interface ColumnCall {
  fn: ThreadedExport;
  hidden: number;
  /** Multiply-adds of one step's recurrent product (B·gates·H·H). */
  stepWork: number;
  /** Scratch all threads share (0: none) and each thread's own. */
  sharedBytes: number;
  ownBytes: number;
  /**
   * The export's arguments for one thread: `shared` and `scratch` as sized above, `ctl` the call's barrier block,
   * `threads` the thread count.
   */
  args(part: ColumnPart, shared: number, scratch: number, ctl: number, threads: number): number[];
}

/**
 * Splits `hidden` units into `threads` shares on multiples of 8 (each at least 8), proportional to `speeds`; empty
 * when the units cannot be split that way (hidden not a multiple of 8, or fewer than 8 per thread).
 */
export function splitUnits(hidden: number, threads: number, speeds?: readonly number[]): [number, number][] {
  if (hidden % 8 !== 0 || hidden < 8 * threads || threads < 2) return [];
  const bounds = proportionalBounds(hidden, threads, 8, 8, speeds);
  return bounds.slice(1).map((end, k) => [bounds[k]!, end]);
}

/**
 * Whether a call should split its hidden units rather than its rows: it can (an export, units to share), and its
 * rows cannot give every thread a 4-row tile (B 1 on 2 threads runs on one; B 8 on 4 leaves 2 idle) while each
 * thread's share of a step is large enough to pay for the step's exchange; or the tuning says 'always'. (On a
 * machine whose threads run at unequal speeds the column split also follows the speeds where rows cannot, but on
 * this project's VMs the exchange cost more than the unevenness it recovers at the bench's Long shape.)
 */
function columnsFor(call: BatchedCall, threads: number, speeds: readonly number[]): [number, number][] {
  if (call.columns === undefined || tuning.columnSplit === 'never' || call.work < tuning.minWork) return [];
  const n = Math.min(threads, tuning.maxThreads);
  const units = splitUnits(call.columns.hidden, n, split === 'balanced' ? speeds : undefined);
  if (units.length < 2 || tuning.columnSplit === 'always') return units;
  return call.batch < 4 * n && call.columns.stepWork / units.length >= tuning.columnMinStepWork ? units : [];
}

/**
 * Runs `call` on the main thread alone, or split across the kernel threads when they run and the call is large
 * enough. `single` runs the whole call on the main thread (the path without threads, and the fallback).
 */
export function runBatched(
  heap: Heap,
  memory: WebAssembly.Memory,
  module: WebAssembly.Module,
  exports: Record<ThreadedExport, (...args: number[]) => number | void>,
  call: BatchedCall,
  single: () => void,
): void {
  const p = pool;
  if (p === undefined || p.memory !== memory) {
    // Start (or restart on a new memory) in the background; this call runs on one thread.
    void startKernelThreads(memory, module);
    return single();
  }
  if (p.state !== 'ready') return single();
  const units = columnsFor(call, p.workers.length + 1, p.speeds);
  if (units.length >= 2) return runColumns(heap, memory, p, exports, call, call.columns!, units, single);
  let parts = splitBatch(call.batch, call.work, p.workers.length + 1, split === 'balanced' ? p.speeds : undefined);
  if (parts.length < 2) return single();
  if (call.preferredSplit !== undefined && call.preferredSplit.length === parts.length && coversInOrder(call.preferredSplit, call.batch)) {
    parts = call.preferredSplit.map((rows) => ({ ...rows }));
  }

  // One block: each part's scratch, then (parts after the first) its private copies of the summed outputs.
  const layout: { scratch: number; sums: number[] }[] = [];
  let total = 0;
  parts.forEach((rows, k) => {
    const scratch = total;
    total += align16(Math.max(16, call.scratchBytes(rows.count)));
    const sums = k === 0 ? [] : call.sums.map((length) => {
      const at = total;
      total += align16(length * 4);
      return at;
    });
    layout.push({ scratch, sums });
  });
  const block = heap._malloc(total) >>> 0;
  if (block === 0) return single();

  let release = true;
  try {
    const argsOf = parts.map((rows, k) =>
      call.args(rows, block + layout[k]!.scratch, k === 0 ? call.sumOutputs : layout[k]!.sums.map((s) => block + s)),
    );
    const run = runShares(p, exports, call.fn, argsOf);
    if (run.failure !== undefined) {
      release = run.release;
      return giveUp(run.failure, single);
    }
    if (call.sums.length > 0) {
      const f32 = new Float32Array(memory.buffer);
      call.sums.forEach((length, s) => {
        const out = call.sumOutputs[s]! >>> 2;
        for (let k = 1; k < parts.length; k++) {
          const src = (block + layout[k]!.sums[s]!) >>> 2;
          for (let i = 0; i < length; i++) f32[out + i] = f32[out + i]! + f32[src + i]!;
        }
      });
    }
    record(run, parts.map((rows) => rows.count), []);
    if (split === 'balanced') updateSpeeds(p.speeds, parts, lastThreadMs);
  } finally {
    if (release) heap._free(block);
  }
}

/** n rounded up to 16 bytes. */
function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/**
 * {@link runBatched} split by hidden units: every thread calls the column export with all batch rows and its
 * units; one block holds the barrier's control words, the shared scratch and each thread's own. The summed
 * outputs need no reduction: each thread writes its own columns of them.
 */
function runColumns(
  heap: Heap,
  memory: WebAssembly.Memory,
  p: Pool,
  exports: Record<ThreadedExport, (...args: number[]) => number | void>,
  call: BatchedCall,
  columns: ColumnCall,
  units: [number, number][],
  single: () => void,
): void {
  const n = units.length;
  const ctlBytes = align16(4 * (2 + n));
  const shared = ctlBytes;
  const own = (k: number) => shared + align16(Math.max(16, columns.sharedBytes)) + k * align16(Math.max(16, columns.ownBytes));
  const block = heap._malloc(own(n)) >>> 0;
  if (block === 0) return single();
  let release = true;
  try {
    new Int32Array(memory.buffer, block, 2 + n).fill(0);
    const parts: ColumnPart[] = units.map(([j0, j1], k) => ({
      index: k,
      j0,
      j1,
      b0: Math.floor((k * call.batch) / n),
      b1: Math.floor(((k + 1) * call.batch) / n),
    }));
    const argsOf = parts.map((part, k) => columns.args(part, block + shared, block + own(k), block, n));
    const run = runShares(p, exports, columns.fn, argsOf);
    if (run.failure !== undefined) {
      release = run.release;
      return giveUp(run.failure, single);
    }
    columnCalls++;
    record(run, parts.map(() => call.batch), units.map(([j0, j1]) => j1 - j0));
  } finally {
    if (release) heap._free(block);
  }
}

/** What {@link runShares} measured, or why the call must be recomputed on one thread. */
interface SharesRun {
  own: number;
  wait: number;
  threadMs: number[];
  failure?: string;
  /** False when a worker may still write into the call's block (it must stay allocated). */
  release: boolean;
}

/**
 * Hands argsOf[k] (k ≥ 1) to worker k − 1, runs argsOf[0] on this thread, then waits for the workers (spinning:
 * the browser main thread may not block), at most the tuning's time limit. Throws what this thread's share threw.
 */
function runShares(
  p: Pool,
  exports: Record<ThreadedExport, (...args: number[]) => number | void>,
  fn: ThreadedExport,
  argsOf: number[][],
): SharesRun {
  const c = p.control;
  if (argsOf.some((a) => a.length > MAX_ARGS)) throw new Error(`wasm kernel threads: ${fn} takes more than ${MAX_ARGS} arguments`);
  Atomics.store(c, DONE, 0);
  for (let k = 1; k < argsOf.length; k++) {
    const base = HEADER + (k - 1) * SLOT;
    const args = argsOf[k]!;
    c[base + STATUS] = 0;
    c[base + FN] = poisonNext ? THREADED_EXPORTS.length : THREADED_EXPORTS.indexOf(fn);
    c[base + NARGS] = args.length;
    c[base + DELAY] = Math.round((slowWorkers[k - 1] ?? 0) * 1000);
    for (let a = 0; a < args.length; a++) c[base + ARGS + a] = args[a]! | 0;
    if (k - 1 === stallWorker) continue; // test hook: as if this worker were gone
    Atomics.add(c, base + SEQ, 1);
    Atomics.notify(c, base + SEQ, 1);
  }
  poisonNext = false;
  stallWorker = -1;
  const started = performance.now();
  let ownError: unknown;
  let aborted = false;
  try {
    aborted = exports[fn](...argsOf[0]!) === -1;
  } catch (e) {
    // Still wait for the workers below: they write into the call's block until they are done.
    ownError = e ?? new Error('fused kernel failed');
  }
  const own = performance.now() - started;
  const others = argsOf.length - 1;
  // After an abort at a barrier the live workers see the abort flag and return at once: wait no longer for the others.
  const limit = aborted ? tuning.timeoutMs : Math.max(tuning.timeoutMs, tuning.timeoutFactor * own);
  let spins = 0;
  while (Atomics.load(c, DONE) < others) {
    if ((++spins & 1023) === 0 && performance.now() - own - started > (aborted ? limit : limit - own)) {
      // A worker is gone or stuck: it may still write into the block, so leave the block allocated.
      const failure = aborted
        ? `a thread did not reach a step's barrier in ${fn}, and a worker did not return within ${Math.round(limit)} ms after (it died or hangs)`
        : `a worker did not finish its share within ${Math.round(limit)} ms (it died or hangs)`;
      return { own, wait: 0, threadMs: [], release: false, failure };
    }
  }
  if (ownError !== undefined) throw ownError;
  for (let k = 1; k < argsOf.length; k++) {
    if (c[HEADER + (k - 1) * SLOT + STATUS] !== 1) return { own, wait: 0, threadMs: [], release: true, failure: `worker ${k} failed in ${fn}` };
  }
  if (aborted) return { own, wait: 0, threadMs: [], release: true, failure: `a thread did not reach a step's barrier in ${fn}` };
  const threadMs = argsOf.map((_, k) => (k === 0 ? own : c[HEADER + (k - 1) * SLOT + MICROS]! / 1000));
  return { own, wait: performance.now() - started - own, threadMs, release: true };
}

/** Records a split call in the stats. */
function record(run: SharesRun, rows: number[], units: number[]): void {
  threadedCalls++;
  lastThreads = rows.length;
  lastMainMs = run.own;
  lastWaitMs = run.wait;
  lastRows = rows;
  lastUnits = units;
  lastThreadMs = run.threadMs;
}

/** Whether `rows` are non-empty ranges that cover 0..batch in order. */
function coversInOrder(rows: readonly Rows[], batch: number): boolean {
  let next = 0;
  for (const r of rows) {
    if (r.start !== next || !(r.count > 0)) return false;
    next += r.count;
  }
  return next === batch;
}

/** Turns threads off for good (until `configureWasm({ kernelThreads })` asks again) and recomputes on one thread. */
function giveUp(why: string, single: () => void): void {
  failure = new BackendError(`wasm kernel threads: ${why}; the workers were stopped and the fused kernels run on one thread from now on`);
  closeKernelThreads();
  if (!warned) {
    warned = true;
    console.warn(failure.message);
  }
  single();
}

/**
 * Test hooks: make the workers of the next split call fail (an unknown export), never hand worker `index` its
 * share of the next split call (as if it had died), slow a worker down, forget the measured speeds, or make the
 * next start fail.
 */
export const kernelThreadTestHooks = {
  poisonNextCall(): void {
    poisonNext = true;
  },
  stallNextCall(index: number): void {
    stallWorker = index;
  },
  /**
   * Worker `index` (0: the first) takes at least `ms` over every share from now on, as a slow core would (0: back to
   * normal).
   */
  slowWorker(index: number, ms: number): void {
    slowWorkers[index] = ms;
  },
  /** Back to equal speeds, as if no split call had been timed. */
  resetSpeeds(): void {
    pool?.speeds.fill(1);
  },
  /** The next start hands the workers no module, so that they fail to instantiate it. */
  failNextStart(): void {
    failStart = true;
  },
};
