import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { recurrence, setFusedKernelsEnabled, type RecurrenceAttrs } from '../index.js';

it('prof', async () => {
  const [B, T, I, H] = [32, 20, 10, 64];
  setFusedKernelsEnabled(false);
  for (const cell of ['lstm', 'gru'] as const) {
    const G = cell === 'lstm' ? 4 : 3;
    const attrs: RecurrenceAttrs = { cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true };
    const t = { x: tf.randomUniform([B, T, I], -1, 1), kernel: tf.randomUniform([I, G * H], -0.3, 0.3), recurrentKernel: tf.randomUniform([H, G * H], -0.3, 0.3), bias: cell === 'gru' ? tf.zeros([2, 3 * H]) : tf.zeros([G * H]), h0: tf.zeros([B, H]) };
    tf.dispose(Object.values(recurrence(t, attrs)));
    const s = performance.now();
    const info = await tf.profile(() => tf.dispose(Object.values(recurrence(t, attrs))));
    const total = performance.now() - s;
    const by = new Map<string, [number, number]>();
    for (const k of info.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0] += 1; e[1] += (k.kernelTimeMs as number) || 0; by.set(k.name, e); }
    console.log(cell, total.toFixed(1), [...by].sort((a, b) => b[1][1] - a[1][1]).slice(0, 8).map(([n, [c, ms]]) => `${n} x${c} ${ms.toFixed(1)}ms`).join(', '));
    tf.dispose(Object.values(t));
  }
  setFusedKernelsEnabled(true);
}, 300_000);
