import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend } from '@basicrnn/core';
import { afterAll, expect, it } from 'vitest';
import './index.js';

// core's README, "NaN and Infinity": on wasm a NaN in a masked step reaches the state (cpu's fused kernel skips it).
// When the wasm kernel learns to skip masked steps, this test fails: update the README's table then.
it('wasm: a finite value in a masked step is ignored exactly, a NaN there reaches the state', async () => {
  await setBackend('wasm');
  const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
  const make = (v: number) => {
    const b = tf.buffer([2, 4, 2]);
    for (let i = 0; i < b.size; i++) b.values[i] = (i % 5) / 5 - 0.4;
    b.set(v, 0, 2, 0);
    return b.toTensor();
  };
  const mask = tf.tensor2d([[1, 1, 0, 1], [1, 1, 1, 1]]);
  const [clean, garbage, nan] = [make(0.1), make(1e6), make(NaN)];
  const [a, b, c] = [clean, garbage, nan].map((x) => model.call(x, { mask }));
  expect(Array.from(b!.state.dataSync())).toEqual(Array.from(a!.state.dataSync()));
  const states = Array.from(c!.state.dataSync());
  expect(states.slice(0, 3).every(Number.isNaN)).toBe(true);
  expect(states.slice(3).every(Number.isFinite)).toBe(true);
  tf.dispose([mask, clean, garbage, nan, ...[a, b, c].flatMap((r) => [r!.output, r!.state])]);
  model.dispose();
});

afterAll(async () => setBackend('cpu'));
