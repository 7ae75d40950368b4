import * as tf from '@tensorflow/tfjs-core';
import { getBackend, getBackendInfo, listBackends, setBackend, type BackendInfo, type BasicRNN, type Sequential } from '@basicrnn/core';
import { configureWasm, getWasmInfo } from '@basicrnn/backend-wasm';
import '@basicrnn/backend-webgl';
import type { WasmBinaryName } from '@basicrnn/backend-wasm';
import type { ParityRow, ReportedInfo } from './protocol.js';
import { WEB_BACKENDS, type ThreadChoice, type WebBackend } from './settings.js';

// The worker's side of backends: starting them (bounded), what they report, and the parity run. Runs in the model
// worker (src/web/worker.ts), never on the page.

/**
 * Points tfjs at the .wasm files Vite serves and fixes the thread count. Must run before the first
 * `setBackend('wasm')`: tfjs starts the module once per worker (a new thread count is a new worker).
 */
export function setUpWasm(threads: ThreadChoice, wasmPaths: Record<WasmBinaryName, string>): void {
  configureWasm({ wasmPaths, ...(threads === 'auto' ? {} : { threads }) });
}

/** A backend that has not started after this long is given up on (tfjs would wait forever). */
const START_TIMEOUT_MS = 30_000;

/**
 * `setBackend`, but bounded: if the backend has not started after {@link START_TIMEOUT_MS} (a wasm worker that
 * fails to load leaves tfjs waiting for good), the backend is removed for this page load, cpu takes over, and the
 * promise rejects with a reason to act on.
 */
export async function activateBackend(name: WebBackend): Promise<void> {
  let timedOut = false;
  try {
    await withTimeout(setBackend(name), START_TIMEOUT_MS, () => {
      timedOut = true;
      const hint = name === 'wasm' ? ' (its .wasm file or its thread workers did not load: see the browser console)' : '';
      return `${name} did not start within ${START_TIMEOUT_MS / 1000} s${hint}; it is off until the page reloads, cpu is active instead`;
    });
  } catch (e) {
    if (timedOut) {
      // tfjs refuses every op while an initialisation is pending; removing the backend is its way to give up on it.
      tf.removeBackend(name);
      await setBackend('cpu');
    }
    throw e;
  }
}

/** The backends of this page the app offers, in the picker's order (all three are registered on import). */
export function availableBackends(): WebBackend[] {
  const known = listBackends();
  return WEB_BACKENDS.filter((b) => known.includes(b));
}

/** getBackendInfo() plus the wasm build that was loaded, for the report table. */
export function reportedInfo(): ReportedInfo {
  const info: ReportedInfo = getBackendInfo();
  if (info.name === 'wasm') {
    const binary = getWasmInfo().binary;
    if (binary !== undefined) info.binary = binary;
  }
  return info;
}

/** Label of a backend in charts: `wasm (4 threads)` when the pool has more than one thread. */
export function backendLabel(info: BackendInfo): string {
  return info.name === 'wasm' && (info.threads ?? 1) > 1 ? `wasm (${info.threads} threads)` : info.name;
}

/** Lets the worker's message handler run (Stop, Cancel) between measurements: a macrotask, not a microtask. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Thrown inside the parity run when the user cancels it; the run reports what it has. */
export class ParityCancelled extends Error {
  override readonly name = 'ParityCancelled';
}

/** What the parity run is told and tells: progress per measurement, rows as they finish, cancellation. */
export interface ParityHooks {
  onProgress(backend: WebBackend, step: number, steps: number, what: string): void;
  onRow(row: ParityRow): void;
  cancelled(): boolean;
}

/** Measurements per backend: the start, the forward timing, the training-step timing, the comparison. */
const STEPS_PER_BACKEND = 4;

