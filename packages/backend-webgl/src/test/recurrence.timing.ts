// Medians of predict and of one Adam trainOnBatch for BasicRNN with fused kernels, with the composite, and for
// tfjs-layers simpleRNN (TIMING_CELL: lstm, gru) + dense, on webgl. Prints a table; asserts nothing.
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { it } from 'vitest';
import '../index.js';

const ALL_CONFIGS = [
  { name: 'S', batch: 1, steps: 50, input: 8, hidden: 32, runs: 15 },
  { name: 'M', batch: 32, steps: 20, input: 10, hidden: 64, runs: 15 },
  // Large shapes take seconds per call on software WebGL: fewer runs.
  { name: 'L', batch: 64, steps: 100, input: 32, hidden: 256, runs: 5 },
  { name: 'Long', batch: 8, steps: 1000, input: 16, hidden: 128, runs: 5 },
  // Long at a quarter of the length, for the linearity check time(T=1000) / time(T=250) ≤ 4.4: only when named.
  { name: 'Long250', batch: 8, steps: 250, input: 16, hidden: 128, runs: 5, extra: true },
];
// TIMING_CONFIGS=S,L (names, comma-separated) picks configs; TIMING_RUNS overrides the runs of each;
// TIMING_FUSED_ONLY=1 skips the composite and tfjs-layers.
const CONFIGS = __TIMING_CONFIGS__
  ? ALL_CONFIGS.filter((c) => __TIMING_CONFIGS__.split(',').includes(c.name))
  : ALL_CONFIGS.filter((c) => !('extra' in c));

async function median(run: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < Math.min(3, runs); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

it.runIf(__TIMING_CONFIGS__ !== 'Linearity')('times fused / composite / tfjs-layers (median ms)', async () => {
  await setBackend('webgl');
  const rows: string[] = [];
  for (const c of CONFIGS) {
    const runs = __TIMING_RUNS__ > 0 ? __TIMING_RUNS__ : c.runs;
    const x = tf.randomUniform([c.batch, c.steps, c.input], -1, 1, 'float32', 1);
    const y = tf.randomUniform([c.batch, 1], -1, 1, 'float32', 2);
    const cell = __TIMING_CELL__ as 'simpleRNN' | 'lstm' | 'gru';
    // GRU: BasicRNN has Keras 3's form (resetAfter), tfjs-layers its own (resetAfter false): close, not identical.
    const model = new BasicRNN({ hiddenSize: c.hidden, outputSize: 1, seed: 5, cell });
    model.build([null, c.steps, c.input]);
    model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
    const result: Record<string, number> = {};
    for (const fused of __TIMING_FUSED_ONLY__ ? [true] : [true, false]) {
      setFusedKernelsEnabled(fused);
      const label = fused ? 'fused' : 'composite';
      result[`${label} predict`] = await median(async () => {
        const out = model.predict(x);
        await out.data();
        out.dispose();
      }, runs);
      result[`${label} train`] = await median(() => model.trainOnBatch(x, y), runs);
    }
    setFusedKernelsEnabled(true);
    const f = (k: string) => result[k]?.toFixed(1) ?? '–';
    if (__TIMING_FUSED_ONLY__) {
      model.dispose();
      tf.dispose([x, y]);
      rows.push(`${c.name} = B${c.batch}·T${c.steps}·I${c.input}·H${c.hidden}, median of ${runs}: fused predict ${f('fused predict')} ms | fused train ${f('fused train')} ms`);
      continue;
    }
    const layers = tfl.sequential({
      layers: [
        { simpleRNN: tfl.layers.simpleRNN, lstm: tfl.layers.lstm, gru: tfl.layers.gru }[cell]({ units: c.hidden, inputShape: [c.steps, c.input] }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    layers.compile({ optimizer: tfl.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
    result['layers predict'] = await median(async () => {
      const out = layers.predict(x) as tfl.Tensor;
      await out.data();
      out.dispose();
    }, runs);
    result['layers train'] = await median(() => layers.trainOnBatch(x, y), runs);
    layers.dispose();
    model.dispose();
    tf.dispose([x, y]);
    rows.push(`${c.name} = B${c.batch}·T${c.steps}·I${c.input}·H${c.hidden}, median of ${runs}`);
    for (const phase of ['predict', 'train']) {
      const speedup = result[`layers ${phase}`]! / result[`fused ${phase}`]!;
      rows.push(
        `${c.name} ${phase.padEnd(7)} fused ${f(`fused ${phase}`)} ms | composite ${f(`composite ${phase}`)} ms | ` +
          `tfjs-layers ${f(`layers ${phase}`)} ms | fused vs layers ×${speedup.toFixed(1)}`,
      );
    }
  }
  console.log(`[timing] ${__TIMING_CELL__} webgl (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'browser'})\n${rows.join('\n')}`);
});

// TIMING_CONFIGS=Linearity: fused predict and Adam trainOnBatch at B8·I16·H128 with T = 250 and T = 1000, the
// two lengths alternating run by run so that load on a shared machine hits both alike; prints the ratios of the
// medians (the target is time(T=1000) / time(T=250) ≤ 4.4). TIMING_CELL=lstm|gru for BasicRNN's LSTM or GRU
// (Keras 3's resetAfter form).
it.runIf(__TIMING_CONFIGS__ === 'Linearity')('linearity in T (fused, median ms)', async () => {
  await setBackend('webgl');
  setFusedKernelsEnabled(true);
  const runs = __TIMING_RUNS__ > 0 ? __TIMING_RUNS__ : 7;
  const setups = [250, 1000].map((steps) => {
    const x = tf.randomUniform([8, steps, 16], -1, 1, 'float32', 1);
    const y = tf.randomUniform([8, 1], -1, 1, 'float32', 2);
    const model = new BasicRNN({ hiddenSize: 128, outputSize: 1, seed: 5, cell: __TIMING_CELL__ as 'simpleRNN' | 'lstm' | 'gru' });
    model.build([null, steps, 16]);
    model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
    const predict = async () => {
      const out = model.predict(x);
      await out.data();
      out.dispose();
    };
    const train = () => model.trainOnBatch(x, y);
    return { steps, x, y, model, predict, train, times: { predict: [] as number[], train: [] as number[] } };
  });
  for (const s of setups) for (let i = 0; i < 2; i++) { await s.predict(); await s.train(); }
  for (let i = 0; i < runs; i++) {
    for (const s of setups) {
      for (const phase of ['predict', 'train'] as const) {
        const start = performance.now();
        await s[phase]();
        s.times[phase].push(performance.now() - start);
      }
    }
  }
  const med = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
  const lines = (['predict', 'train'] as const).map((phase) => {
    const [short, long] = setups.map((s) => med(s.times[phase]));
    return `${phase}: T=250 ${short!.toFixed(1)} ms, T=1000 ${long!.toFixed(1)} ms, ratio ${(long! / short!).toFixed(2)}`;
  });
  console.log(`[timing] linearity, ${__TIMING_CELL__}, B8·I16·H128, fused, median of ${runs} (alternating)\n${lines.join('\n')}`);
  for (const s of setups) {
    s.model.dispose();
    tf.dispose([s.x, s.y]);
  }
});
