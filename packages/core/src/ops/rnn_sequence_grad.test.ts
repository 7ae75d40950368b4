// The composite backward op (BPTT in tfjs ops, what a backend without a fused backward kernel runs) against
// autodiff through the composite forward op, in core's own process (core's kernel gradients on the tape), for every
// activation, both directions, with and without a mask (bool and float), one step and several.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import type { Activation } from '../kernel_names.js';
import { RnnSequence } from '../kernel_names.js';
import { setFusedKernelsEnabled } from './fused_flag.js';
import { rnnSequence, rnnSequenceComposite } from './rnn_sequence.js';
import { rnnSequenceGrad, rnnSequenceGradComposite } from './rnn_sequence_grad.js';

function values(n: number, seed: number, scale = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (2 * s) / 2147483648 - 1;
  }).map((v) => v * scale);
}

const B = 2;
const I = 3;
const H = 4;

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const av = a.dataSync();
  const bv = b.dataSync();
  // a kernel can declare a shape its buffer does not fill: compare the data lengths too
  expect(av.length).toBe(bv.length);
  expect(av.length).toBe(a.size);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - bv[i]!));
  return m;
}

describe('rnnSequenceGradComposite equals autodiff of rnnSequenceComposite', () => {
  it.each([
    ['tanh', false, 'none', 5],
    ['relu', true, 'none', 5],
    ['sigmoid', false, 'bool', 5],
    ['linear', true, 'float', 5],
    ['tanh', true, 'bool', 5],
    ['tanh', false, 'none', 1],
  ] as const)('%s, goBackwards %s, mask %s, %i steps', (activation, goBackwards, maskKind, T) => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor3d(values(B * T * I, 1), [B, T, I]);
      const kernel = tf.tensor2d(values(I * H, 2, 0.8), [I, H]);
      const recurrentKernel = tf.tensor2d(values(H * H, 3, 0.6), [H, H]);
      const bias = tf.tensor1d(values(H, 4, 0.3));
      const h0 = tf.tensor2d(values(B * H, 5, 0.5), [B, H]);
      const maskValues = Array.from({ length: B * T }, (_, i) => (i % 3 === 1 ? 0 : 1));
      const mask =
        maskKind === 'none' ? undefined : tf.tensor2d(maskValues.map((m) => (maskKind === 'bool' ? m === 1 : m)) as never, [B, T], maskKind === 'bool' ? 'bool' : 'float32');
      const dy = tf.tensor3d(values(B * T * H, 6), [B, T, H]);
      const attrs = { activation: activation as Activation, goBackwards };
      const f = (xx: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor, h: tf.Tensor) =>
        tf.sum(tf.mul(rnnSequenceComposite({ x: xx, kernel: k, recurrentKernel: u, bias: b, h0: h, mask }, attrs), dy));
      const auto = tf.grads(f)([x, kernel, recurrentKernel, bias, h0]);
      const hiddenStates = rnnSequenceComposite({ x, kernel, recurrentKernel, bias, h0, mask }, attrs);
      const got = rnnSequenceGradComposite({ x, kernel, recurrentKernel, h0, hiddenStates, dy, mask }, attrs);
      const pairs: [tf.Tensor, tf.Tensor][] = [
        [got.dx, auto[0]!],
        [got.dKernel, auto[1]!],
        [got.dRecurrentKernel, auto[2]!],
        [got.dBias, auto[3]!],
        [got.dh0, auto[4]!],
      ];
      for (const [g, a] of pairs) {
        expect(maxDiff(g, a)).toBeLessThan(1e-5);
        // and the gradient is not trivially zero
        expect(tf.max(tf.abs(a)).dataSync()[0]).toBeGreaterThan(1e-3);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('rnnSequence dispatch and optional inputs', () => {
  it('without a bias the composite equals the composite with a zero bias, and the fused op agrees', () => {
    tf.tidy(() => {
      const x = tf.tensor3d(values(B * 3 * I, 7), [B, 3, I]);
      const kernel = tf.tensor2d(values(I * H, 8), [I, H]);
      const recurrentKernel = tf.tensor2d(values(H * H, 9, 0.5), [H, H]);
      const h0 = tf.zeros([B, H]);
      const attrs = { activation: 'tanh' as const, goBackwards: false };
      const none = rnnSequenceComposite({ x, kernel, recurrentKernel, h0 }, attrs);
      const zero = rnnSequenceComposite({ x, kernel, recurrentKernel, bias: tf.zeros([H]), h0 }, attrs);
      expect(maxDiff(none, zero)).toBe(0);
      expect(maxDiff(rnnSequence({ x, kernel, recurrentKernel, h0 }, attrs), none)).toBeLessThan(1e-6);
    });
  });

  it('with fused kernels off, rnnSequence runs the composite (no fused kernel call)', async () => {
    const x = tf.tensor3d(values(B * 3 * I, 7), [B, 3, I]);
    const kernel = tf.tensor2d(values(I * H, 8), [I, H]);
    const recurrentKernel = tf.tensor2d(values(H * H, 9, 0.5), [H, H]);
    const h0 = tf.zeros([B, H]);
    const attrs = { activation: 'tanh' as const, goBackwards: false };
    const run = async () =>
      (await tf.profile(() => void tf.dispose(rnnSequence({ x, kernel, recurrentKernel, h0 }, attrs)))).kernelNames;
    try {
      setFusedKernelsEnabled(false);
      expect(await run()).not.toContain(RnnSequence);
      setFusedKernelsEnabled(true);
      expect(await run()).toContain(RnnSequence);
    } finally {
      setFusedKernelsEnabled(true);
      tf.dispose([x, kernel, recurrentKernel, h0]);
    }
  });
});

describe('the cpu fused backward kernel gives all five gradients of the composite', () => {
  it.each([
    ['tanh', false, false, true],
    ['relu', true, true, true],
    ['sigmoid', false, true, false],
  ] as const)('%s, goBackwards %s, mask %s, bias %s', (activation, goBackwards, masked, withBias) => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const T = 4;
      const x = tf.tensor3d(values(B * T * I, 11), [B, T, I]);
      const kernel = tf.tensor2d(values(I * H, 12, 0.8), [I, H]);
      const recurrentKernel = tf.tensor2d(values(H * H, 13, 0.6), [H, H]);
      const bias = withBias ? tf.tensor1d(values(H, 14, 0.3)) : undefined;
      const h0 = tf.tensor2d(values(B * H, 15, 0.5), [B, H]);
      const mask = masked ? tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i % 3 === 2 ? 0 : 1)), [B, T]) : undefined;
      const dy = tf.tensor3d(values(B * T * H, 16), [B, T, H]);
      const attrs = { activation: activation as Activation, goBackwards };
      const hiddenStates = rnnSequence({ x, kernel, recurrentKernel, bias, h0, mask }, attrs);
      expect(maxDiff(hiddenStates, rnnSequenceComposite({ x, kernel, recurrentKernel, bias, h0, mask }, attrs))).toBeLessThan(1e-6);
      const fused = rnnSequenceGrad({ x, kernel, recurrentKernel, h0, hiddenStates, dy, mask }, attrs);
      const composite = rnnSequenceGradComposite({ x, kernel, recurrentKernel, h0, hiddenStates, dy, mask }, attrs);
      for (const key of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0'] as const) {
        expect(maxDiff(fused[key], composite[key]), key).toBeLessThan(1e-5);
        expect(tf.max(tf.abs(composite[key])).dataSync()[0]).toBeGreaterThan(1e-3);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
