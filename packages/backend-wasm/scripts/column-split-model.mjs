#!/usr/bin/env node
// A model of the per-step column split the kernel threads do not have yet (see the root README's threads bullet):
// does a spin barrier per step, with each thread's share of the hidden units sized by its measured speed, beat the
// row split's fixed half/half when one of the two vCPUs runs slower? Plain JS, no tfjs and no wasm: the main thread
// and one worker_threads worker each run a fixed amount of float work per "unit" (128 units, 1000 steps, ~45 µs of
// work per step on this project's machines) on a SharedArrayBuffer.
//
//   node scripts/column-split-model.mjs [seconds = 60]
//
// Each round prints: 1 thread (the main thread alone); "rows" = 64 units each, no synchronisation (what a row split
// of B 8 into two 4-row tiles does), with each side's ms; "cols" = a barrier after every step with the split k/128
// set from the rows call's speeds (late = the steps each side arrived last at); "cols50" = a barrier and 64/64.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
const UNITS = 128, STEPS = 1000, UNIT_WORK = 40;
const sab = new SharedArrayBuffer(64 + 4 * UNITS * 64);
function work(buf, u0, u1) { // ~fixed cost per unit
  let s = 0;
  for (let u = u0; u < u1; u++) { const o = u * 64; for (let r = 0; r < UNIT_WORK; r++) for (let i = 0; i < 16; i++) { s += buf[o + i] * 1.0001; buf[o + i] = s * 1e-9; } }
  return s;
}
function run(ctl, buf, me, mode, k) {
  // mode 0: independent (rows): do all steps on my units, no barrier. mode 1: barrier each step.
  const [u0, u1] = me === 0 ? [0, k] : [k, UNITS];
  const t0 = performance.now(); let late = 0;
  for (let s = 0; s < STEPS; s++) {
    work(buf, u0, u1);
    if (mode === 1) {
      const gen = s + 1;
      const arrived = Atomics.add(ctl, 1, 1) + 1;
      if (arrived === 2 * gen) { late++; Atomics.store(ctl, 2, gen); }
      else while (Atomics.load(ctl, 2) < gen) {}
    }
  }
  return [performance.now() - t0, late];
}
if (isMainThread) {
  const ctl = new Int32Array(sab, 0, 16); const buf = new Float32Array(sab, 64);
  const w = new Worker(new URL(import.meta.url), { workerData: sab });
  const call = (mode, k) => new Promise((res) => {
    Atomics.store(ctl, 1, 0); Atomics.store(ctl, 2, 0);
    w.once('message', (m) => res([mine, m]));
    w.postMessage([mode, k]);
    const mine = run(ctl, buf, 0, mode, k);
  });
  let k = 64; const endAt = Date.now() + Number(process.argv[2] ?? 60) * 1000;
  // 1-thread reference
  while (Date.now() < endAt) {
    const t1 = performance.now(); work(buf, 0, UNITS); for (let s = 1; s < STEPS; s++) work(buf, 0, UNITS); const one = performance.now() - t1;
    const [a, b] = await call(0, 64); const rows = Math.max(a[0], b[0]);
    // adaptive split: k from the row call's speed ratio
    const ra = 64 / a[0], rb = 64 / b[0]; k = Math.max(8, Math.min(120, Math.round(UNITS * ra / (ra + rb))));
    const [c, d] = await call(1, k); const cols = Math.max(c[0], d[0]);
    const [e, f] = await call(1, 64); const cols50 = Math.max(e[0], f[0]);
    console.log(`1t ${one.toFixed(1)}  rows ${a[0].toFixed(1)}/${b[0].toFixed(1)} ->${(one/rows).toFixed(2)}x  cols k=${k} ${cols.toFixed(1)} ->${(one/cols).toFixed(2)}x (late ${c[1]}/${d[1]})  cols50 ${(one/cols50).toFixed(2)}x`);
  }
  w.terminate();
} else {
  const ctl = new Int32Array(workerData, 0, 16); const buf = new Float32Array(workerData, 64);
  parentPort.on('message', ([mode, k]) => parentPort.postMessage(run(ctl, buf, 1, mode, k)));
}
