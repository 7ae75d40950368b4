#!/usr/bin/env node
// Runs one fused kernel of assembly/rnn.ts on its own, without tfjs: the module instantiated on a plain
// WebAssembly.Memory, buffers bump-allocated in it. Small and deterministic, so it runs under valgrind:
//
//   valgrind --tool=cachegrind --cache-sim=yes --LL=262144,16,64 \
//     node --predictable --no-liftoff scripts/kernel-harness.mjs lstm L fwd 1 --steps 10
//
// (subtract the same command with reps 0 to leave the kernel's own instructions and misses), or for wall and CPU
// time (minimum of `reps` calls): `node scripts/kernel-harness.mjs lstm L fwd 20`.
//
// Arguments: cell (simple | lstm | gru | gru0 = GRU without resetAfter), config (S | M | L | Long), fwd | bwd | bwds
// (the backward on the gate values the forward saved, as in a training step), reps;
// --steps N overrides T, --wasm FILE runs another build of the module (e.g. the committed one of an older commit,
// extracted with --extract FILE), --offset BYTES misaligns every buffer by that many bytes (tfjs's heap gives 16).
// HARNESS_ALL=1 also prints every call's time (the first one faults in the scratch pages).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const wasmFile = flag('--wasm', undefined);
const extract = flag('--extract', undefined);
const stepsFlag = flag('--steps', undefined);
const offset = Number(flag('--offset', '0'));

function committedBinary(source) {
  const m = /RNN_WASM_PLAIN =\s*'([^']+)'/.exec(source);
  if (!m) throw new Error('no RNN_WASM_PLAIN in the binary module');
  return Buffer.from(m[1], 'base64');
}
if (extract !== undefined) {
  // `git show REV:packages/backend-wasm/src/kernels/rnn_wasm_binary.ts | node kernel-harness.mjs --extract out.wasm`
  writeFileSync(extract, committedBinary(readFileSync(0, 'utf8')));
  process.exit(0);
}

const [cell = 'lstm', config = 'L', dir = 'fwd', repsArg = '1'] = args;
const reps = Number(repsArg);
const CONFIGS = { S: [1, 50, 8, 32], M: [32, 20, 10, 64], L: [64, 100, 32, 256], Long: [8, 1000, 16, 128] };
if (!CONFIGS[config]) throw new Error(`config ${config}: one of ${Object.keys(CONFIGS)}`);
let [B, T, I, H] = CONFIGS[config];
if (stepsFlag !== undefined) T = Number(stepsFlag);
const G = (cell === 'lstm' ? 4 : cell === 'simple' ? 1 : 3) * H;

const bytes = wasmFile ? readFileSync(wasmFile) : committedBinary(readFileSync(resolve(root, 'src/kernels/rnn_wasm_binary.ts'), 'utf8'));
const memory = new WebAssembly.Memory({ initial: 1 });
const rnn = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;

