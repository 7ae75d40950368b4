import * as tf from '@tensorflow/tfjs-core';
import { BackendError, BasicRNN, getBackend, setBackend } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { WASM_BINARY_NAMES, type WasmBinaryName, configureWasm, getWasmInfo } from './index.js';
import { wasmUrls } from './test/wasm_urls.js';

// Runs in both browser suites. Each file gets its own page, and the wasm module starts at most once per page: every
// failure below is caught by the binding's prepare() before tfjs starts, and the last test then starts wasm from
// a good binary served with the wrong MIME type.

/** The same URL for all three builds, so the test does not depend on which one the page loads. */
function everywhere(url: string): Record<WasmBinaryName, string> {
  return Object.fromEntries(WASM_BINARY_NAMES.map((name) => [name, url])) as Record<WasmBinaryName, string>;
}

function blobUrl(bytes: BlobPart, type: string): string {
  return URL.createObjectURL(new Blob([bytes], { type }));
}

async function expectRefusedBeforeStart(url: string, pattern: RegExp): Promise<void> {
  configureWasm({ wasmPaths: everywhere(url) });
  const before = tf.memory().numTensors;
  const error = await setBackend('wasm').then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(BackendError);
  expect(error!.message).toContain(`the wasm binary at ${JSON.stringify(url)} cannot be loaded`);
  expect(error!.message).toMatch(pattern);
  expect(error!.message).toContain('tfjs was not started');
  expect(getBackend()).toBe('cpu');
  expect(tf.memory().numTensors).toBe(before);
  expect(getWasmInfo().initialized).toBe(false);
}

describe('a wasm binary that fails to load (Chromium)', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('404: refused with BackendError naming the URL; cpu stays active', async () => {
    await setBackend('cpu');
    await expectRefusedBeforeStart('/no-such-dir/tfjs-backend-wasm-simd.wasm', /HTTP 404|HTML or XML page/);
  });

  it('corrupt bytes: refused', async () => {
    await expectRefusedBeforeStart(blobUrl(new Uint8Array(1000).fill(7), 'application/wasm'), /its 1000 bytes do not start with the wasm magic number/);
  });

  it('a truncated binary: refused', async () => {
    const good = new Uint8Array(await (await fetch(wasmUrls['tfjs-backend-wasm-simd.wasm'])).arrayBuffer());
    await expectRefusedBeforeStart(blobUrl(good.subarray(0, 5000), 'application/wasm'), /5000 bytes start like a wasm binary but do not validate/);
  });

  it('an HTML page with the wrong MIME type (a server falling back to index.html): refused', async () => {
    await expectRefusedBeforeStart(
      blobUrl('<!doctype html><html><body>app</body></html>', 'text/html'),
      /an HTML or XML page came instead of a wasm binary \(served as "text\/html"\)/,
    );
  });

  it('a network error (revoked blob URL): refused', async () => {
    const url = blobUrl(new Uint8Array(8), 'application/wasm');
    URL.revokeObjectURL(url);
    await expectRefusedBeforeStart(url, /the request failed/);
  });

  it('a retry with a good binary starts wasm, even served with the wrong MIME type; a model trains', async () => {
    const paths = { ...wasmUrls };
    for (const name of WASM_BINARY_NAMES) {
      const bytes = await (await fetch(wasmUrls[name])).arrayBuffer();
      paths[name] = blobUrl(bytes, 'application/octet-stream');
    }
    configureWasm({ wasmPaths: paths });
    await setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    expect(getWasmInfo().initialized).toBe(true);
    const model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 3 });
    model.compile({ optimizer: 'sgd', learningRate: 0.1, loss: 'meanSquaredError' });
    const x = tf.randomNormal([8, 5, 2], 0, 1, 'float32', 1);
    const y = tf.zeros([8, 1]);
    const first = (await model.trainOnBatch(x, y)) as number;
    let last = first;
    for (let i = 0; i < 20; i++) last = (await model.trainOnBatch(x, y)) as number;
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.dispose();
  });
});
