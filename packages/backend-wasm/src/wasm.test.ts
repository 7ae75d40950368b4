import * as tf from '@tensorflow/tfjs-core';
import { BackendError, ConfigError, getBackend, getBackendInfo, listBackends, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getWasmInfo, wasmInitialized } from './index.js';

// One module per process: the tests run in order, before and after the wasm module initialises.

function computation(): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor2d([0.5, -1, 2, 0.25, 3, -0.75], [2, 3]);
    const w = tf.tensor2d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2]);
    const b = tf.tensor1d([0.05, -0.05]);
    return tf.tanh(tf.add(tf.matMul(x, w), b)).dataSync() as Float32Array;
  });
}

describe('before the wasm module starts', () => {
  it('registers the wasm backend without activating it', () => {
    expect(listBackends()).toContain('wasm');
    expect(getBackend()).toBe('cpu');
    expect(wasmInitialized()).toBe(false);
    expect(getWasmInfo()).toEqual({ initialized: false });
  });

  it('rejects invalid configurations with ConfigError', () => {
    expect(() => configureWasm({ threads: 0 })).toThrow(ConfigError);
    expect(() => configureWasm({ threads: 2.5 })).toThrow(/positive integer/);
    expect(() => configureWasm({ thread: 2 } as never)).toThrow(/unknown option.*"thread"/);
    expect(() => configureWasm({ wasmPaths: '' })).toThrow(ConfigError);
    expect(() => configureWasm({ wasmPaths: { 'tfjs-backend-wasm-simd': 'x' } as never })).toThrow(/unknown file/);
    expect(() => configureWasm(null as never)).toThrow(ConfigError);
  });

  it('accepts a thread count before initialisation (Node runs the unthreaded build anyway)', () => {
    expect(() => configureWasm({ threads: 2 })).not.toThrow();
  });
});

describe('wasm in Node', () => {
  it('setBackend("wasm") activates it, with SIMD and one thread as obtained', async () => {
    await setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    const info = getBackendInfo();
    expect(info).toMatchObject({ name: 'wasm', simd: true, threads: 1 });
    expect(getWasmInfo()).toEqual({
      initialized: true,
      simd: true,
      threads: 1,
      binary: 'tfjs-backend-wasm-simd.wasm',
      kernelThreads: 1,
    });
  });

  it('an unknown backend name rejects with BackendError and leaves wasm active', async () => {
    const before = tf.memory().numTensors;
    await expect(setBackend('no-such-backend')).rejects.toThrow(BackendError);
    await expect(setBackend('no-such-backend')).rejects.toThrow(/unknown backend "no-such-backend"/);
    expect(getBackend()).toBe('wasm');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an unknown backend name leaves cpu active too, without leaking tensors', async () => {
    await setBackend('cpu');
    const before = tf.memory().numTensors;
    await expect(setBackend('no-such-backend')).rejects.toBeInstanceOf(BackendError);
    expect(getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cpu → wasm → cpu gives the same results, and tensors move with the switch', async () => {
    await setBackend('cpu');
    const onCpu = computation();
    const kept = tf.tensor1d([1, 2, 3]);
    await setBackend('wasm');
    const onWasm = computation();
    expect(Array.from(tf.square(kept).dataSync())).toEqual([1, 4, 9]);
    await setBackend('cpu');
    const again = computation();
    for (let i = 0; i < onCpu.length; i++) {
      expect(onWasm[i]).toBeCloseTo(onCpu[i]!, 6);
      expect(again[i]).toBe(onCpu[i]);
    }
    kept.dispose();
  });

  it('after initialisation the thread count is fixed: same request is a no-op, another throws ConfigError', () => {
    expect(() => configureWasm({ threads: 2 })).not.toThrow(); // as requested before init
    expect(() => configureWasm({ threads: 1 })).not.toThrow(); // as obtained
    expect(() => configureWasm({ threads: 3 })).toThrow(ConfigError);
    expect(() => configureWasm({ threads: 3 })).toThrow(/page reload/);
    expect(() => configureWasm({ wasmPaths: '/elsewhere/' })).toThrow(/already loaded/);
  });
});
