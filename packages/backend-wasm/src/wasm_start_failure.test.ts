import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, ConfigError, getBackend, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getWasmInfo } from './index.js';

// A separate file (its own process): a failure inside tfjs's own start leaves its wasm module unusable for the
// process. The binary here passes every check prepare() can make (a valid wasm module) but is not tfjs's: it
// imports a function nobody provides, so instantiation fails inside tfjs, which aborts its module.

const SIMD = 'tfjs-backend-wasm-simd.wasm';
// A valid module importing `() => void` as basicrnn_test.missing: magic and version, a type section, an import section.
const FOREIGN_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
  0x02, 0x19, 0x01, 0x0d, ...new TextEncoder().encode('basicrnn_test'), 0x07, ...new TextEncoder().encode('missing'), 0x00, 0x00,
]);

describe('wasm whose start fails inside tfjs', () => {
  it('the module is valid wasm, so prepare() lets it through', () => {
    expect(WebAssembly.validate(FOREIGN_MODULE)).toBe(true);
  });

  it('rejects with BackendError saying the failure is final for the process; cpu stays active', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'basicrnn-wasm-'));
    writeFileSync(join(dir, SIMD), FOREIGN_MODULE);
    configureWasm({ wasmPaths: dir });
    const before = tf.memory().numTensors;
    const error = await setBackend('wasm').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect(error!.message).toContain(`"${join(dir, SIMD)}"`);
    expect(error!.message).toMatch(/aborted its wasm module and starts it once per page: wasm stays unavailable until the page \(or process\) is reloaded/);
    expect(getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(getWasmInfo().initialized).toBe(false);
  });

  it('tfjs then refuses new paths, reported as ConfigError, and setBackend keeps rejecting', async () => {
    const installedDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    expect(() => configureWasm({ wasmPaths: `${installedDir}/` })).toThrow(ConfigError);
    await expect(setBackend('wasm')).rejects.toBeInstanceOf(BackendError);
    expect(getBackend()).toBe('cpu');
  });
});
