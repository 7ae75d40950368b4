import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, BasicRNN, ConfigError, getBackend, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getWasmInfo } from './index.js';

// A separate file (its own process): the last test starts the wasm module, which happens once per process.
// Every failure here is caught by the binding's prepare() before tfjs starts, so the paths stay open to a retry.

const SIMD = 'tfjs-backend-wasm-simd.wasm';
const installedDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(BackendError);
  return outcome as Error;
}

/** A directory holding `bytes` under the SIMD build's name. */
function dirWith(bytes: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'basicrnn-wasm-'));
  writeFileSync(join(dir, SIMD), bytes);
  return dir;
}

async function expectRefusedBeforeStart(pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await failureOf(setBackend('wasm'));
  expect(error.message).toMatch(pattern);
  expect(error.message).toContain('tfjs was not started');
  expect(getBackend()).toBe('cpu');
  expect(tf.memory().numTensors).toBe(before);
  expect(getWasmInfo().initialized).toBe(false);
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
    await expectRefusedBeforeStart(/"\/nonexistent\/wasm\/tfjs-backend-wasm-simd\.wasm" cannot be loaded: reading the file failed \(ENOENT/);
  });

  it('corrupt bytes (not wasm at all) are refused, naming the file', async () => {
    const dir = dirWith(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    configureWasm({ wasmPaths: dir });
    await expectRefusedBeforeStart(new RegExp(`"${join(dir, SIMD)}" cannot be loaded: its 9 bytes do not start with the wasm magic`));
  });

  it('an HTML page in place of the binary is refused as such', async () => {
    configureWasm({ wasmPaths: dirWith('<!doctype html><title>Not found</title>') });
    await expectRefusedBeforeStart(/an HTML or XML page came instead of a wasm binary/);
  });

  it('a truncated binary (right magic, cut short) is refused', async () => {
    const good = readFileSync(join(installedDir, SIMD));
    configureWasm({ wasmPaths: dirWith(good.subarray(0, 4096)) });
    await expectRefusedBeforeStart(/its 4096 bytes start like a wasm binary but do not validate/);
  });

  it('a retry with good paths starts wasm and the model runs on it', async () => {
    configureWasm({ wasmPaths: `${installedDir}/` });
    await setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    expect(getWasmInfo()).toMatchObject({ initialized: true, simd: true });
    const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
    const x = tf.ones([2, 4, 2]);
    const y = model.predict(x);
    expect(y.shape).toEqual([2, 1]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});
