import * as tf from '@tensorflow/tfjs-core';
import { BackendError, ConfigError, getBackend, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getWasmInfo } from './index.js';

// A separate file (its own process) because a failed start leaves tfjs's wasm module unusable for the page.

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(BackendError);
  return outcome as Error;
}

describe('wasm that cannot start', () => {
  it('a path map without the build this runtime loads is refused before anything is fetched', async () => {
    configureWasm({ wasmPaths: { 'tfjs-backend-wasm.wasm': '/somewhere/tfjs-backend-wasm.wasm' } });
    const error = await failureOf(setBackend('wasm'));
    expect(error.message).toMatch(/no entry for "tfjs-backend-wasm-simd\.wasm"/);
    expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(ConfigError);
    expect(getBackend()).toBe('cpu');
    expect(getWasmInfo().initialized).toBe(false);
  });

  it('a missing .wasm file rejects with BackendError naming it; cpu stays active; no tensor leaks', async () => {
    configureWasm({ wasmPaths: '/nonexistent/wasm' });
    const before = tf.memory().numTensors;
    const error = await failureOf(setBackend('wasm'));
    expect(error.message).toContain('"tfjs-backend-wasm-simd.wasm" from "/nonexistent/wasm/tfjs-backend-wasm-simd.wasm"');
    expect(getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(getWasmInfo().initialized).toBe(false);
  });

  it('tfjs refuses new paths after a failed start, reported as ConfigError', () => {
    expect(() => configureWasm({ wasmPaths: '/elsewhere/' })).toThrow(ConfigError);
  });
});
