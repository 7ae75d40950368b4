import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import { ConfigError, ModelIOError } from '../errors.js';
import { quantizeWeights, toFloat16 } from './quantize.js';

function specsAndData(arrays: Record<string, Float32Array | Int32Array>) {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const [name, values] of Object.entries(arrays)) {
    specs.push({ name, shape: [values.length], dtype: values instanceof Int32Array ? 'int32' : 'float32' });
    parts.push(new Uint8Array(values.buffer.slice(0)));
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { specs, data: data.buffer };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

describe('quantizeWeights', () => {
  const rand = lcg(3);
  const kernel = Float32Array.from({ length: 300 }, () => rand() * 0.8);
  const bias = new Float32Array(10); // zeros must stay exactly zero
  const positive = Float32Array.from({ length: 50 }, (_, i) => 0.5 + i / 100);
  const ids = Int32Array.from([1, 2, 3]);
  const { specs, data } = specsAndData({ kernel, bias, positive, ids });

  it.each([
    ['uint8', 255],
    ['uint16', 65535],
  ] as const)('%s affine: tfjs decodes it within scale/2, zeros exact, sizes shrink', (dtype, qmax) => {
    const q = quantizeWeights(specs, data, dtype);
    expect(q.data.byteLength).toBe((300 + 10 + 50) * (qmax === 255 ? 1 : 2) + 12);
    const decoded = tf.io.decodeWeights(q.data, q.specs);
    for (const [name, original] of [['kernel', kernel], ['bias', bias], ['positive', positive]] as const) {
      const spec = q.specs.find((s) => s.name === name)!;
      const scale = spec.quantization!.scale!;
      const range = Math.max(...original, 0) - Math.min(...original, 0);
      expect(scale).toBeCloseTo(range > 0 ? range / qmax : 1, 12); // an all-zero weight keeps scale 1
      const got = decoded[name]!.dataSync();
      for (let i = 0; i < original.length; i++) expect(Math.abs(got[i]! - original[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-7);
    }
    expect(Array.from(decoded.bias!.dataSync())).toEqual(Array.from(bias));
    expect(Array.from(decoded.ids!.dataSync())).toEqual([1, 2, 3]);
    tf.dispose(Object.values(decoded));
  });

  it('float16: tfjs decodes it within 2^-11 relative', () => {
    const q = quantizeWeights(specs, data, 'float16');
    const decoded = tf.io.decodeWeights(q.data, q.specs);
    const got = decoded.kernel!.dataSync();
    for (let i = 0; i < kernel.length; i++) {
      expect(Math.abs(got[i]! - kernel[i]!)).toBeLessThanOrEqual(Math.abs(kernel[i]!) * 2 ** -11 + 3e-8);
    }
    tf.dispose(Object.values(decoded));
  });

  it('float16 rounding: exact values, ties to even, subnormals, signed zero, infinities, NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
      [3 * 2 ** -25, 0x0002], // 1.5 × smallest: ties to even (2)
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway above an odd mantissa: rounds up
      [65520, 0x7c00], // rounds past the largest finite half
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    const bits = toFloat16(Float32Array.from(cases.map(([v]) => v)));
    expect(Array.from(bits)).toEqual(cases.map(([, h]) => h));
    expect(toFloat16(Float32Array.from([NaN]))[0]! & 0x7c00).toBe(0x7c00);
    expect(toFloat16(Float32Array.from([NaN]))[0]! & 0x3ff).not.toBe(0);
  });

  it('refuses what it cannot represent, naming the weight', () => {
    const big = specsAndData({ huge: Float32Array.from([1e5]) });
    expect(() => quantizeWeights(big.specs, big.data, 'float16')).toThrow(/weight "huge" holds 100000, beyond float16's range/);
    const nan = specsAndData({ bad: Float32Array.from([1, NaN]) });
    expect(() => quantizeWeights(nan.specs, nan.data, 'uint8')).toThrow(/weight "bad" holds NaN/);
    expect(() => quantizeWeights(specs, data.slice(0, 100), 'uint8')).toThrow(ModelIOError);
    expect(() => quantizeWeights(specs, data, 'int4' as never)).toThrow(ConfigError);
    const once = quantizeWeights(specs, data, 'uint8');
    expect(() => quantizeWeights(once.specs, once.data, 'uint8')).toThrow(/already quantized/);
  });
});
