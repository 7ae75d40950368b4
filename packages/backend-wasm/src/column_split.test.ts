// The column split of the fused kernels (assembly/rnn.ts, "Column split"): threads that share every batch row and
// split the hidden units, with a spin barrier per step. Run here on Node's worker_threads over the shared-memory
// build on a shared WebAssembly.Memory (no tfjs: the browser suites run it through the backend), against the same
// module's single-threaded export: every output must be bitwise identical, whatever the split.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RNN_WASM_SHARED } from './kernels/rnn_wasm_binary.js';

type Exports = Record<string, (...args: number[]) => number>;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const exports = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
parentPort.on('message', ({ fn, args }) => {
  let result;
  try { result = exports[fn](...args); } catch (e) { result = String(e); }
  parentPort.postMessage(result);
});
`;

const ACT = { tanh: 0, relu: 1, sigmoid: 2, linear: 3, hardSigmoid: 4 } as const;

let memory: WebAssembly.Memory;
let rnn: Exports;
let workers: Worker[] = [];
let top = 0;
let seed = 7;

function alloc(bytes: number): number {
  const p = top;
  top = (p + Math.ceil(bytes) + 64 + 63) & ~63;
  const need = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  return p;
}
function f32(p: number, n: number): Float32Array {
  return new Float32Array(memory.buffer, p, n);
}
function random(n: number, scale: number): number {
  const p = alloc(n * 4);
  const a = f32(p, n);
  for (let i = 0; i < n; i++) a[i] = (((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216 - 0.5) * scale;
  return p;
}
function zeros(n: number): number {
  const p = alloc(n * 4);
  f32(p, n).fill(0);
  return p;
}
function bits(p: number, n: number): Uint32Array {
  return new Uint32Array(memory.buffer.slice(p, p + n * 4));
}
/** Where two float32 buffers differ in any bit: the count and the first index (-1: identical). */
function diff(a: number, b: number, n: number): { differ: number; first: number } {
  const x = bits(a, n);
  const y = bits(b, n);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) {
      if (first < 0) first = i;
      differ++;
    }
  }
  return { differ, first };
}
const SAME = { differ: 0, first: -1 };

/** Runs `fn` on the main thread (thread 0) and the workers at once: args(k) are thread k's arguments. */
async function runThreads(fn: string, threads: number, args: (k: number) => number[]): Promise<number[]> {
  const replies = workers.slice(0, threads - 1).map(
    (w, k) =>
      new Promise<number>((resolve) => {
        w.once('message', resolve);
        w.postMessage({ fn, args: args(k + 1) });
      }),
  );
  const own = rnn[fn]!(...args(0));
  return [own, ...(await Promise.all(replies))];
}

/** Units [j0, j1) of each thread: boundaries at multiples of 8. */
function columns(hidden: number, bounds: number[]): [number, number][] {
  const all = [0, ...bounds, hidden];
  return all.slice(1).map((end, k) => [all[k]!, end]);
}

interface Case {
  name: string;
  batch: number;
  steps: number;
  inputSize: number;
  hidden: number;
  bounds: number[];
  act?: number;
  gateAct?: number;
  backwards?: boolean;
  mask?: 'none' | 'zeros' | 'fractional';
  h0?: 'zero' | 'random';
  savedGates?: boolean;
}

const CASES: Case[] = [
  { name: 'B8 T30 I16 H128, 2 threads 64/64', batch: 8, steps: 30, inputSize: 16, hidden: 128, bounds: [64] },
  { name: 'B3 T17 I5 H48, 2 threads 16/32, backwards, masked, random h0', batch: 3, steps: 17, inputSize: 5, hidden: 48, bounds: [16], backwards: true, mask: 'fractional', h0: 'random' },
  { name: 'B5 T9 I0 H32, 3 threads 8/16/8, relu + hard sigmoid, mask zeros', batch: 5, steps: 9, inputSize: 0, hidden: 32, bounds: [8, 24], act: ACT.relu, gateAct: ACT.hardSigmoid, mask: 'zeros' },
  { name: 'B8 T12 I7 H64, 2 threads 56/8, gates not saved', batch: 8, steps: 12, inputSize: 7, hidden: 64, bounds: [56], savedGates: false, mask: 'zeros', h0: 'random' },
];

/** The case's mask [B, T]: all ones, every fifth step 0, or a mix of 1, 0 and fractions. */
function maskOf(c: Case): number {
  const n = c.batch * c.steps;
  const mask = alloc(n * 4);
  const m = f32(mask, n);
  for (let i = 0; i < n; i++) m[i] = c.mask === 'zeros' ? (i % 5 === 2 ? 0 : 1) : c.mask === 'fractional' ? [1, 0, 0.25, 1, 0.5][i % 5]! : 1;
  return mask;
}

beforeAll(async () => {
  memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(Buffer.from(RNN_WASM_SHARED, 'base64'));
  rnn = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  workers = [0, 1].map(() => new Worker(WORKER, { eval: true, workerData: { module, memory } }));
  top = 1024;
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

describe('LSTM column split (worker_threads, shared memory)', () => {
  for (const c of CASES) {
    it(`matches one thread bit for bit: ${c.name}`, async () => {
      const { batch: B, steps: T, inputSize: I, hidden: H } = c;
      const G = 4 * H;
      const act = c.act ?? ACT.tanh;
      const gateAct = c.gateAct ?? ACT.sigmoid;
      const back = c.backwards ? 1 : 0;
      const x = random(B * T * I, 2);
      const w = random(I * G, 0.6);
      const u = random(H * G, 0.6);
      const bias = random(G, 0.4);
      const h0 = c.h0 === 'random' ? random(B * H, 1) : zeros(B * H);
      const c0 = random(B * H, 1);
      const mask = maskOf(c);
      const parts = columns(H, c.bounds);
      const threads = parts.length;
      const fwdScratch = rnn.lstmForwardScratchBytes!(B, T, I, H);
      const gatesBytes = rnn.lstmGatesBytes!(B, T, H);

      // One thread.
      const hs1 = zeros(B * T * H), cs1 = zeros(B * T * H), z1 = alloc(gatesBytes);
      rnn.lstmForward!(x, w, u, bias, h0, c0, mask, hs1, cs1, z1, alloc(fwdScratch), B, T, I, H, act, gateAct, back);
      // Split.
      const hs2 = zeros(B * T * H), cs2 = zeros(B * T * H), z2 = alloc(gatesBytes);
      const ctl = zeros(2 + threads);
      const scratch = parts.map(() => alloc(fwdScratch));
      const results = await runThreads('lstmForwardColumns', threads, (k) => [
        x, w, u, bias, h0, c0, mask, hs2, cs2, z2, scratch[k]!, B, T, I, H, act, gateAct, back, parts[k]![0], parts[k]![1], ctl, threads, k,
      ]);
      expect(results).toEqual(parts.map(() => 0));
      expect(diff(hs2, hs1, B * T * H)).toEqual(SAME);
      expect(diff(cs2, cs1, B * T * H)).toEqual(SAME);
      expect(diff(z2, z1, gatesBytes / 4)).toEqual(SAME);
      const late = Array.from(new Int32Array(memory.buffer, ctl + 8, threads));
      expect(late.reduce((a, b) => a + b, 0)).toBe(T); // one thread arrives last at each of the T barriers

      // Backward from the same forward (saved gates, or recomputed).
      const dh = random(B * T * H, 1), dc = random(B * T * H, 1);
      const saved = c.savedGates === false ? 0 : z1;
      const bwdScratch = rnn.lstmBackwardScratchBytes!(B, T, I, H);
      const outs = () => ({ dx: zeros(B * T * I), dw: zeros(I * G), du: zeros(H * G), db: zeros(G), dh0: zeros(B * H), dc0: zeros(B * H), dHid: zeros(B * T * H) });
      const o1 = outs();
      rnn.lstmBackward!(x, w, u, bias, h0, c0, mask, hs1, cs1, dh, dc, saved, o1.dx, o1.dw, o1.du, o1.db, o1.dh0, o1.dc0, o1.dHid, alloc(bwdScratch), B, T, I, H, act, gateAct, back);
      const o2 = outs();
      const shared = alloc(bwdScratch);
      const own = parts.map(() => alloc(rnn.lstmBackwardColumnsBytes!(B, I, H)));
      const ctl2 = zeros(2 + threads);
      const rowsOf = (k: number) => [Math.floor((k * B) / threads), Math.floor(((k + 1) * B) / threads)];
      const results2 = await runThreads('lstmBackwardColumns', threads, (k) => [
        x, w, u, bias, h0, c0, mask, hs1, cs1, dh, dc, saved, o2.dx, o2.dw, o2.du, o2.db, o2.dh0, o2.dc0, o2.dHid, shared, own[k]!,
        B, T, I, H, act, gateAct, back, parts[k]![0], parts[k]![1], rowsOf(k)[0]!, rowsOf(k)[1]!, ctl2, threads, k,
      ]);
      expect(results2).toEqual(parts.map(() => 0));
      const sizes = { dx: B * T * I, dw: I * G, du: H * G, db: G, dh0: B * H, dc0: B * H, dHid: B * T * H };
      for (const [name, n] of Object.entries(sizes)) {
        const k = name as keyof typeof sizes;
        expect(diff(o2[k], o1[k], n), name).toEqual(SAME);
      }
    });
  }
});

describe('GRU forward column split (worker_threads, shared memory)', () => {
  for (const c of CASES) {
    for (const resetAfter of [true, false]) {
      it(`matches one thread bit for bit: ${c.name}, resetAfter ${resetAfter}`, async () => {
        const { batch: B, steps: T, inputSize: I, hidden: H } = c;
        const G = 3 * H;
        const act = c.act ?? ACT.tanh;
        const gateAct = c.gateAct ?? ACT.sigmoid;
        const back = c.backwards ? 1 : 0;
        const x = random(B * T * I, 2);
        const w = random(I * G, 0.6);
        const u = random(H * G, 0.6);
        const bias = random(resetAfter ? 2 * G : G, 0.4);
        const h0 = c.h0 === 'random' ? random(B * H, 1) : zeros(B * H);
        const mask = maskOf(c);
        const parts = columns(H, c.bounds);
        const threads = parts.length;
        const scratchBytes = rnn.gruForwardScratchBytes!(B, T, I, H);
        const saveBytes = rnn.gruGatesBytes!(B, T, H);
        const save = c.savedGates !== false;
        const hs1 = zeros(B * T * H), z1 = save ? zeros(saveBytes / 4) : 0;
        rnn.gruForward!(x, w, u, bias, h0, mask, hs1, z1, alloc(scratchBytes), B, T, I, H, act, gateAct, resetAfter ? 1 : 0, back);
        const hs2 = zeros(B * T * H), z2 = save ? zeros(saveBytes / 4) : 0;
        const ctl = zeros(2 + threads);
        const shared = zeros(B * H);
        const scratch = parts.map(() => alloc(scratchBytes));
        const results = await runThreads('gruForwardColumns', threads, (k) => [
          x, w, u, bias, h0, mask, hs2, z2, shared, scratch[k]!, B, T, I, H, act, gateAct, resetAfter ? 1 : 0, back,
          parts[k]![0], parts[k]![1], ctl, threads, k,
        ]);
        expect(results).toEqual(parts.map(() => 0));
        expect(diff(hs2, hs1, B * T * H)).toEqual(SAME);
        if (save) expect(diff(z2, z1, saveBytes / 4)).toEqual(SAME);
        const late = Array.from(new Int32Array(memory.buffer, ctl + 8, threads));
        expect(late.reduce((a, b) => a + b, 0)).toBe(resetAfter ? T : 2 * T);
      });
    }
  }
});
