// Per-program timing of one predict and one Adam trainOnBatch, BasicRNN (fused) and tfjs-layers, SimpleRNN + Dense
// on webgl: every runWebGLProgram is followed by a one-texel readback of its output, so each program's time is its own (the sum is more
// than an unsynced call takes). Prints, per program class, the count and total ms of the median run.
// Run: TIMING_CONFIGS=PerProgram[,L|M|S|Long] pnpm exec vitest run -c vitest.timing-webgl.config.ts
// src/test/program_times.timing.ts (L unless a shape is named). Asserts nothing.
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { BasicRNN, layers as ourLayers, sequential, setBackend } from '@basicrnn/core';
import { it } from 'vitest';
import '../index.js';
import { setDirectTexelFetch } from '../kernels/texel_layout.js';

const SHAPES: Record<string, { batch: number; steps: number; input: number; hidden: number }> = {
  S: { batch: 1, steps: 50, input: 8, hidden: 32 },
  M: { batch: 32, steps: 20, input: 10, hidden: 64 },
  L: { batch: 64, steps: 100, input: 32, hidden: 256 },
  Long: { batch: 8, steps: 1000, input: 16, hidden: 128 },
};

type Times = Map<string, { count: number; ms: number }>;

async function timed(fn: () => Promise<unknown>, synced = true): Promise<{ total: number; programs: Times }> {
  if (!synced) {
    const start = performance.now();
    await fn();
    return { total: performance.now() - start, programs: new Map() };
  }
  const backend = tf.backend() as MathBackendWebGL;
  const gl = backend.gpgpu.gl;
  const original = backend.runWebGLProgram;
  const programs: Times = new Map();
  const fb = gl.createFramebuffer();
  const pixel = new Float32Array(4);
  // gl.finish does not wait in Chromium: read one texel of the output back, which does.
  const sync = (info: tf.TensorInfo) => {
    const data = backend.texData.get(info.dataId) as { texture?: { texture: WebGLTexture } | null };
    if (data.texture == null) return;
    const bound = gl.getParameter(gl.FRAMEBUFFER_BINDING) as WebGLFramebuffer | null;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, data.texture.texture, 0);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, pixel);
    gl.bindFramebuffer(gl.FRAMEBUFFER, bound);
  };
  backend.runWebGLProgram = function (this: MathBackendWebGL, program, ...rest) {
    const start = performance.now();
    const out = original.call(this, program, ...rest);
    sync(out);
    const name = program.constructor.name;
    const entry = programs.get(name) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += performance.now() - start;
    programs.set(name, entry);
    return out;
  };
  const start = performance.now();
  try {
    await fn();
  } finally {
    backend.runWebGLProgram = original;
    gl.deleteFramebuffer(fb);
  }
  return { total: performance.now() - start, programs };
}

function report(label: string, runs: { total: number; programs: Times }[]): string {
  const sorted = [...runs].sort((a, b) => a.total - b.total);
  const med = sorted[Math.floor(sorted.length / 2)]!;
  const rows = [...med.programs.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const sum = rows.reduce((s, [, e]) => s + e.ms, 0);
  const count = rows.reduce((s, [, e]) => s + e.count, 0);
  return [
    `${label}: synced total ${med.total.toFixed(1)} ms (runs ${sorted.map((r) => r.total.toFixed(0)).join(' ')}), ${count} programs ${sum.toFixed(1)} ms`,
    ...rows.map(([name, e]) => `  ${name.padEnd(32)} ×${String(e.count).padStart(4)} ${e.ms.toFixed(1).padStart(8)} ms  ${(e.ms / e.count).toFixed(2)} ms each`),
  ].join('\n');
}

it.runIf(__TIMING_CONFIGS__.startsWith('PerProgram'))('per-program timing (synced)', async () => {
  await setBackend('webgl');
  const predictOnly = __TIMING_CONFIGS__.split(',').includes('predict');
  // 'nosync': whole-call times only (no readback after each program).
  const sync = !__TIMING_CONFIGS__.split(',').includes('nosync');
  const names = __TIMING_CONFIGS__.split(',').slice(1).filter((n) => n !== 'predict' && n !== 'nosync');
  const runs = __TIMING_RUNS__ > 0 ? __TIMING_RUNS__ : 3;
  const out: string[] = [];
  for (const name of names.length > 0 ? names : ['L']) {
    const c = SHAPES[name]!;
    const x = tf.randomUniform([c.batch, c.steps, c.input], -1, 1, 'float32', 1);
    const y = tf.randomUniform([c.batch, 1], -1, 1, 'float32', 2);
    // TIMING_CELL=lstm|gru|gruRA: sequential([layers.lstm | layers.gru, layers.dense]) as the bench builds it.
    const cell = __TIMING_CELL__;
    const model =
      cell === 'simpleRNN'
        ? new BasicRNN({ hiddenSize: c.hidden, outputSize: 1, seed: 5 })
        : sequential({
            layers: [
              cell === 'lstm'
                ? ourLayers.lstm({ units: c.hidden, recurrentActivation: 'sigmoid' })
                : ourLayers.gru({ units: c.hidden, recurrentActivation: 'sigmoid', resetAfter: cell === 'gruRA' }),
              ourLayers.dense({ units: 1 }),
            ],
            seed: 5,
          });
    model.build([c.batch, c.steps, c.input]);
    model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
    const common = { units: c.hidden, inputShape: [c.steps, c.input] };
    const recurrent =
      cell === 'lstm'
        ? tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid' })
        : cell === 'simpleRNN'
          ? tfl.layers.simpleRNN(common)
          : tfl.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
    const layers = tfl.sequential({ layers: [recurrent, tfl.layers.dense({ units: 1 })] });
    layers.compile({ optimizer: tfl.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
    const cases: [string, () => Promise<unknown>][] = [
      ['ours predict', async () => { const o = model.predict(x, { batchSize: c.batch }); await o.data(); o.dispose(); }],
      ['layers predict', async () => { const o = layers.predict(x, { batchSize: c.batch }) as tfl.Tensor; await o.data(); o.dispose(); }],
      ['ours predict, samplers only', async () => {
        setDirectTexelFetch(false);
        try { const o = model.predict(x, { batchSize: c.batch }); await o.data(); o.dispose(); } finally { setDirectTexelFetch(true); }
      }],
      ...(predictOnly ? [] : ([
        ['ours train', () => model.trainOnBatch(x, y)],
        ['layers train', () => layers.trainOnBatch(x, y)],
      ] as [string, () => Promise<unknown>][])),
    ];
    for (const [, fn] of cases) await fn();
    const results = new Map<string, { total: number; programs: Times }[]>();
    for (let i = 0; i < runs; i++) {
      for (const [label, fn] of cases) results.set(label, [...(results.get(label) ?? []), await timed(fn, sync)]);
    }
    for (const [label] of cases) out.push(report(`${name} ${label}`, results.get(label)!));
    model.dispose();
    layers.dispose();
    tf.dispose([x, y]);
  }
  console.log(`[timing] per program, median of ${runs}\n${out.join('\n')}`);
});
