import * as tf from '@tensorflow/tfjs-core';
import { type BackendWasm, getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  AdamUpdate,
  BackendError,
  ConfigError,
  FiniteProbe,
  GruSequence,
  GruSequenceGrad,
  LstmSequence,
  LstmSequenceGrad,
  RnnSequence,
  RnnSequenceGrad,
  checkOptions,
  type BackendBinding,
  type BackendInfo,
  type OptionSchema,
} from '@basicrnn/core';
import { endKernelThreadsWith, precompileRnnModule, rnnWasmModuleFor, wasmMemoryOf } from './kernels/rnn_module.js';
import {
  KERNEL_THREAD_SPLITS,
  type KernelThreadSplit,
  type KernelThreadStats,
  MAX_KERNEL_THREADS,
  closeKernelThreads,
  getKernelThreadStats as threadStats,
  runningKernelThreads,
  setKernelThreadSplit,
  setRequestedKernelThreads,
  startKernelThreads,
} from './kernels/threads.js';

export { KERNEL_THREAD_SPLITS, MAX_KERNEL_THREADS, type KernelThreadSplit, type KernelThreadStats };

/** The tfjs backend name this package binds. */
export const WASM_BACKEND_NAME = 'wasm';

/** The three builds tfjs-backend-wasm ships; it loads exactly one, chosen from what the page supports. */
export const WASM_BINARY_NAMES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** File name of one of the {@link WASM_BINARY_NAMES}. */
export type WasmBinaryName = (typeof WASM_BINARY_NAMES)[number];

/**
 * Where the `.wasm` files are served: a directory URL or path (the three file names are appended), or one URL
 * per build. A map only needs the build(s) the page will load: `tfjs-backend-wasm-simd.wasm` on a plain page,
 * `tfjs-backend-wasm-threaded-simd.wasm` on a cross-origin isolated one, `tfjs-backend-wasm.wasm` without SIMD.
 */
export type WasmPaths = string | Partial<Record<WasmBinaryName, string>>;

/** Options of {@link configureWasm}. */
export interface WasmConfig {
  /**
   * Where to fetch the `.wasm` files. Leave it out in Node (the files are read from the installed
   * `@tensorflow/tfjs-backend-wasm`) and with bundlers that serve them next to the tfjs script; under Vite pass
   * the `?url` imports of the files.
   */
  wasmPaths?: WasmPaths;
  /**
   * Size of the thread pool (a positive integer). Only the threaded build uses it, and tfjs loads that build
   * only on a cross-origin isolated page (COOP `same-origin` + COEP `require-corp`); never in Node. Fixed when
   * the module first initialises: changing it needs a page reload. Default: tfjs's choice (the number of
   * logical cores the browser reports).
   */
  threads?: number;
  /**
   * Threads the fused SimpleRNN/LSTM/GRU kernels split a large call's batch across (1 to
   * {@link MAX_KERNEL_THREADS}, main thread included; 1 turns kernel threads off). They are this package's own Web
   * Workers on tfjs's shared wasm memory, so they run only where tfjs runs its threaded build (a cross-origin
   * isolated page); in Node and on a plain page the kernels stay on one thread whatever is asked. The workers start
   * in the background once `setBackend('wasm')` has initialised tfjs (after a change: at the next fused kernel call,
   * or {@link wasmKernelThreadsReady}); calls run on one thread until they are up, and small calls always do. May be
   * changed at any time. Default: tfjs's thread count.
   */
  kernelThreads?: number;
  /**
   * How the kernel threads share a call's batch rows. `'balanced'` (default): each thread's share is proportional
   * to its speed as measured on the previous split calls, so that a slower core (an efficiency core, a core busy
   * with other work) does not hold the others up. `'even'`: equal shares, so that the weight gradients' float32
   * summation order (one partial sum per thread) depends only on the thread count and repeated training runs are
   * bitwise identical. Forward results never depend on the split. May be changed at any time.
   */
  kernelThreadSplit?: KernelThreadSplit;
}

/** What the wasm module actually runs, from {@link getWasmInfo}. */
export interface WasmInfo {
  /** Whether the module has initialised (the first `setBackend('wasm')` has succeeded). */
  initialized: boolean;
  /** Whether a SIMD build was loaded; `undefined` before initialisation. */
  simd?: boolean;
  /** Threads in the pool (1 without cross-origin isolation and in Node); `undefined` before initialisation. */
  threads?: number;
  /** The build that was (or, before initialisation, will be) fetched, when known. */
  binary?: WasmBinaryName;
  /**
   * Threads the fused kernels split large calls across now (1 until the kernel threads are up, and wherever they
   * cannot run); `undefined` before initialisation. See `configureWasm({ kernelThreads })`.
   */
  kernelThreads?: number;
}

