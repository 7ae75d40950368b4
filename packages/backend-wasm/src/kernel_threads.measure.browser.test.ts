import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, type CellType, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { MEASURE } from '@basicrnn/test-kit';
import { describe, expect, it } from 'vitest';
import { configureWasm, getKernelThreadStats, wasmKernelThreadsReady } from './index.js';
import { setKernelThreadSplit, setKernelThreadTuning } from './kernels/threads.js';

// Timing, not a test: `BASICRNN_MEASURE=1 npx vitest run --config vitest.browser-wasm-threads.config.ts
// src/kernel_threads.measure.browser.test.ts`. BasicRNN predict and trainOnBatch (Adam, MSE, Dense(1)) at the
// bench's L and Long configs with the fused kernels on 1 and 2 kernel threads with the default 'balanced' split and
// on 2 with the 'even' one ("2e") and split by units ("2c"), interleaved round by round (one pool of 4, capped per
// run; 4 threads on this 2-core machine would skew the speeds the balanced split measures: the bench's 4-thread page
// times them); prints medians and minima, and each split call's rows and ms per thread. Skipped otherwise.

const CONFIGS = [
  { name: 'L', batch: 64, steps: 100, inputSize: 32, hidden: 256 },
  { name: 'Long', batch: 8, steps: 1000, inputSize: 16, hidden: 128 },
  // One sequence: rows leave the second thread idle; the LSTM's units are split ('auto').
  { name: 'B1', batch: 1, steps: 200, inputSize: 16, hidden: 512 },
];
// Thread counts; 2.5 stands for 2 threads with the 'even' split, 2.25 for 2 threads always split by hidden units
// (LSTM: the column split; the other cells have none and split rows).
const THREADS = [1, 2, 2.5, 2.25];
const label = (t: number) => (t === 2.5 ? '2e' : t === 2.25 ? '2c' : String(t));
const use = (t: number) => {
  setKernelThreadTuning({ maxThreads: Math.floor(t), columnSplit: t === 2.25 ? 'always' : 'auto' });
  setKernelThreadSplit(t === 2.5 ? 'even' : 'balanced');
};
// Pick with -t, e.g. `-t "lstm L"`.
const CELLS: CellType[] = ['simpleRNN', 'lstm', 'gru'];

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

describe.skipIf(!MEASURE || !__WASM_THREADS_SUITE__)('kernel threads: timing', () => {
  for (const cell of CELLS) {
    for (const c of CONFIGS) {
      it(`${cell} ${c.name} B${c.batch}·T${c.steps}·I${c.inputSize}·H${c.hidden}`, async () => {
        await setBackend('wasm');
        setFusedKernelsEnabled(true);
        configureWasm({ kernelThreads: 4 });
        expect(await wasmKernelThreadsReady()).toBe(4);
        const model = new BasicRNN({ cell, hiddenSize: c.hidden, outputSize: 1, seed: 1 });
        model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
        const x = tf.randomNormal([c.batch, c.steps, c.inputSize], 0, 1, 'float32', 1) as tf.Tensor3D;
        const y = tf.randomNormal([c.batch, 1], 0, 1, 'float32', 2) as tf.Tensor2D;
        const runs = {
          forward: async () => {
            const out = model.predict(x, { batchSize: c.batch }) as tf.Tensor;
            out.dataSync();
            out.dispose();
          },
          train: async () => {
            const loss = await model.trainOnBatch(x, y);
            if (loss instanceof tf.Tensor) loss.dispose();
          },
        };
        const lines: string[] = [];
        for (const [phase, run] of Object.entries(runs)) {
          const times: Record<number, number[]> = Object.fromEntries(THREADS.map((t) => [t, []]));
          const splits: string[] = [];
          for (const t of THREADS) {
            use(t);
            for (let i = 0; i < 2; i++) await run();
          }
          const rounds = phase === 'forward' ? 9 : 5;
          for (let r = 0; r < rounds; r++) {
            for (const t of THREADS) {
              use(t);
              const t0 = performance.now();
              await run();
              times[t]!.push(performance.now() - t0);
              const k = getKernelThreadStats();
              if (t > 1) splits.push(`${label(t)}:${k.lastUnits.length > 0 ? `u${k.lastUnits.join('/')}` : k.lastRows.join('/')}@${k.lastThreadMs.map((ms) => ms.toFixed(1)).join('/')}`);
            }
          }
          setKernelThreadTuning();
          setKernelThreadSplit('balanced');
          const one = median(times[1]!);
          lines.push(
            `${cell} ${c.name} ${phase}: ` +
              THREADS.map((t) => `${label(t)} thread(s) median ${median(times[t]!).toFixed(1)} ms (min ${Math.min(...times[t]!).toFixed(1)}, ${(one / median(times[t]!)).toFixed(2)}×)`).join('; ') +
              `\n  last split call, rows@ms per thread: ${splits.join(' ')}`,
          );
        }
        console.log(lines.join('\n'));
        tf.dispose([x, y]);
        model.dispose();
      }, 600_000);
    }
  }
});
