import '@basicrnn/backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, getBackend, getBackendInfo, setBackend } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { getWebGLInfo, type WebGLBackendInfo } from './index.js';

/** A small recurrence h ← tanh(x_t·W + h·U + b) over 12 steps, the shape of the work BasicRNN does. */
function recurrence(): Float32Array {
  return tf.tidy(() => {
    const [batch, steps, input, hidden] = [4, 12, 6, 16];
    const x = tf.sin(tf.reshape(tf.range(0, batch * steps * input, 1, 'float32'), [batch, steps, input]));
    const w = tf.mul(tf.cos(tf.reshape(tf.range(0, input * hidden, 1, 'float32'), [input, hidden])), 0.4);
    const u = tf.mul(tf.sin(tf.reshape(tf.range(0, hidden * hidden, 1, 'float32'), [hidden, hidden])), 0.25);
    const b = tf.mul(tf.cos(tf.range(0, hidden, 1, 'float32')), 0.1);
    let h: tf.Tensor2D = tf.zeros([batch, hidden]);
    for (const xt of tf.unstack(x, 1)) {
      h = tf.tanh(tf.add(tf.add(tf.matMul(xt as tf.Tensor2D, w), tf.matMul(h, u)), b)) as tf.Tensor2D;
    }
    return h.dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('webgl in Chromium', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('starts on cpu, with webgl registered but not started', () => {
    expect(getBackend()).toBe('cpu');
    expect(getWebGLInfo()).toBeUndefined();
  });

  it('setBackend("webgl") activates WebGL2 with float32 textures', async () => {
    await setBackend('webgl');
    expect(getBackend()).toBe('webgl');
    const info = getBackendInfo() as WebGLBackendInfo;
    expect(info.name).toBe('webgl');
    expect(info.webglVersion).toBe(2);
    expect(info.float32Textures).toBe(true);
    // tfjs 4.22 reports 16 on float32 textures; whatever it says is passed through unchanged.
    expect(info.floatPrecision).toBe((tf.backend() as unknown as { floatPrecision(): number }).floatPrecision());
    // Core adds whether the recurrence runs as this package's fused kernels (registered on import).
    expect(info.fusedKernels).toBe(true);
    expect({ ...getWebGLInfo(), fusedKernels: true }).toEqual(info);
    expect(Array.from(await tf.square(tf.tensor1d([1, 2, 3])).data())).toEqual([1, 4, 9]);
  });

  it('cpu → wasm → webgl → cpu keeps results equal within float32 tolerance', async () => {
    await setBackend('cpu');
    const onCpu = recurrence();
    await setBackend('wasm');
    expect(getBackendInfo()).toMatchObject({ name: 'wasm', simd: true, threads: 1 });
    const onWasm = recurrence();
    await setBackend('webgl');
    const onWebgl = recurrence();
    await setBackend('cpu');
    const again = recurrence();
    expect(maxAbsDiff(onWasm, onCpu)).toBeLessThan(1e-5);
    // The GPU's exp (inside tanh) and summation order differ from the CPU's by a few ulps per step, and 12 steps
    // compound it (1.8e-4 measured on SwiftShader); 1e-3 is tfjs's own test tolerance for float32 backends.
    expect(maxAbsDiff(onWebgl, onCpu)).toBeLessThan(1e-3);
    expect(maxAbsDiff(again, onCpu)).toBe(0);
  });

  it('a tensor made on one backend is usable on the next', async () => {
    await setBackend('webgl');
    const made = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    await setBackend('wasm');
    const product = tf.matMul(made, made);
    await setBackend('cpu');
    expect(Array.from(product.dataSync())).toEqual([7, 10, 15, 22]);
    tf.dispose([made, product]);
  });

  it('an unknown backend rejects with BackendError, leaves webgl active and leaks no tensor', async () => {
    await setBackend('webgl');
    const before = tf.memory().numTensors;
    await expect(setBackend('no-such-backend')).rejects.toBeInstanceOf(BackendError);
    expect(getBackend()).toBe('webgl');
    expect(tf.memory().numTensors).toBe(before);
  });
});
