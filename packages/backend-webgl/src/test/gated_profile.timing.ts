// Per-program timing of one fused LSTM / GRU forward + backward at L (recurrenceGrad; every program synced by
// reading one texel of its output back), and tfjs's packed matMul of the recomputed gates' shape
// ([6400, 256]·[256, 1024]) for comparison; TIMING_CONFIGS=AB instead alternates our and tfjs-layers' Adam
// training steps at L. TIMING_CELL=lstm,gru,gruRA picks the cells (default all). Prints; asserts nothing.
// Run: TIMING_CELL=lstm pnpm exec vitest run -c vitest.timing-webgl.config.ts src/test/gated_profile.timing.ts
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { type RecurrenceAttrs, layers, recurrenceGrad, sequential, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { it } from 'vitest';
import '../index.js';
import { PackedInputs } from '../kernels/packed_inputs.js';
import { PackedCopyProgram } from '../kernels/programs/packed_copy_program.js';
import { GatedGatesProgram } from '../kernels/programs/gated_programs.js';
import { setGatedKeepMinSize } from '../kernels/gated_sequence.js';

async function profile<T>(fn: () => T): Promise<{ result: T; times: Map<string, [number, number]> }> {
  const backend = tf.backend() as MathBackendWebGL;
  const gl = (backend as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
  const original = backend.runWebGLProgram;
  const times = new Map<string, [number, number]>();
  const fb = gl.createFramebuffer();
  const pixel = new Float32Array(4);
  const sync = (info: tf.TensorInfo) => {
    const data = backend.texData.get(info.dataId) as unknown as { texture?: { texture: WebGLTexture } };
    if (!data.texture) return;
    const old = gl.getParameter(gl.FRAMEBUFFER_BINDING);
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, data.texture.texture, 0);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, pixel);
    gl.bindFramebuffer(gl.FRAMEBUFFER, old);
  };
  backend.runWebGLProgram = function (this: MathBackendWebGL, program, ...rest) {
    const start = performance.now();
    const out = original.call(this, program, ...rest);
    sync(out);
    const name = program.constructor.name;
    const prev = times.get(name) ?? [0, 0];
    times.set(name, [prev[0] + performance.now() - start, prev[1] + 1]);
    return out;
  };
  try {
    return { result: fn(), times };
  } finally {
    backend.runWebGLProgram = original;
  }
}

const CELLS = (__TIMING_CELL__ === 'simpleRNN' ? 'lstm,gru,gruRA' : __TIMING_CELL__).split(',');