let top = 1024;
function alloc(floats) {
  const p = top + offset;
  top = (p + floats * 4 + 63 + 64) & ~63;
  const need = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  return p;
}
let seed = 1;
function filled(floats, scale = 0.2, value) {
  const p = alloc(floats);
  const a = new Float32Array(memory.buffer, p, floats);
  if (value !== undefined) a.fill(value);
  else for (let i = 0; i < floats; i++) a[i] = (((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216 - 0.5) * scale;
  return p;
}

const x = filled(B * T * I, 2);
const w = filled(I * G);
const u = filled(H * G);
const bias = filled(cell === 'gru' ? 2 * G : G);
const h0 = filled(B * H);
const c0 = filled(B * H);
const mask = filled(B * T, 0, 1);
const hs = filled(B * T * H);
const cs = filled(B * T * H);
const [ACT, GATE] = [0, 2];
const resetAfter = cell === 'gru' ? 1 : 0;
let call;
let grads = [];
if (dir === 'fwd') {
  const scratchBytes = { simple: rnn.forwardScratchBytes, lstm: rnn.lstmForwardScratchBytes, gru: rnn.gruForwardScratchBytes, gru0: rnn.gruForwardScratchBytes }[cell](B, T, I, H);
  const scratch = alloc(Math.ceil(scratchBytes / 4));
  call = {
    simple: () => rnn.forward(x, w, u, bias, h0, mask, hs, scratch, B, T, I, H, ACT, 0),
    lstm: () => rnn.lstmForward(x, w, u, bias, h0, c0, mask, hs, cs, 0, scratch, B, T, I, H, ACT, GATE, 0),
    gru: () => rnn.gruForward(x, w, u, bias, h0, mask, hs, 0, scratch, B, T, I, H, ACT, GATE, 1, 0),
    gru0: () => rnn.gruForward(x, w, u, bias, h0, mask, hs, 0, scratch, B, T, I, H, ACT, GATE, 0, 0),
  }[cell];
} else {
  const dh = filled(B * T * H);
  const dc = filled(B * T * H);
  const dx = alloc(B * T * I);
  const dw = alloc(I * G);
  const du = alloc(H * G);
  const db = alloc(2 * G);
  const dh0 = alloc(B * H);
  const dc0 = alloc(B * H);
  const scratchBytes = { simple: rnn.backwardScratchBytes, lstm: rnn.lstmBackwardScratchBytes, gru: rnn.gruBackwardScratchBytes, gru0: rnn.gruBackwardScratchBytes }[cell](B, T, I, H);
  const scratch = alloc(Math.ceil(scratchBytes / 4));
  grads = [[dx, B * T * I], [dw, I * G], [du, H * G], [db, cell === 'gru' ? 2 * G : G]];
  // States from a forward pass, so the backward sees realistic values.
  if (cell === 'simple') rnn.forward(x, w, u, bias, h0, mask, hs, alloc(rnn.forwardScratchBytes(B, T, I, H) / 4), B, T, I, H, ACT, 0);
  // bwds: the backward reading the gate values a taped forward saved (as in training), instead of recomputing them.
  let z = 0;
  if (dir === 'bwds' && cell !== 'simple') {
    const gated = cell === 'lstm';
    z = alloc(Math.ceil((gated ? rnn.lstmGatesBytes(B, T, H) : rnn.gruGatesBytes(B, T, H)) / 4));
    const fs = alloc(Math.ceil((gated ? rnn.lstmForwardScratchBytes : rnn.gruForwardScratchBytes)(B, T, I, H) / 4));
    if (gated) rnn.lstmForward(x, w, u, bias, h0, c0, mask, hs, cs, z, fs, B, T, I, H, ACT, GATE, 0);
    else rnn.gruForward(x, w, u, bias, h0, mask, hs, z, fs, B, T, I, H, ACT, GATE, resetAfter, 0);
  }
  call = {
    simple: () => rnn.backward(x, w, u, h0, hs, dh, mask, dx, dw, du, db, dh0, scratch, B, T, I, H, ACT, 0),
    lstm: () => rnn.lstmBackward(x, w, u, bias, h0, c0, mask, hs, cs, dh, dc, z, dx, dw, du, db, dh0, dc0, 0, scratch, B, T, I, H, ACT, GATE, 0),
    gru: () => rnn.gruBackward(x, w, u, bias, h0, mask, hs, dh, z, dx, dw, du, db, dh0, 0, scratch, B, T, I, H, ACT, GATE, 1, 0),
    gru0: () => rnn.gruBackward(x, w, u, bias, h0, mask, hs, dh, z, dx, dw, du, db, dh0, 0, scratch, B, T, I, H, ACT, GATE, 0, 0),
  }[cell];
}

const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const wall = [];
const cpuTimes = [];
for (let r = 0; r < reps; r++) {
  const c0t = cpu();
  const t0 = performance.now();
  call();
  wall.push(performance.now() - t0);
  cpuTimes.push(cpu() - c0t);
}
if (process.env.HARNESS_ALL) console.log(`wall ms per call: ${wall.map((v) => v.toFixed(2)).join(" ")}; CPU: ${cpuTimes.map((v) => v.toFixed(1)).join(" ")}`);
if (reps > 0) {
  const flops = (dir === 'fwd' ? 2 : dir === 'bwds' ? 4 : 6) * B * T * (I + H) * G;
  const best = Math.min(...wall);
  const sum = new Float32Array(memory.buffer, hs, B * T * H).reduce((a, v) => a + v, 0);
  // Bit pattern hash of the backward's outputs (dx, dW, dU, db): equal across builds iff bit-identical.
  let bits = 0;
  for (const [ptr, n] of dir === 'fwd' ? [] : grads) for (const v of new Uint32Array(memory.buffer, ptr, n)) bits = (Math.imul(bits, 31) + v) | 0;
  console.log(
    `${cell} ${config} B${B} T${T} I${I} H${H} ${dir}: wall min ${best.toFixed(3)} ms (median ${wall.sort((a, b) => a - b)[wall.length >> 1].toFixed(3)}), ` +
      `CPU min ${Math.min(...cpuTimes).toFixed(2)} ms, ${(flops / best / 1e6).toFixed(1)} GFLOP/s nominal; checksum ${sum.toFixed(4)}` +
      (dir === 'fwd' ? '' : `; gradient bits ${(bits >>> 0).toString(16)}`),
  );
}