/** Schema of {@link configureWasm}'s options (core's one option check: unknown keys get a did-you-mean). */
const WASM_CONFIG: OptionSchema = {
  wasmPaths: (value) => validatePaths(value),
  threads: (value, argument) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(`${argument}: expected a positive integer, received ${String(value)}`);
    }
  },
  kernelThreads: (value, argument) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_KERNEL_THREADS) {
      throw new ConfigError(`${argument}: expected an integer from 1 to ${MAX_KERNEL_THREADS}, received ${String(value)}`);
    }
  },
  kernelThreadSplit: (value, argument) => {
    if (typeof value !== 'string' || !(KERNEL_THREAD_SPLITS as readonly string[]).includes(value)) {
      throw new ConfigError(`${argument}: expected one of ${KERNEL_THREAD_SPLITS.map((m) => `'${m}'`).join(', ')}, received ${typeof value === 'string' ? `'${value}'` : String(value)}`);
    }
  },
};

// What configureWasm applied, so a later call can be compared with it and prepare() can check the paths.
let requestedThreads: number | undefined;
let appliedPaths: WasmPaths | undefined;
// Feature detection as tfjs itself does it (the same tfjs env flags), resolved in prepare().
let simdSupported: boolean | undefined;
let threadsSupported: boolean | undefined;

/**
 * Configures the wasm module: where its `.wasm` files live and how many threads it may start. Call it before
 * the first `setBackend('wasm')`: tfjs fixes both when the module first initialises. After that, a call that
 * asks for the same thing is a no-op and one that asks for something else throws {@link ConfigError}
 * (changing the thread count needs a page reload).
 *
 * @throws {ConfigError} for an unknown option, a thread count that is not a positive integer, an empty path,
 *   or a change after the module has initialised.
 *
 * @example
 * ```ts
 * // Vite: hand the bundler's URLs for the files to tfjs.
 * import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
 * import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
 * import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
 * import { configureWasm } from '@basicrnn/backend-wasm';
 * import { setBackend } from '@basicrnn/core';
 *
 * configureWasm({
 *   wasmPaths: {
 *     'tfjs-backend-wasm.wasm': plain,
 *     'tfjs-backend-wasm-simd.wasm': simd,
 *     'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd,
 *   },
 *   threads: 4, // used when the page is cross-origin isolated
 * });
 * await setBackend('wasm');
 * ```
 */
export function configureWasm(config: WasmConfig): void {
  const { wasmPaths, threads, kernelThreads, kernelThreadSplit } = checkOptions<WasmConfig>(config, WASM_CONFIG, 'configureWasm(config)');
  if (kernelThreads !== undefined) setRequestedKernelThreads(kernelThreads);
  if (kernelThreadSplit !== undefined) setKernelThreadSplit(kernelThreadSplit);

  if (wasmInitialized()) {
    const actual = getThreadsCount();
    if (threads !== undefined && threads !== requestedThreads && threads !== actual) {
      throw new ConfigError(
        `configureWasm({ threads: ${threads} }): the wasm module already runs ${actual} thread(s)` +
          (requestedThreads === undefined ? '' : ` (requested ${requestedThreads})`) +
          '; tfjs fixes the thread count when the module first initialises, so changing it needs a page reload',
      );
    }
    if (wasmPaths !== undefined && !samePaths(wasmPaths, appliedPaths)) {
      throw new ConfigError(
        'configureWasm({ wasmPaths }): the wasm module is already loaded, so new file locations would have no ' +
          'effect; call configureWasm before the first setBackend("wasm")',
      );
    }
    return;
  }

  if (wasmPaths !== undefined) {
    try {
      setWasmPaths(toTfjsPaths(wasmPaths));
    } catch (cause) {
      // tfjs refuses new paths once an initialisation has failed (its module state cannot be reset).
      throw new ConfigError(`configureWasm({ wasmPaths }): tfjs refused the paths: ${errorText(cause)}`, { cause });
    }
    appliedPaths = typeof wasmPaths === 'string' ? wasmPaths : { ...wasmPaths };
  }
  if (threads !== undefined) {
    setThreadsCount(threads);
    requestedThreads = threads;
  }
}

/** Whether the wasm module has initialised (tfjs reports its thread count only from then on). */
export function wasmInitialized(): boolean {
  try {
    getThreadsCount();
    return true;
  } catch {
    return false;
  }
}

