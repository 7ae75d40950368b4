// Medians of predict and of one Adam trainOnBatch for BasicRNN with fused kernels, with the composite, and for
// tfjs-layers simpleRNN + dense, on webgl. Prints a table; asserts nothing.
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { it } from 'vitest';
import '../index.js';

const CONFIGS = [
  { name: 'S', batch: 1, steps: 50, input: 8, hidden: 32 },
  { name: 'M', batch: 32, steps: 20, input: 10, hidden: 64 },
];
const RUNS = Number(new URLSearchParams(globalThis.location?.search ?? '').get('runs') ?? 15);

async function median(run: () => Promise<unknown>, runs = RUNS): Promise<number> {
  for (let i = 0; i < 3; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

it('times fused / composite / tfjs-layers (median ms)', async () => {
  await setBackend('webgl');
  const rows: string[] = [];
  for (const c of CONFIGS) {
    const x = tf.randomUniform([c.batch, c.steps, c.input], -1, 1, 'float32', 1);
    const y = tf.randomUniform([c.batch, 1], -1, 1, 'float32', 2);
    const model = new BasicRNN({ hiddenSize: c.hidden, outputSize: 1, seed: 5 });
    model.build([null, c.steps, c.input]);
    model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
    const result: Record<string, number> = {};
    for (const fused of [true, false]) {
      setFusedKernelsEnabled(fused);
      const label = fused ? 'fused' : 'composite';
      result[`${label} predict`] = await median(async () => {
        const out = model.predict(x);
        await out.data();
        out.dispose();
      });
      result[`${label} train`] = await median(() => model.trainOnBatch(x, y));
    }
    setFusedKernelsEnabled(true);
    const layers = tfl.sequential({
      layers: [
        tfl.layers.simpleRNN({ units: c.hidden, inputShape: [c.steps, c.input] }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    layers.compile({ optimizer: tfl.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
    result['layers predict'] = await median(async () => {
      const out = layers.predict(x) as tfl.Tensor;
      await out.data();
      out.dispose();
    });
    result['layers train'] = await median(() => layers.trainOnBatch(x, y));
    layers.dispose();
    model.dispose();
    tf.dispose([x, y]);
    const f = (k: string) => result[k]!.toFixed(1);
    for (const phase of ['predict', 'train']) {
      const speedup = result[`layers ${phase}`]! / result[`fused ${phase}`]!;
      rows.push(
        `${c.name} ${phase.padEnd(7)} fused ${f(`fused ${phase}`)} ms | composite ${f(`composite ${phase}`)} ms | ` +
          `tfjs-layers ${f(`layers ${phase}`)} ms | fused vs layers ×${speedup.toFixed(1)}`,
      );
    }
  }
  console.log(`[timing] webgl (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'browser'})\n${rows.join('\n')}`);
});
