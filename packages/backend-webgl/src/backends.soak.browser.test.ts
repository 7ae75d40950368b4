import '@basicrnn/backend-wasm';
import { setBackend } from '@basicrnn/core';
import { formatSoak, soakSwaps, soakTraining, type HeapProbe, type SoakResult } from '@basicrnn/test-kit/soak';
import { cdp } from 'vitest/browser';
import { afterAll, describe, expect, it } from 'vitest';
import './index.js';

// Soak in Chromium, wasm and webgl: 10,000 trainOnBatch steps and 200 backend swaps each, tensor count and bytes
// exactly flat, the page's JavaScript heap flat within HEAP_TOLERANCE. Named *.soak.browser.test.ts so a fast run
// can leave soaks out with one pattern (*.soak*.test.ts); pnpm test runs it.

const heap: HeapProbe = async () => {
  // The provider (Playwright, Chromium) gives a CDP session; vitest's own type leaves its methods to the provider.
  const session = cdp() as unknown as { send(method: string): Promise<unknown> };
  await session.send('HeapProfiler.collectGarbage');
  await new Promise((resolve) => setTimeout(resolve, 0));
  await session.send('HeapProfiler.collectGarbage');
  const usage = (await session.send('Runtime.getHeapUsage')) as { usedSize: number };
  return usage.usedSize;
};

// The same bound as the Node soak (see backends.soak.test.ts there): a few times the heap's movement after warm-up
// with nothing retained; catches ≥ 55 bytes per step over 10,000 steps.
const HEAP_TOLERANCE = 512 * 1024;
const STEPS = 10_000;
const SWAPS = 200;

const results: SoakResult[] = [];

function expectFlat(r: SoakResult): void {
  results.push(r);
  console.log(formatSoak(r));
  expect(r.tensors.delta).toBe(0);
  expect(r.bytes.delta).toBe(0);
  expect(Math.abs(r.heap!.delta)).toBeLessThan(HEAP_TOLERANCE);
}

describe('soak (Chromium)', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  for (const backend of ['wasm', 'webgl']) {
    it(`${backend}: ${STEPS} trainOnBatch steps`, async () => {
      expectFlat(await soakTraining(backend, STEPS, heap));
    }, 900_000);

    it(`${backend}: ${SWAPS} backend swaps with cpu`, async () => {
      expectFlat(await soakSwaps(backend, 'cpu', SWAPS, heap));
    }, 600_000);
  }
});