it.runIf(__TIMING_CONFIGS__ === '')('profiles the L backward per program', async () => {
  await setBackend('webgl');
  setFusedKernelsEnabled(true);
  const [batch, steps, input, hidden] = [64, 100, 32, 256];
  const lines: string[] = [];
  for (const name of CELLS) {
    const cell = name === 'lstm' ? 'lstm' : 'gru';
    const resetAfter = name === 'gruRA';
    const g = cell === 'lstm' ? 4 : 3;
    const t = tf.tidy(() => ({
      x: tf.randomUniform([batch, steps, input], -1, 1, 'float32', 1),
      kernel: tf.randomUniform([input, g * hidden], -0.2, 0.2, 'float32', 2),
      recurrentKernel: tf.randomUniform([hidden, g * hidden], -0.1, 0.1, 'float32', 3),
      bias: resetAfter ? tf.randomUniform([2, g * hidden], -0.1, 0.1, 'float32', 4) : tf.randomUniform([g * hidden], -0.1, 0.1, 'float32', 4),
      h0: tf.zeros([batch, hidden]),
      ...(cell === 'lstm' ? { c0: tf.zeros([batch, hidden]) } : {}),
      mask: tf.ones([batch, steps]),
    }));
    const upstream = tf.tidy(() => ({
      dh: tf.randomUniform([batch, steps, hidden], -1, 1, 'float32', 5),
      ...(cell === 'lstm' ? { dc: tf.randomUniform([batch, steps, hidden], -1, 1, 'float32', 6) } : {}),
    }));
    const attrs: RecurrenceAttrs = { cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter };
    for (let rep = 0; rep < 2; rep++) {
      const start = performance.now();
      const { result, times } = await profile(() => recurrenceGrad(t, attrs, upstream));
      await Promise.all(Object.values(result).map((r) => (r as tf.Tensor).data()));
      const total = performance.now() - start;
      tf.dispose(Object.values(result));
      const rows = [...times].sort((a, b) => b[1][0] - a[1][0]).map(([n, [ms, c]]) => `  ${n.padEnd(30)} ${ms.toFixed(0).padStart(6)} ms ×${c}`);
      lines.push(`${name} rep ${rep}: forward+backward ${total.toFixed(0)} ms\n${rows.join('\n')}`);
    }
    tf.dispose([...Object.values(t), ...Object.values(upstream)]);
  }
  // tfjs's own matMul of the recompute's shape, for the GFLOP/s comparison.
  const a = tf.randomUniform([steps * batch, hidden]);
  const b = tf.randomUniform([hidden, 4 * hidden]);
  for (let rep = 0; rep < 3; rep++) {
    const { result, times } = await profile(() => tf.matMul(a, b));
    await result.data();
    result.dispose();
    lines.push(`tf.matMul [6400,256]x[256,1024]: ${[...times].map(([n, [ms, c]]) => `${n} ${ms.toFixed(0)} ms ×${c}`).join(', ')}`);
  }
  tf.dispose([a, b]);
  console.log(`[profile]\n${lines.join('\n')}`);
});

