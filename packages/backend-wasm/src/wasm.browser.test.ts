import * as tf from '@tensorflow/tfjs-core';
import { BackendError, ConfigError, getBackend, getBackendInfo, setBackend } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { configureWasm, getWasmInfo } from './index.js';
import { expectWasmBuildOfSuite } from './test/expect_wasm_build.js';
import { wasmUrls } from './test/wasm_urls.js';

// Runs in both browser suites: browser-wasm (plain page) and browser-wasm-threads (cross-origin isolated,
// threads: 4 requested by the setup file). __WASM_THREADS_SUITE__ says which one this is.

/** A matmul large enough for XNNPACK to split it across the pool, followed by tanh. */
function computation(size: number): Float32Array {
  return tf.tidy(() => {
    const a = tf.sin(tf.reshape(tf.range(0, size * size, 1, 'float32'), [size, size]));
    const b = tf.cos(tf.reshape(tf.range(0, size * size, 1, 'float32'), [size, size]));
    return tf.tanh(tf.div(tf.matMul(a, b), size)).dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe(`wasm in Chromium (${__WASM_THREADS_SUITE__ ? 'cross-origin isolated, threaded' : 'plain page'})`, () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('starts on cpu with the wasm module not yet loaded', () => {
    expect(self.crossOriginIsolated).toBe(__WASM_THREADS_SUITE__);
    expect(getBackend()).toBe('cpu');
    expect(getWasmInfo().initialized).toBe(false);
  });

  it('setBackend("wasm") loads the build for this page from the URLs Vite serves', async () => {
    await setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    expectWasmBuildOfSuite();
    const info = getBackendInfo();
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    if (__WASM_THREADS_SUITE__) expect(info.threads).toBeGreaterThanOrEqual(2);
    else expect(info.threads).toBe(1);
    // The .wasm file really came from the ?url import handed to configureWasm.
    const binary = getWasmInfo().binary!;
    const expected = new URL(wasmUrls[binary], location.href).href;
    const fetched = performance.getEntriesByType('resource').map((entry) => entry.name);
    expect(fetched).toContain(expected);
  });

  it('cpu → wasm → cpu keeps results equal', async () => {
    await setBackend('cpu');
    const onCpu = computation(96);
    await setBackend('wasm');
    const onWasm = computation(96);
    await setBackend('cpu');
    const again = computation(96);
    expect(maxAbsDiff(onWasm, onCpu)).toBeLessThan(1e-5);
    expect(maxAbsDiff(again, onCpu)).toBe(0);
    await setBackend('wasm');
  });

  it('an unknown backend rejects with BackendError, leaves wasm active and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    await expect(setBackend('no-such-backend')).rejects.toBeInstanceOf(BackendError);
    expect(getBackend()).toBe('wasm');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the thread count is fixed once the module runs', () => {
    const threads = getWasmInfo().threads!;
    expect(() => configureWasm({ threads })).not.toThrow();
    expect(() => configureWasm({ threads: threads + 3 })).toThrow(ConfigError);
    expect(() => configureWasm({ wasmPaths: wasmUrls })).not.toThrow(); // same paths: a no-op
  });
});
