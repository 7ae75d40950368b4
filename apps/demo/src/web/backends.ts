import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, getBackend, getBackendInfo, listBackends, setBackend, type BackendInfo } from '@basicrnn/core';
import { configureWasm, getWasmInfo } from '@basicrnn/backend-wasm';
import '@basicrnn/backend-webgl';
import type { BackendResult } from '@basicrnn/viz';
import { wasmUrls } from './assets.js';
import { WEB_BACKENDS, type ThreadChoice, type WebBackend } from './settings.js';

/** What the page reports about itself: threads need cross-origin isolation (COOP + COEP headers). */
export interface PageFacts {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

export function pageFacts(): PageFacts {
  return { crossOriginIsolated: self.crossOriginIsolated === true, hardwareConcurrency: navigator.hardwareConcurrency ?? 1 };
}

/**
 * Points tfjs at the .wasm files Vite serves and fixes the thread count. Must run before the first
 * `setBackend('wasm')`: tfjs starts the module once per page.
 */
export function setUpWasm(threads: ThreadChoice): void {
  configureWasm({ wasmPaths: wasmUrls, ...(threads === 'auto' ? {} : { threads }) });
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
export interface ReportedInfo extends BackendInfo {
  binary?: string;
}

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

/** One backend's row of the parity run. */
export interface ParityRow extends BackendResult {
  name: WebBackend;
  /** Why this backend could not run, when it could not. */
  error?: string;
}

/** Median of a few timed runs of `run` (after one warm-up run: shader compilation, weights moving over). */
async function medianMs(run: () => Promise<void>, budgetMs: number, maxRuns: number): Promise<number> {
  await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < 3 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Runs the same input through the model on every backend of the page: the output's largest |difference| from
 * cpu (the reference), milliseconds per forward pass, and per training step (forward + gradients of every weight;
 * the weights are not updated, so every backend sees the same model). Puts the previous backend back.
 */
export async function runParity(
  model: BasicRNN,
  x: tf.Tensor3D,
  onProgress: (row: ParityRow) => void,
): Promise<ParityRow[]> {
  const previous = getBackend();
  const rows: ParityRow[] = [];
  let reference: Float32Array | null = null;
  try {
    for (const name of ['cpu', ...availableBackends().filter((b) => b !== 'cpu')] as WebBackend[]) {
      try {
        await setBackend(name);
      } catch (e) {
        const row: ParityRow = { name, backend: name, error: e instanceof Error ? e.message : String(e) };
        rows.push(row);
        onProgress(row);
        continue;
      }
      try {
        const row: Measured = await withTimeout(measure(name, model, x, reference), MEASURE_TIMEOUT_MS, () => stallReason(name));
        if (name === 'cpu') reference = row.values;
        rows.push(row.result);
        onProgress(row.result);
      } catch (e) {
        // One backend failing (a lost WebGL context, say) must not hide the others' results.
        const row: ParityRow = { name, backend: name, error: `failed while running: ${e instanceof Error ? e.message : String(e)}` };
        rows.push(row);
        onProgress(row);
      }
    }
  } finally {
    if (getBackend() !== previous) await setBackend(previous);
  }
  return rows;
}

interface Measured {
  result: ParityRow;
  values: Float32Array;
}

/** A backend that takes longer than this is reported as failed instead of holding the page forever. */
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
  return `no result after ${MEASURE_TIMEOUT_MS / 1000} s${lost ? ': the WebGL context was lost (reload the page to get it back)' : ''}`;
}

/** Times one backend (the active one) and compares its output with the reference, when there is one yet. */
async function measure(
  name: WebBackend,
  model: BasicRNN,
  x: tf.Tensor3D,
  reference: Float32Array | null,
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
  const forwardMs = await medianMs(forward, 300, 15);
  const trainMs = await medianMs(step, 300, 9);
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
