// Soak runs shared by the Node and browser suites: many training steps, and many backend swaps, on a tiny model,
// measuring tfjs's tensor count and bytes (which must not move) and the JavaScript heap (which may move only by the
// measurement noise stated by the caller).
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';

/** trainOnBatch steps per backend (issue 12: 10,000). */
export const SOAK_STEPS = 10_000;
/** Backend round trips per backend (issue 12: 200). */
export const SOAK_SWAPS = 200;
/**
 * How far the heap may move over one soak. Measured in Node on cpu, 32,000 steps in chunks of 2,000: after the
 * first chunk (+1.8 MB) each chunk added 128, 35, 10, 23, 53, 3, 5, 26, 4, 2, 15, 13, 2, 8 kB — V8 settling
 * (optimised code, inline caches), shrinking, not a per-step leak. Soaks measured +57…+317 kB in Node and
 * −53…+83 kB in Chromium over 10,000 steps after the warm-up. 1 MiB leaves room for a loaded machine and still
 * catches a leak of ≥ 105 bytes per step (a tensor leak is caught exactly by the tensor count).
 */
export const HEAP_TOLERANCE_BYTES = 1024 * 1024;

/** Before and after one soak, and the difference. */
export interface Delta {
  before: number;
  after: number;
  delta: number;
}

/** What one soak measured. */
export interface SoakResult {
  backend: string;
  what: string;
  iterations: number;
  seconds: number;
  tensors: Delta;
  bytes: Delta;
  /** JavaScript heap in use after a forced garbage collection; absent where it cannot be measured. */
  heap?: Delta;
}

/** Returns the heap in bytes after a full garbage collection (Node: v8 + vm; Chromium: CDP). */
export type HeapProbe = () => Promise<number>;

/** Steps run before measuring (see soakTraining). */
export const WARM_UP_STEPS = 1500;

function delta(before: number, after: number): Delta {
  return { before, after, delta: after - before };
}

function tinyModel(seed: number): BasicRNN {
  const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed });
  model.build([null, 3, 2]);
  model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
  return model;
}

function tinyData(): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({ x: tf.randomUniform([4, 3, 2], -1, 1, 'float32', 1), y: tf.randomUniform([4, 1], -1, 1, 'float32', 2) }));
}

async function measure(
  backend: string,
  what: string,
  iterations: number,
  heap: HeapProbe | undefined,
  warmUp: () => Promise<void>,
  body: () => Promise<void>,
): Promise<SoakResult> {
  // The warm-up creates what lives as long as the model (optimizer slots, compiled programs, kernel caches).
  await warmUp();
  const heapBefore = heap === undefined ? undefined : await heap();
  const { numTensors: tensorsBefore, numBytes: bytesBefore } = tf.memory();
  const start = performance.now();
  await body();
  const seconds = (performance.now() - start) / 1000;
  const { numTensors: tensorsAfter, numBytes: bytesAfter } = tf.memory();
  const result: SoakResult = {
    backend,
    what,
    iterations,
    seconds,
    tensors: delta(tensorsBefore, tensorsAfter),
    bytes: delta(bytesBefore, bytesAfter),
  };
  if (heap !== undefined) result.heap = delta(heapBefore!, await heap());
  return result;
}