// TIMING_CONFIGS=AB: one Adam trainOnBatch at L of ours (sequential([lstm | gru, dense])), as shipped and with the
// backward recomputing the gates instead of reading the forward's kept ones, and of tfjs-layers', alternated run
// by run so that the load of a shared machine hits all alike; medians and their ratios.
// TIMING_CONFIGS=AB,Long: the same at Long (B8·T1000·I16·H128). gruRA (resetAfter, which tfjs-layers cannot run):
// ours and recompute only.
it.runIf(__TIMING_CONFIGS__.startsWith('AB'))('alternates ours and tfjs-layers training steps at L', async () => {
  await setBackend('webgl');
  setFusedKernelsEnabled(true);
  const long = __TIMING_CONFIGS__ === 'AB,Long';
  const [batch, steps, input, hidden] = long ? [8, 1000, 16, 128] : [64, 100, 32, 256];
  const runs = __TIMING_RUNS__ > 0 ? __TIMING_RUNS__ : 5;
  const lines: string[] = [];
  const began = performance.now();
  for (const name of CELLS) {
    const cell = name === 'lstm' ? 'lstm' : 'gru';
    const resetAfter = name === 'gruRA';
    const x = tf.randomUniform([batch, steps, input], -1, 1, 'float32', 1);
    const y = tf.randomUniform([batch, 1], -1, 1, 'float32', 2);
    const recurrent = cell === 'lstm'
      ? layers.lstm({ units: hidden, recurrentActivation: 'sigmoid' })
      : layers.gru({ units: hidden, recurrentActivation: 'sigmoid', resetAfter });
    const ours = sequential({ layers: [recurrent, layers.dense({ units: 1 })], seed: 5 });
    ours.build([batch, steps, input]);
    ours.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
    const common = { units: hidden, activation: 'tanh' as const, inputShape: [steps, input], recurrentActivation: 'sigmoid' as const };
    const theirs = tfl.sequential({ layers: [cell === 'lstm' ? tfl.layers.lstm(common) : tfl.layers.gru(common), tfl.layers.dense({ units: 1 })] });
    theirs.compile({ optimizer: tfl.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
    const lastOurs = ours.trainableVariables().at(-1)!;
    const lastTheirs = theirs.trainableWeights.at(-1)!;
    const oursStep = async (keepMin: number | null) => {
      setGatedKeepMinSize(keepMin);
      try {
        await ours.trainOnBatch(x, y);
        await lastOurs.data();
      } finally {
        setGatedKeepMinSize(null);
      }
    };
    // ours: as shipped (kept gates at L); recompute: the backward recomputing the gates (keeping nothing).
    const variants: Record<string, () => Promise<void>> = {
      ours: () => oursStep(null),
      recompute: () => oursStep(Infinity),
      ...(resetAfter ? {} : { layers: async () => { await theirs.trainOnBatch(x, y); await lastTheirs.read().data(); } }),
    };
    const times: Record<string, number[]> = { ours: [], recompute: [], layers: [] };
    const warm = performance.now();
    for (const run of Object.values(variants)) await run();
    const warmUp = performance.now() - warm;
    for (let i = 0; i < runs; i++) {
      for (const [key, run] of Object.entries(variants)) {
        const start = performance.now();
        await run();
        times[key]!.push(performance.now() - start);
      }
    }
    const med = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
    const [o, r] = [med(times.ours!), med(times.recompute!)];
    const all = (key: string) => times[key]!.map((t) => t.toFixed(0)).join(' ');
    const l = resetAfter ? NaN : med(times.layers!);
    lines.push(
      `${name} ${long ? 'Long' : 'L'} train, median of ${runs} alternated: ours ${o.toFixed(0)} ms, recomputing gates ${r.toFixed(0)} ms, tfjs-layers ${l.toFixed(0)} ms, ` +
        `ratio layers/ours ${(l / o).toFixed(2)}×, layers/recompute ${(l / r).toFixed(2)}×, recompute/ours ${(r / o).toFixed(2)}× ` +
        `(ours ${all('ours')}; recompute ${all('recompute')}; layers ${all('layers')}; first calls ${warmUp.toFixed(0)} ms)`,
    );
    ours.dispose();
    theirs.dispose();
    tf.dispose([x, y]);
  }
  console.log(`[ab] ${((performance.now() - began) / 1000).toFixed(0)} s\n${lines.join('\n')}`);
});

// TIMING_CONFIGS=Gates: the recomputed LSTM gates (GatedGatesProgram, x·W + b + h·U and the activations) against
// tfjs's packed matMul of h·U alone, [6400, 256]·[256, 1024], alternated, each synced.
it.runIf(__TIMING_CONFIGS__ === 'Gates')('times the gates program against tfjs matMul', async () => {
  await setBackend('webgl');
  const backend = tf.backend() as MathBackendWebGL;
  const shape = { cell: 'lstm' as const, resetAfter: false, batch: 64, steps: 100, hidden: 256, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false };
  const t = tf.tidy(() => ({
    xs: tf.randomUniform([6400, 32]),
    kernel: tf.randomUniform([32, 1024]),
    bias: tf.randomUniform([1024]),
    recurrent: tf.randomUniform([256, 1024]),
    previous: tf.randomUniform([6400, 256]),
  }));
  const packed = new PackedInputs(backend);
  const ins = [t.xs, t.kernel, t.bias, t.recurrent, t.previous].map((x) => {
    const p = backend.runWebGLProgram(new PackedCopyProgram(x.shape), [x], 'float32', undefined, true);
    return p;
  });
  const lines: string[] = [];
  for (let rep = 0; rep < 4; rep++) {
    const a = await profile(() => backend.runWebGLProgram(new GatedGatesProgram(shape, 32), ins, 'float32', undefined, true));
    backend.disposeIntermediateTensorInfo(a.result);
    const b = await profile(() => tf.matMul(t.previous, t.recurrent));
    b.result.dispose();
    const fmt = (m: Map<string, [number, number]>) => [...m].map(([n, [ms]]) => `${n} ${ms.toFixed(0)}`).join(', ');
    lines.push(`rep ${rep}: ${fmt(a.times)} | ${fmt(b.times)}`);
  }
  for (const p of ins) backend.disposeIntermediateTensorInfo(p);
  packed.dispose();
  tf.dispose(Object.values(t));
  console.log(`[gates]\n${lines.join('\n')}`);
});
