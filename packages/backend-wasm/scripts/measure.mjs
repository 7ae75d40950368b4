#!/usr/bin/env node
// Times the fused wasm kernels against core's composite path and tfjs-layers (simpleRNN + dense) in one Node
// process, on the built dist (`pnpm run build` first):
// `node scripts/measure.mjs [S M L LONG] [--forward|--train] [--cell simpleRNN|lstm|gru] [--no-layers] [--cpu]`.
// --cpu: process CPU time (user + system) instead of wall time, for a loaded shared machine where long calls are
// preempted for most of their wall time (every variant here runs on the calling thread).
// tfjs-layers' GRU is the resetAfter = false form (ours: Keras 3's resetAfter = true), the same FLOPs within 1%.
// Variants run round-robin so machine noise hits them alike; each number is a median.
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import '../dist/index.js';

const CONFIGS = {
  S: { batch: 1, steps: 50, inputSize: 8, hidden: 32 },
  M: { batch: 32, steps: 20, inputSize: 10, hidden: 64 },
  L: { batch: 64, steps: 100, inputSize: 32, hidden: 256 },
  LONG: { batch: 8, steps: 1000, inputSize: 16, hidden: 128 },
};
const args = process.argv.slice(2);
const names = args.filter((a) => a in CONFIGS);
const phases = args.includes('--forward') ? ['forward'] : args.includes('--train') ? ['train'] : ['forward', 'train'];
const cellArg = args.indexOf('--cell');
const cell = cellArg === -1 ? 'simpleRNN' : args[cellArg + 1];
if (!['simpleRNN', 'lstm', 'gru'].includes(cell)) throw new Error(`--cell: expected simpleRNN, lstm or gru, received ${cell}`);
const gates = { simpleRNN: 1, lstm: 4, gru: 3 }[cell];
const withLayers = !args.includes('--no-layers');
const cpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const clock = args.includes('--cpu') ? cpuClock : () => performance.now();

await setBackend('wasm');
if (tfl.getBackend() !== 'wasm') throw new Error('tfjs-layers does not share the engine');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function ours(c, seed) {
  const model = new BasicRNN({ cell, hiddenSize: c.hidden, outputSize: 1, seed });
  model.build([null, c.steps, c.inputSize]);
  model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
  return model;
}

function layers(c) {
  const model = tfl.sequential({
    layers: [
      tfl.layers[cell]({ units: c.hidden, inputShape: [c.steps, c.inputSize] }),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: tfl.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

async function measure(name, c) {
  const x = tf.randomNormal([c.batch, c.steps, c.inputSize]);
  const y = tf.randomNormal([c.batch, 1]);
  const fusedModel = ours(c, 1);
  const compositeModel = ours(c, 1);
  const layersModel = withLayers ? layers(c) : null;
  const flops = 2 * c.batch * c.steps * (c.inputSize + c.hidden) * c.hidden * gates;
  const big = c.batch * c.steps * c.hidden >= 1e6;
  const variants = {
    fused: { before: () => setFusedKernelsEnabled(true), model: fusedModel },
    composite: { before: () => setFusedKernelsEnabled(false), model: compositeModel },
    ...(layersModel ? { 'tfjs-layers': { before: () => {}, model: layersModel } } : {}),
  };
  for (const phase of phases) {
    const run = {
      forward: async (v) => {
        const out = v.model.predict(x, { batchSize: c.batch });
        out.dataSync();
        out.dispose();
      },
      train: async (v) => {
        const loss = await v.model.trainOnBatch(x, y);
        if (loss instanceof tf.Tensor) loss.dispose();
      },
    }[phase];
    const rounds = phase === 'forward' ? (big ? (gates > 1 ? 7 : 15) : 100) : big ? (gates > 1 ? 3 : 5) : 60;
    const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (const v of Object.values(variants)) {
      v.before();
      for (let i = 0; i < 3; i++) await run(v);
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, v] of Object.entries(variants)) {
        v.before();
        const t0 = clock();
        await run(v);
        times[k].push(clock() - t0);
      }
    }
    const med = Object.fromEntries(Object.entries(times).map(([k, t]) => [k, median(t)]));
    // On a loaded machine a call longer than a scheduler slice is often preempted for tens of ms: the minimum is
    // then the better estimate of the quiet-machine time.
    const mins = Object.entries(times).map(([k, t]) => `${k} ${Math.min(...t).toFixed(3)}`).join(', ');
    const gflops = phase === 'forward' ? ` fused ${(flops / med.fused / 1e6).toFixed(1)} GFLOP/s (recurrence),` : '';
    const layersPart = layersModel
      ? `tfjs-layers ${med['tfjs-layers'].toFixed(3)} ms;${gflops} speedup vs layers ${(med['tfjs-layers'] / med.fused).toFixed(1)}×, `
      : `${gflops} `;
    console.log(
      `${cell} ${name} ${phase}: fused ${med.fused.toFixed(3)} ms, composite ${med.composite.toFixed(3)} ms, ` +
        `${layersPart}vs composite ${(med.composite / med.fused).toFixed(1)}× (minima: ${mins} ms)`,
    );
  }
  setFusedKernelsEnabled(true);
  fusedModel.dispose();
  compositeModel.dispose();
  layersModel?.dispose();
  tf.dispose([x, y]);
}

for (const name of names.length > 0 ? names : Object.keys(CONFIGS)) await measure(name, CONFIGS[name]);