/** Median of a few timed runs of `run` (after one warm-up run: shader compilation, weights moving over). */
async function medianMs(run: () => Promise<void>, budgetMs: number, maxRuns: number, hooks: ParityHooks): Promise<number> {
  const check = async () => {
    await yieldToEventLoop();
    if (hooks.cancelled()) throw new ParityCancelled('cancelled');
  };
  await run();
  await check();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < 3 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    await check();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Runs the same input through the model on every backend of the worker: the output's largest |difference| from
 * cpu (the reference), milliseconds per forward pass, and per training step (forward + gradients of every weight;
 * the weights are not updated, so every backend sees the same model). Puts the previous backend back. Cancelling
 * ends it after the current measurement, with the rows finished so far.
 */
export async function runParity(model: BasicRNN | Sequential, x: tf.Tensor, hooks: ParityHooks): Promise<{ rows: ParityRow[]; cancelled: boolean }> {
  const previous = getBackend();
  const rows: ParityRow[] = [];
  let reference: Float32Array | null = null;
  const order = ['cpu', ...availableBackends().filter((b) => b !== 'cpu')] as WebBackend[];
  const steps = order.length * STEPS_PER_BACKEND;
  let cancelled = false;
  try {
    for (const [k, name] of order.entries()) {
      if (hooks.cancelled()) {
        cancelled = true;
        break;
      }
      hooks.onProgress(name, k * STEPS_PER_BACKEND, steps, `starting ${name}`);
      try {
        await setBackend(name);
      } catch (e) {
        const row: ParityRow = { name, backend: name, error: e instanceof Error ? e.message : String(e) };
        rows.push(row);
        hooks.onRow(row);
        continue;
      }
      try {
        const progress = (i: number, what: string) => hooks.onProgress(name, k * STEPS_PER_BACKEND + i, steps, what);
        const row: Measured = await withTimeout(measure(name, model, x, reference, hooks, progress), MEASURE_TIMEOUT_MS, () => stallReason(name));
        if (name === 'cpu') reference = row.values;
        rows.push(row.result);
        hooks.onRow(row.result);
      } catch (e) {
        if (e instanceof ParityCancelled) {
          cancelled = true;
          break;
        }
        // One backend failing (a lost WebGL context, say) must not hide the others' results.
        const row: ParityRow = { name, backend: name, error: `failed while running: ${e instanceof Error ? e.message : String(e)}` };
        rows.push(row);
        hooks.onRow(row);
      }
    }
  } finally {
    if (getBackend() !== previous) await setBackend(previous);
  }
  return { rows, cancelled };
}

interface Measured {
  result: ParityRow;
  values: Float32Array;
}

/** A backend that takes longer than this is reported as failed instead of holding the run forever. */
const MEASURE_TIMEOUT_MS = 60_000;

/**
 * Rejects when `promise` has not settled after `ms`. tfjs waits for WebGL results by polling a fence with no time
 * limit, so a lost context (the GPU process restarted) would otherwise leave the run pending for good.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, reason: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function stallReason(name: WebBackend): string {
  const gl = (tf.engine().registry as Record<string, { gpgpu?: { gl?: WebGLRenderingContext } } | undefined>).webgl?.gpgpu?.gl;
  const lost = name === 'webgl' && gl?.isContextLost() === true;
  return `no result after ${MEASURE_TIMEOUT_MS / 1000} s${lost ? ': the WebGL context was lost (restart the page to get it back)' : ''}`;
}

/** Times one backend (the active one) and compares its output with the reference, when there is one yet. */
async function measure(
  name: WebBackend,
  model: BasicRNN | Sequential,
  x: tf.Tensor,
  reference: Float32Array | null,
  hooks: ParityHooks,
  progress: (step: number, what: string) => void,
): Promise<Measured> {
  const forward = async () => {
    const out = model.predict(x, { batchSize: x.shape[0] });
    await out.data();
    out.dispose();
  };
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.mean(tf.square(model.predict(x, { batchSize: x.shape[0] })))));
    await Promise.all([value.data(), ...Object.values(grads).map((g) => g.data())]);
    tf.dispose([value, grads]);
  };
  progress(1, `${name}: timing the forward pass`);
  const forwardMs = await medianMs(forward, 300, 15, hooks);
  progress(2, `${name}: timing a training step`);
  const trainMs = await medianMs(step, 300, 9, hooks);
  progress(3, `${name}: comparing with cpu`);
  const out = model.predict(x, { batchSize: x.shape[0] });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  const result: ParityRow = { name, backend: backendLabel(getBackendInfo()), forwardMs, trainMs };
  // cpu is the reference; without its output (cpu failed) there is nothing to compare with.
  if (name === 'cpu') return { result: { ...result, maxAbsDiff: 0 }, values };
  if (reference === null) return { result, values };
  let maxAbsDiff = 0;
  for (let i = 0; i < values.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(values[i]! - reference[i]!));
  return { result: { ...result, maxAbsDiff }, values };
}
