import '@basicrnn/backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { BackendError, BasicRNN, DeviceLostError, getBackend, setBackend, type TrainingMirror } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { onWebGLContextLost, webglContextLost } from './index.js';

// WebGL context loss during fit, injected with WEBGL_lose_context on the context tfjs renders with. tfjs-webgl 4.22
// never restores a lost context, so webgl stays unusable on this page afterwards: this file runs in its own page.

const N = 32;
const BATCH = 8; // 4 steps per epoch
const LR = 0.02;

function data() {
  return tf.tidy(() => {
    const x = tf.randomUniform([N, 6, 3], -1, 1, 'float32', 21);
    const y = tf.reshape(tf.cast(tf.greater(tf.sum(x, [1, 2]), 0), 'float32'), [N, 1]);
    return { x, y };
  });
}

function loseContext(): void {
  const backend = tf.engine().registry['webgl'] as MathBackendWebGL;
  const gl = backend.getGPGPUContext().gl;
  const extension = gl.getExtension('WEBGL_lose_context');
  expect(extension).not.toBeNull();
  extension!.loseContext();
}

async function weightsOf(model: BasicRNN): Promise<Float32Array[]> {
  const ws = model.getWeights();
  const values = await Promise.all(ws.map(async (w) => (await w.data()) as Float32Array));
  tf.dispose(ws);
  return values;
}

describe('WebGL context loss during fit (Chromium)', () => {
  let mirror: TrainingMirror;
  let model: BasicRNN;
  let tensorsBefore: number;
  /** A tensor uploaded to the context before the loss: what tfjs makes of it afterwards. */
  let uploaded: tf.Tensor;

  afterAll(async () => {
    await setBackend('cpu');
  });

  it('fit rejects within one step with DeviceLostError; the weights come from the mirror and are readable', async () => {
    await setBackend('webgl');
    expect(webglContextLost()).toBeUndefined();
    // Big enough that tfjs does not run its ops on the CPU (it does below 128 elements): after one program the
    // values live in a texture only.
    uploaded = tf.range(1, 1025);
    tf.dispose(tf.add(uploaded, 0));
    tensorsBefore = tf.memory().numTensors;
    const { x, y } = data();
    model = new BasicRNN({ hiddenSize: 8, outputSize: 1, seed: 5 });
    model.compile({ optimizer: 'adam', learningRate: LR, loss: 'binaryCrossentropy' });
    const seen: string[] = [];
    let epochNow = 0;
    let lostEvents = 0;
    const error = await model
      .fit(x, y, {
        epochs: 3,
        batchSize: BATCH,
        shuffle: false,
        callbacks: {
          onEpochBegin: async (e) => void (epochNow = e),
          onBatchEnd: async (b) => {
            seen.push(`${epochNow}:${b}`);
            if (epochNow === 1 && b === 1) {
              onWebGLContextLost(() => lostEvents++);
              loseContext();
            }
          },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error).toBeInstanceOf(BackendError);
    const lost = error as DeviceLostError;
    // Lost after epoch 1 batch 1: the next step (batch 2) is refused, nothing after it ran.
    expect(seen).toEqual(['0:0', '0:1', '0:2', '0:3', '1:0', '1:1']);
    expect(lost.message).toMatch(/fit: the webgl backend lost its device at epoch 1, batch 2 \(the WebGL context was lost\)/);
    expect(lost.message).toMatch(/restored from the copy taken after epoch 0, batch 3 \(step 4\)/);
    expect(webglContextLost()).toBe('the WebGL context was lost');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lostEvents).toBe(1);

    mirror = lost.mirror!;
    expect(mirror).toMatchObject({ step: 4, epoch: 0, batch: 3 });
    expect(mirror.weights).toHaveLength(5);
    expect(mirror.optimizer!).toHaveLength(1 + 2 * 5); // iteration count, Adam's two moments per weight
    expect(Array.from(mirror.optimizer![0]!.values)).toEqual([4]);
    for (const m of mirror.optimizer!.slice(6)) expect(m.values.some((v) => v !== 0)).toBe(true); // 2nd moments

    // Readable while webgl (lost) is still active: the restored values never touch the lost textures.
    const restored = await weightsOf(model);
    restored.forEach((w, i) => expect(w).toEqual(mirror.weights[i]!.values));

    await expect(model.trainOnBatch(x, y)).rejects.toBeInstanceOf(DeviceLostError);
    tf.dispose([x, y]);
  });

  it('webgl cannot be started again on this page: setBackend("webgl") says so', async () => {
    await setBackend('cpu');
    const error = await setBackend('webgl').catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/WebGL context was lost.*never creates a new one.*reloaded/);
    expect(getBackend()).toBe('cpu');
  });

  it('on wasm, training continues from the mirror: same numbers as a model given the mirror by hand', async () => {
    await setBackend('wasm');
    // tfjs moves a tensor to the new backend on first use by reading the old one: from a lost context, zeros.
    expect(Array.from(uploaded.dataSync()).every((v) => v === 0)).toBe(true);
    uploaded.dispose();
    tensorsBefore--;
    const { x, y } = data();
    const weights = await weightsOf(model);
    weights.forEach((w, i) => expect(w).toEqual(mirror.weights[i]!.values));

    // Control: a fresh model handed the mirror's weights and Adam state through the public APIs.
    const control = new BasicRNN({ hiddenSize: 8, outputSize: 1, seed: 99 });
    control.build([null, 6, 3]);
    const given = mirror.weights.map((m) => tf.tensor(m.values, m.shape));
    control.setWeights(given);
    tf.dispose(given);
    const adam = tf.train.adam(LR, 0.9, 0.999, 1e-7);
    const state = mirror.optimizer!.map((m) => ({ name: m.name, tensor: tf.tensor(m.values, m.shape, m.dtype) }));
    await adam.setWeights(state);
    tf.dispose(state.map((s) => s.tensor));
    control.compile({ optimizer: adam, loss: 'binaryCrossentropy' });

    const history = await model.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false });
    await control.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false });
    expect(history.history['loss']!.every(Number.isFinite)).toBe(true);
    const resumed = await weightsOf(model);
    const expected = await weightsOf(control);
    resumed.forEach((w, i) => expect(w).toEqual(expected[i]));
    expect(resumed.some((w, i) => w.some((v, j) => v !== mirror.weights[i]!.values[j]))).toBe(true);

    control.dispose();
    adam.dispose();
    model.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