/**
 * What the wasm module runs: SIMD, thread count and build, as obtained (not as requested). Works whichever backend
 * is active; before the first `setBackend('wasm')` it reports `initialized: false` and what is known so far.
 *
 * @example
 * ```ts
 * await setBackend('wasm');
 * getWasmInfo(); // Node: { initialized: true, simd: true, threads: 1, binary: 'tfjs-backend-wasm-simd.wasm' }
 * ```
 */
export function getWasmInfo(): WasmInfo {
  const initialized = wasmInitialized();
  const simd = initialized ? (simdSupported ?? cachedFlag('WASM_HAS_SIMD_SUPPORT')) : simdSupported;
  const threaded = initialized ? (threadsSupported ?? cachedFlag('WASM_HAS_MULTITHREAD_SUPPORT')) : threadsSupported;
  const info: WasmInfo = { initialized };
  if (simd !== undefined) info.simd = simd;
  if (initialized) info.threads = getThreadsCount();
  if (simd !== undefined && threaded !== undefined) info.binary = binaryFor(simd, threaded);
  if (initialized) info.kernelThreads = runningKernelThreads();
  return info;
}

/**
 * Starts the fused kernels' worker threads now, rather than at the first kernel call, and resolves with the
 * number of threads large calls are split across once they are up: 1 where kernel threads cannot run (Node, a page
 * that is not cross-origin isolated, `kernelThreads: 1`, the wasm backend not initialised yet, or workers that
 * failed to start: see {@link getKernelThreadStats}). Call it after `await setBackend('wasm')`.
 *
 * @example
 * ```ts
 * configureWasm({ threads: 4, kernelThreads: 4 });
 * await setBackend('wasm');
 * await wasmKernelThreadsReady(); // 4 on a cross-origin isolated page, 1 elsewhere
 * ```
 */
export async function wasmKernelThreadsReady(): Promise<number> {
  if (!wasmInitialized()) return 1;
  const backend = tf.engine().registry[WASM_BACKEND_NAME] as BackendWasm | undefined;
  if (backend === undefined || backend.wasm === null || backend.wasm === undefined) return 1;
  try {
    endKernelThreadsWith(backend);
    return await startKernelThreads(wasmMemoryOf(backend), rnnWasmModuleFor(backend));
  } catch {
    return 1;
  }
}

let startPending = false;

/**
 * Polls (every 50 ms, for at most 30 s) until tfjs's wasm backend exists, then starts the kernel threads in the
 * background; `setBackend('wasm')` initialises it right after `prepare()`, and there is no hook after that.
 */
function startKernelThreadsOnceInitialised(): void {
  if (startPending || typeof setTimeout !== 'function') return;
  startPending = true;
  let tries = 0;
  const tick = () => {
    if (wasmInitialized() && tf.engine().registry[WASM_BACKEND_NAME] !== undefined) {
      startPending = false;
      void wasmKernelThreadsReady();
    } else if (++tries < 600) {
      setTimeout(tick, 50);
    } else {
      startPending = false;
    }
  };
  setTimeout(tick, 0);
}

/**
 * What the fused kernels' threads do: the count asked and running, how many calls were split across threads,
 * and, if they turned off, the {@link BackendError} that says why.
 */
export function getKernelThreadStats(): KernelThreadStats {
  return threadStats();
}

/**
 * Ends the fused kernels' worker threads now (they also end with the wasm backend, on `tf.removeBackend('wasm')`).
 * Kernel calls go on on one thread until the next large call starts the workers again.
 */
export function closeWasmKernelThreads(): void {
  closeKernelThreads();
}

/**
 * The core binding for the tfjs `wasm` backend; importing this package registers it. `prepare()` resolves SIMD and
 * thread support and checks that a configured path map has the build this page will load; `describe()` reports
 * `simd` and `threads` as obtained.
 */
