import * as tf from '@tensorflow/tfjs-core';
import { BackendError, BusyError, ConfigError, describe } from './errors.js';
import { RnnSequence } from './kernel_names.js';
import { useFusedKernel } from './ops/fused_flag.js';
import { checkOptions, type OptionSchema } from './options.js';
import { assertFunction } from './validate.js';

/** What the active backend reports about itself. Fields a backend does not have are absent. */
export interface BackendInfo {
  /** The tfjs backend name: 'cpu', 'wasm', 'webgl', … */
  name: string;
  /** wasm: whether the SIMD build was loaded. */
  simd?: boolean;
  /** wasm: the number of threads the module actually runs (1 without cross-origin isolation). */
  threads?: number;
  /** webgl: 1 or 2. */
  webglVersion?: number;
  /**
   * webgl: the precision tfjs reports through `backend.floatPrecision()`. tfjs 4.22 reports 16 even when float32
   * textures are rendered; `float32Textures` says what is really used.
   */
  floatPrecision?: number;
  /** webgl: whether float32 textures are rendered (full float32 precision). */
  float32Textures?: boolean;
  /** Whether fused recurrence kernels are registered for this backend and enabled. */
  fusedKernels?: boolean;
}

/**
 * How a backend package plugs into core. `@basicrnn/backend-wasm` and `@basicrnn/backend-webgl` each register
 * one binding when imported; core itself registers the `cpu` binding.
 */
export interface BackendBinding {
  /** tfjs backend name; the tfjs backend itself must be registered with `tf.registerBackend` too. */
  readonly name: string;
  /** Runs before `tf.setBackend(name)` (e.g. to apply wasm file locations or the thread count). */
  prepare?(): void | Promise<void>;
  /** Describes the backend after it became active. Called by {@link getBackendInfo}. */
  describe?(): Omit<BackendInfo, 'name'>;
  /** A sentence explaining why initialisation failed, if the binding can tell (e.g. no WebGL context). */
  explainFailure?(): string | undefined;
  /**
   * Why the backend's device is gone for good (a lost WebGL context), or `undefined` while it works. Training
   * checks it around every step, so a lost device ends `fit` with a {@link BackendError} instead of garbage.
   */
  deviceLost?(): string | undefined;
  /** Calls `listener` once when the device is lost; returns the function that stops listening. */
  onDeviceLost?(listener: (reason: string) => void): () => void;
}

/** Schema of a {@link BackendBinding} (`name` is required). */
export const BACKEND_BINDING_SCHEMA: OptionSchema = {
  name: (value, argument) => {
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConfigError(`${argument}: expected a backend name string, received ${describe(value)}`);
    }
  },
  prepare: assertFunction,
  describe: assertFunction,
  explainFailure: assertFunction,
  deviceLost: assertFunction,
  onDeviceLost: assertFunction,
};

const bindings = new Map<string, BackendBinding>();
/** Open holds on the active backend (training runs); each hold is its own token. */
const holds = new Set<{ reason: string }>();

/**
 * Registers a backend binding. Registering the same object twice is a no-op; a different object under a
 * name already taken throws, so two copies of a backend package cannot silently replace each other.
 */
export function registerBackendBinding(binding: BackendBinding): void {
  checkOptions<BackendBinding>(binding, BACKEND_BINDING_SCHEMA, 'registerBackendBinding(binding)', ['name']);
  const existing = bindings.get(binding.name);
  if (existing === binding) return;
  if (existing !== undefined) {
    throw new BackendError(
      `A different binding for backend ${describe(binding.name)} is already registered (two copies of its package loaded?)`,
    );
  }
  bindings.set(binding.name, binding);
}

/**
 * Marks a span during which switching backends is refused (training holds it between batches).
 * Returns the function that releases it.
 * @internal
 */
export function holdBackend(reason: string): () => void {
  const token = { reason };
  holds.add(token);
  return () => {
    holds.delete(token);
  };
}

/** Names of every backend tfjs knows about, highest priority first. */
export function listBackends(): string[] {
  const engine = tf.engine() as unknown as { registryFactory: Record<string, { priority: number }> };
  return Object.entries(engine.registryFactory)
    .sort(([, a], [, b]) => b.priority - a.priority)
    .map(([name]) => name);
}

/** The name of the active backend. Core activates `cpu` on import unless a backend was already chosen. */
export function getBackend(): string {
  return tf.getBackend();
}

/**
 * Activates a backend. Rejects with {@link BackendError} for an unknown name or a backend that fails to start,
 * and with {@link BusyError} while training runs; in every rejected case the previous backend stays active.
 * Tensors and model weights move to the new backend when next used.
 *
 * @example
 * ```ts
 * import { setBackend, getBackendInfo } from '@basicrnn/core';
 * import '@basicrnn/backend-wasm';
 * await setBackend('wasm');
 * getBackendInfo(); // { name: 'wasm', simd: true, threads: 1, fusedKernels: true }
 * ```
 */
export async function setBackend(name: string): Promise<void> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConfigError(`setBackend(name): expected a backend name string, received ${describe(name)}`);
  }
  if (holds.size > 0) {
    const what = [...holds].map((h) => h.reason).join(', ');
    throw new BusyError(
      `setBackend(${describe(name)}): ${what} holds the backend; switch after it resolves (abort fit() to stop early)`,
    );
  }
  const known = listBackends();
  if (!known.includes(name)) {
    const hint = name === 'wasm' || name === 'webgl' ? ` (import '@basicrnn/backend-${name}' first)` : '';
    throw new BackendError(
      `setBackend(name): unknown backend ${describe(name)}${hint}; registered backends: ${known.join(', ') || 'none'}`,
    );
  }
  const previous = tf.engine().backendName;
  if (previous === name) return;
  const binding = bindings.get(name);
  try {
    await binding?.prepare?.();
  } catch (cause) {
    throw new BackendError(`setBackend(${describe(name)}): preparing the backend failed: ${errorText(cause)}`, {
      cause,
    });
  }
  let ok = false;
  let failure: unknown;
  try {
    ok = await tf.setBackend(name);
  } catch (cause) {
    failure = cause;
  }
  if (!ok) {
    // tfjs leaves the engine on the previous backend when init fails; make sure of it.
    if (previous != null && tf.engine().backendName !== previous) await tf.setBackend(previous);
    const why = binding?.explainFailure?.() ?? (failure ? errorText(failure) : 'the backend failed to initialise');
    throw new BackendError(
      `setBackend(${describe(name)}) failed: ${why}; backend ${describe(previous ?? 'none')} stays active`,
      { cause: failure },
    );
  }
}

/** What the active backend reports (SIMD and threads for wasm, WebGL version and float precision for webgl). */
export function getBackendInfo(): BackendInfo {
  const name = getBackend();
  const extra = bindings.get(name)?.describe?.() ?? {};
  return { name, ...extra, fusedKernels: useFusedKernel(RnnSequence) };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Why the active backend's device is gone (see {@link BackendBinding.deviceLost}), or `undefined`.
 * @internal
 */
export function activeDeviceLost(): string | undefined {
  return bindings.get(tf.getBackend())?.deviceLost?.();
}

/**
 * Calls `listener` once if the active backend's device is lost; returns the function that stops listening (a
 * no-op for backends that cannot lose their device).
 * @internal
 */
export function onActiveDeviceLost(listener: (reason: string) => void): () => void {
  return bindings.get(tf.getBackend())?.onDeviceLost?.(listener) ?? (() => {});
}