/** `steps` calls of `trainOnBatch` on a tiny model (3 hidden units, 3 steps, batch 4) on `backend`. */
export async function soakTraining(backend: string, steps: number, heap?: HeapProbe): Promise<SoakResult> {
  await setBackend(backend);
  const model = tinyModel(17);
  const { x, y } = tinyData();
  try {
    let last = NaN;
    const result = await measure(
      backend,
      'trainOnBatch',
      steps,
      heap,
      async () => {
        // Long enough for V8 to compile the step's code: in Node the heap grew ~1.8 MB over the first 2,000 steps
        // and far less afterwards (see HEAP_TOLERANCE_BYTES).
        for (let i = 0; i < WARM_UP_STEPS; i++) await model.trainOnBatch(x, y);
      },
      async () => {
        for (let i = 0; i < steps; i++) last = (await model.trainOnBatch(x, y)) as number;
      },
    );
    if (!Number.isFinite(last)) throw new Error(`soak on ${backend}: the loss became ${last}`);
    return result;
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

/**
 * `swaps` round trips `backend` → `other` → `backend`, predicting on each side (so the model's weights move between
 * the backends every time) and checking that both sides agree.
 */
export async function soakSwaps(backend: string, other: string, swaps: number, heap?: HeapProbe): Promise<SoakResult> {
  await setBackend(backend);
  const model = tinyModel(23);
  const { x } = tinyData();
  const predictOn = async (name: string): Promise<Float32Array> => {
    await setBackend(name);
    const out = model.predict(x);
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  };
  try {
    const reference = await predictOn(backend);
    let worst = 0;
    const result = await measure(
      backend,
      `backend swaps with ${other}`,
      swaps,
      heap,
      async () => {
        for (let i = 0; i < 20; i++) {
          await predictOn(other);
          await predictOn(backend);
        }
      },
      async () => {
        for (let i = 0; i < swaps; i++) {
          const there = await predictOn(other);
          const back = await predictOn(backend);
          for (let j = 0; j < reference.length; j++) {
            worst = Math.max(worst, Math.abs(there[j]! - reference[j]!), Math.abs(back[j]! - reference[j]!));
          }
        }
      },
    );
    // The weights make the round trip unchanged; the two backends' float32 results differ by rounding only.
    if (!(worst < 1e-4)) throw new Error(`soak swaps ${backend}/${other}: outputs drifted by ${worst}`);
    return result;
  } finally {
    model.dispose();
    tf.dispose([x]);
    await setBackend(backend);
  }
}

/** One line per soak for the test log (the closing note quotes these numbers). */
export function formatSoak(r: SoakResult): string {
  const heap = r.heap === undefined ? '' : `, heap ${r.heap.before} → ${r.heap.after} B (Δ ${r.heap.delta} B)`;
  return (
    `[soak] ${r.backend}: ${r.iterations} × ${r.what} in ${r.seconds.toFixed(1)} s; tensors ${r.tensors.before} → ` +
    `${r.tensors.after} (Δ ${r.tensors.delta}), bytes ${r.bytes.before} → ${r.bytes.after} (Δ ${r.bytes.delta})${heap}`
  );
}

/** Options of {@link soakTests}. */
export interface SoakSuite {
  /** Suite label, e.g. 'Node' or 'Chromium'. */
  label: string;
  /** Each backend soaked, with the backend its swaps go to and back from. */
  backends: readonly { backend: string; swapWith: string }[];
  heap: HeapProbe;
}

/**
 * Registers the soak tests of one environment: {@link SOAK_STEPS} trainOnBatch steps and {@link SOAK_SWAPS} swaps per
 * backend, tensor count and bytes exactly flat, heap within {@link HEAP_TOLERANCE_BYTES}. Call at the top level of a
 * `*.soak.test.ts` / `*.soak.browser.test.ts` file.
 */
export function soakTests(suite: SoakSuite): void {
  const check = (r: SoakResult): void => {
    console.log(formatSoak(r));
    expect(r.tensors.delta).toBe(0);
    expect(r.bytes.delta).toBe(0);
    expect(Math.abs(r.heap!.delta)).toBeLessThan(HEAP_TOLERANCE_BYTES);
  };
  describe(`soak (${suite.label})`, () => {
    afterAll(async () => {
      await setBackend('cpu');
    });
    for (const { backend, swapWith } of suite.backends) {
      it(`${backend}: ${SOAK_STEPS} trainOnBatch steps`, async () => {
        check(await soakTraining(backend, SOAK_STEPS, suite.heap));
      }, 900_000);
      it(`${backend}: ${SOAK_SWAPS} backend swaps with ${swapWith}`, async () => {
        check(await soakSwaps(backend, swapWith, SOAK_SWAPS, suite.heap));
      }, 600_000);
    }
  });
}