export const wasmBinding: BackendBinding = {
  name: WASM_BACKEND_NAME,

  async prepare(): Promise<void> {
    const env = tf.env();
    const [simd, threaded] = await Promise.all([
      env.getAsync('WASM_HAS_SIMD_SUPPORT'),
      env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    ]);
    // The fused recurrence module needs SIMD; without it (or if it does not compile here) core falls back to its
    // composite. tfjs loads its threaded build, on a shared memory, exactly when both features are there.
    try {
      if (!simd) throw new Error('no wasm SIMD');
      await precompileRnnModule(Boolean(threaded));
      // Threaded build: start the kernels' workers as soon as tfjs has initialised (right after this returns).
      if (threaded) startKernelThreadsOnceInitialised();
    } catch {
      unregisterFusedKernels();
    }
    if (wasmInitialized()) return;
    simdSupported = Boolean(simd);
    threadsSupported = Boolean(threaded);
    if (appliedPaths !== undefined && typeof appliedPaths !== 'string') {
      const needed = binaryFor(simdSupported, threadsSupported);
      if (appliedPaths[needed] === undefined) {
        throw new ConfigError(
          `configureWasm({ wasmPaths }) has no entry for ${JSON.stringify(needed)}, the build this page loads ` +
            `(SIMD ${simdSupported ? 'on' : 'off'}, threads ${threadsSupported ? 'on' : 'off'}); add its URL`,
        );
      }
    }
    // tfjs gets one start per page: a file that fails inside it cannot be replaced afterwards. Check the
    // configured file now, while a failure still leaves the paths open to a retry.
    if (appliedPaths !== undefined) await checkBinary(configuredLocation(binaryFor(simdSupported, threadsSupported)));
  },

  describe(): Omit<BackendInfo, 'name'> {
    const { simd, threads } = getWasmInfo();
    const info: Omit<BackendInfo, 'name'> = {};
    if (simd !== undefined) info.simd = simd;
    if (threads !== undefined) info.threads = threads;
    return info;
  },

  explainFailure(): string | undefined {
    if (typeof WebAssembly === 'undefined') return 'this runtime has no WebAssembly';
    if (simdSupported === undefined || threadsSupported === undefined) return undefined;
    const binary = binaryFor(simdSupported, threadsSupported);
    return (
      `the wasm module did not start: could not fetch or instantiate ${JSON.stringify(binary)} from ` +
      `${locationOf(binary)}; serve the file and pass its URL with configureWasm({ wasmPaths }) before the first ` +
      'setBackend("wasm") (under Vite: import it with ?url). ' +
      startFailureFinality()
    );
  },
};

function binaryFor(simd: boolean, threaded: boolean): WasmBinaryName {
  if (simd && threaded) return 'tfjs-backend-wasm-threaded-simd.wasm';
  return simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
}

function locationOf(binary: WasmBinaryName): string {
  if (appliedPaths === undefined) return 'the directory of the tfjs-backend-wasm script (the default)';
  if (typeof appliedPaths === 'string') return JSON.stringify(withSlash(appliedPaths) + binary);
  return JSON.stringify(appliedPaths[binary] ?? binary);
}

// Whether a failure inside tfjs's start can be retried. tfjs keeps no public "aborted" state, but re-applying the
// paths it already has is refused exactly then; with tfjs's default paths there is nothing to re-apply.
function startFailureFinality(): string {
  if (appliedPaths === undefined) {
    return 'The failure happened inside tfjs, which starts its wasm module once per page: after a failed fetch or ' +
      'compile wasm stays unavailable until the page (or process) is reloaded';
  }
  try {
    setWasmPaths(toTfjsPaths(appliedPaths));
  } catch {
    return 'The failure happened inside tfjs, which aborted its wasm module and starts it once per page: wasm stays ' +
      'unavailable until the page (or process) is reloaded';
  }
  return 'The failure happened inside tfjs, which did not lock its paths: fix them and call setBackend("wasm") again';
}

function configuredLocation(binary: WasmBinaryName): string {
  if (typeof appliedPaths === 'string') return withSlash(appliedPaths) + binary;
  return appliedPaths?.[binary] ?? binary;
}

// The first bytes of every WebAssembly binary: "\0asm", then version 1.
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * Fetches (in Node: reads) the binary tfjs is about to load and checks that it is one: reachable, not an HTML page
 * served in its place, starting with the wasm magic bytes, and valid (`WebAssembly.validate`). A wrong MIME type
 * alone is no failure: tfjs's loader falls back from streaming compilation to compiling the bytes. Throws
 * {@link BackendError} naming the location; tfjs has not started, so new paths may still be configured.
 */
