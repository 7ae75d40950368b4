#!/usr/bin/env node
// Instruction counts and simulated cache misses of one fused kernel call (kernel-harness.mjs under valgrind's
// cachegrind), repeatable on a loaded machine where wall time is not. Each cell is the difference between a run
// with 2 calls and one with 1 call, so node's start-up, the module's compilation and the first call's cold misses
// drop out: what remains is one warm call.
//
//   node scripts/cachegrind-kernels.mjs --cells simple,lstm,gru --configs L --dirs fwd --ll 256K,1M,32M \
//     [--steps 10] [--wasm FILE] [--d1 48K]
//
// --ll: last-level sizes to simulate (16-way, 64-byte lines); --d1: L1d size (12-way; default 48K, this
// machine's); --steps: override T (the per-step working set is what matters; a short T keeps valgrind fast).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const harness = resolve(dirname(fileURLToPath(import.meta.url)), 'kernel-harness.mjs');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const list = (name, fallback) => opt(name, fallback).split(',').filter(Boolean);
const bytes = (s) => Number.parseInt(s, 10) * (/M$/i.test(s) ? 1 << 20 : /K$/i.test(s) ? 1 << 10 : 1);
const cells = list('--cells', 'simple,lstm,gru');
const configs = list('--configs', 'L');
const dirs = list('--dirs', 'fwd,bwd');
const lls = list('--ll', '1M');
const d1 = opt('--d1', '48K');
const steps = opt('--steps', undefined);
const wasm = opt('--wasm', undefined);
const dir = mkdtempSync(join(tmpdir(), 'cg-'));

function run(cell, config, d, reps, ll) {
  const out = join(dir, 'cachegrind.out');
  const extra = [...(steps ? ['--steps', steps] : []), ...(wasm ? ['--wasm', wasm] : [])];
  const text = execFileSync(
    'valgrind',
    [
      '--tool=cachegrind', '--cache-sim=yes', `--I1=32768,8,64`, `--D1=${bytes(d1)},12,64`, `--LL=${bytes(ll)},16,64`,
      '--smc-check=all-non-file', `--cachegrind-out-file=${out}`,
      process.execPath, '--predictable', '--no-liftoff', harness, cell, config, d, String(reps), ...extra,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 },
  );
  void text;
  const summary = readFileSync(out, 'utf8').match(/^summary: (.*)$/m)[1].split(' ').map(Number);
  // events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
  const [ir, , , , d1mr, dlmr, , d1mw, dlmw] = summary;
  return { ir, d1: d1mr + d1mw, ll: dlmr + dlmw };
}

console.log(`# one warm call; D1 ${d1}${steps ? `; T = ${steps}` : ''}${wasm ? `; module ${wasm}` : ''}`);
console.log('| cell | config | dir | LL | instructions | D1 misses | LL misses |');
console.log('| --- | --- | --- | --- | ---: | ---: | ---: |');
for (const config of configs) {
  for (const cell of cells) {
    for (const d of dirs) {
      for (const ll of lls) {
        const one = run(cell, config, d, 1, ll);
        const two = run(cell, config, d, 2, ll);
        const f = (k) => (two[k] - one[k]).toLocaleString('en-US');
        console.log(`| ${cell} | ${config} | ${d} | ${ll} | ${f('ir')} | ${f('d1')} | ${f('ll')} |`);
      }
    }
  }
}
