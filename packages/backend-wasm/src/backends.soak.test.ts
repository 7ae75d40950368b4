import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setBackend } from '@basicrnn/core';
import { formatSoak, soakSwaps, soakTraining, type HeapProbe, type SoakResult } from '@basicrnn/test-kit/soak';
import { afterAll, describe, expect, it } from 'vitest';
import './index.js';

// Soak in Node, cpu and wasm: 10,000 trainOnBatch steps and 200 backend swaps each, tensor count and bytes exactly
// flat, heap flat within HEAP_TOLERANCE. Named *.soak.test.ts so a fast run can leave it out (it runs in pnpm test).

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heap: HeapProbe = async () => {
  // Two collections with a turn of the event loop between them, so finalisers run and their garbage goes too.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
};

// After the warm-up (WARM_UP_STEPS), the heap moved by −50…+190 kB per 1,500 cpu steps with nothing retained
// (measured: V8's late optimisation and inline caches, not tensors). The tolerance is a few times that noise, and
// catches a leak of ≥ 55 bytes per step over 10,000 steps.
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

describe('soak (Node)', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`${backend}: ${STEPS} trainOnBatch steps`, async () => {
      expectFlat(await soakTraining(backend, STEPS, heap));
    }, 600_000);

    it(`${backend}: ${SWAPS} backend swaps`, async () => {
      expectFlat(await soakSwaps(backend, backend === 'cpu' ? 'wasm' : 'cpu', SWAPS, heap));
    }, 600_000);
  }
});