async function checkBinary(location: string): Promise<void> {
  const fail = (why: string, cause?: unknown): never => {
    throw new BackendError(
      `the wasm binary at ${JSON.stringify(location)} cannot be loaded: ${why}. tfjs was not started, so ` +
        'configureWasm({ wasmPaths }) with a working location and setBackend("wasm") again can still succeed',
      { cause },
    );
  };
  let bytes: Uint8Array;
  let contentType = '';
  const fs = nodeFs();
  const local = !/^(https?|data|blob):/i.test(location);
  // Node before 20.16 has no getBuiltinModule: leave the file to tfjs rather than misreport it.
  if (fs === null && local) return;
  if (fs !== null && fs !== undefined && local) {
    try {
      bytes = await fs.readFile(location.startsWith('file:') ? new URL(location) : location);
    } catch (cause) {
      return fail(`reading the file failed (${errorText(cause)})`, cause);
    }
  } else {
    let response: Response;
    try {
      response = await fetch(location, { credentials: 'same-origin' });
    } catch (cause) {
      return fail(`the request failed (${errorText(cause)})`, cause);
    }
    if (!response.ok) return fail(`the server answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    contentType = response.headers.get('content-type') ?? '';
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  const magic = WASM_MAGIC.every((b, i) => bytes[i] === b);
  if (!magic) {
    const served = contentType === '' ? '' : ` (served as ${JSON.stringify(contentType)})`;
    const html = /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
    return fail(
      html
        ? `an HTML or XML page came instead of a wasm binary${served}: check the URL (a server falling back to index.html?)`
        : `its ${bytes.length} bytes do not start with the wasm magic number${served}: not a wasm binary, or corrupt`,
    );
  }
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    fail(`its ${bytes.length} bytes start like a wasm binary but do not validate: truncated or corrupt`);
  }
}

interface NodeFs {
  readFile(path: string | URL): Promise<Uint8Array>;
}

// Node's fs without importing it (a browser bundle must not see 'node:fs'); undefined outside Node, null in a Node
// too old to hand it out this way.
function nodeFs(): NodeFs | null | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } })
    .process;
  if (proc?.versions?.node === undefined || typeof (globalThis as { document?: unknown }).document !== 'undefined') {
    return undefined;
  }
  if (typeof proc.getBuiltinModule !== 'function') return null;
  return (proc.getBuiltinModule('fs') as { promises: NodeFs }).promises;
}

function validatePaths(paths: unknown): void {
  if (typeof paths === 'string') {
    if (paths.length === 0) throw new ConfigError('configureWasm({ wasmPaths }): expected a non-empty directory URL');
    return;
  }
  if (typeof paths !== 'object' || paths === null || Array.isArray(paths)) {
    throw new ConfigError(
      `configureWasm({ wasmPaths }): expected a directory URL or a map of file name to URL, received ${typeof paths}`,
    );
  }
  const entries = Object.entries(paths);
  if (entries.length === 0) throw new ConfigError('configureWasm({ wasmPaths }): the map names no file');
  for (const [name, url] of entries) {
    if (!(WASM_BINARY_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(
        `configureWasm({ wasmPaths }): unknown file ${JSON.stringify(name)}; expected one of ${WASM_BINARY_NAMES.join(', ')}`,
      );
    }
    if (typeof url !== 'string' || url.length === 0) {
      throw new ConfigError(`configureWasm({ wasmPaths }): the URL for ${JSON.stringify(name)} must be a non-empty string`);
    }
  }
}

// Always a full map: tfjs keeps an earlier map ahead of a later prefix, and insists on all three entries. A
// directory becomes its three file URLs; an entry missing from the user's map gets the bare file name (prepare()
// rejects that first when it is the build the page needs).
function toTfjsPaths(paths: WasmPaths): Record<WasmBinaryName, string> {
  const full = {} as Record<WasmBinaryName, string>;
  for (const name of WASM_BINARY_NAMES) {
    full[name] = typeof paths === 'string' ? withSlash(paths) + name : (paths[name] ?? name);
  }
  return full;
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function samePaths(a: WasmPaths, b: WasmPaths | undefined): boolean {
  if (b === undefined) return false;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return WASM_BINARY_NAMES.every((name) => a[name] === b[name]);
}

// tfjs's init() evaluated these async flags, so they are cached by the time the module runs.
function cachedFlag(name: string): boolean | undefined {
  try {
    return tf.env().getBool(name);
  } catch {
    return undefined;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Leaves the recurrence (and Adam's update and the training step's finiteness probe, which run in the same module)
 * to core's composites on this page (the fused module cannot run here).
 */
function unregisterFusedKernels(): void {
  for (const name of [RnnSequence, RnnSequenceGrad, LstmSequence, LstmSequenceGrad, GruSequence, GruSequenceGrad, AdamUpdate, FiniteProbe]) {
    if (tf.getKernel(name, WASM_BACKEND_NAME) !== undefined) tf.unregisterKernel(name, WASM_BACKEND_NAME);
  }
}
