// Soak runs shared by the Node and browser suites: many training steps, and many backend swaps, on a tiny model,
// measuring tfjs's tensor count and bytes (which must not move) and the JavaScript heap (which may move only by the
// measurement noise stated by the caller).
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend } from '@basicrnn/core';

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
        // Long enough for V8 to finish compiling the step's code: in Node the heap grew ~1.5 MB over the first
        // 1,500 steps and then moved by −50…+190 kB per 1,500 steps (measured on cpu).
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
