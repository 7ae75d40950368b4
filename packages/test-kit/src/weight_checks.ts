import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN } from '@basicrnn/core';
import { beforeAll, describe, expect, it } from 'vitest';

/** Initial weights of a built model, read back as float32 arrays (Keras order). */
function initialWeights(config: { hiddenSize: number; outputSize: number; seed: number }, inputSize: number): Float32Array[] {
  const model = new BasicRNN(config);
  model.build([null, 5, inputSize]);
  const ws = model.getWeights();
  const out = ws.map((w) => Float32Array.from(w.dataSync()));
  tf.dispose(ws);
  model.dispose();
  return out;
}

/** FNV-1a over the float32 bytes: equal fingerprints mean bit-identical weights. */
function fingerprint(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * Fingerprints of `new BasicRNN({ hiddenSize: 24, outputSize: 3, seed: 7 })` built for 10 inputs, recorded once:
 * every backend, in Node and in Chromium, must produce these exact bits (the initialisers run in JS from the seed).
 * They change only when the initialisers or the seed derivation change on purpose.
 */
const KNOWN_FINGERPRINTS = { kernel: 'c9a83379', recurrentKernel: '65fc1d42', denseKernel: 'f3bc130b' };

/**
 * Initial weights against independent facts, not against core's own initialisers: Glorot-uniform bounds and
 * moments, orthogonality in float64, zero biases, seeds that repeat and differ, and bit-identical values on
 * every backend (fixed fingerprints).
 */
export function initialWeightTests(): void {
  describe('initial weights', () => {
    // 64 × 64 kernels: 4,096 draws, enough for the moments below to sit well inside their bounds. Built in
    // beforeAll, once the suite's backend is active.
    let kernel: Float32Array, recurrent: Float32Array, bias: Float32Array, dense: Float32Array, denseBias: Float32Array;
    beforeAll(() => {
      [kernel, recurrent, bias, dense, denseBias] = initialWeights({ hiddenSize: 64, outputSize: 3, seed: 7 }, 64) as [
        Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
      ];
    });

    it('kernels are Glorot uniform: inside ±√(6/(fanIn+fanOut)), mean 0, variance limit²/3, evenly spread', () => {
      for (const [values, fanIn, fanOut] of [[kernel, 64, 64], [dense, 64, 3]] as const) {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        const n = values.length;
        const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(max).toBeLessThanOrEqual(limit);
        expect(max).toBeGreaterThan(0.9 * limit);
        if (n < 1000) continue;
        const mean = values.reduce((s, v) => s + v, 0) / n;
        const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
        // Standard errors for n uniform draws: mean limit/√(3n) ≈ 0.002, variance √(0.8/n)·limit²/3 ≈ 1.4%.
        expect(Math.abs(mean)).toBeLessThan(5 * (limit / Math.sqrt(3 * n)));
        expect(Math.abs(variance / (limit * limit / 3) - 1)).toBeLessThan(0.1);
        // Four equal-width bins each hold a quarter (binomial sd ≈ 28 of 1,024).
        const bins = [0, 0, 0, 0];
        for (const v of values) bins[Math.min(3, Math.floor(((v + limit) / (2 * limit)) * 4))]! += 1;
        for (const count of bins) expect(Math.abs(count - n / 4)).toBeLessThan(150);
      }
    });

    it('the recurrent kernel is orthogonal: UᵀU = UUᵀ = I within float32 rounding (products in float64)', () => {
      const h = 64;
      let worst = 0;
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < h; j++) {
          let cols = 0;
          let rows = 0;
          for (let k = 0; k < h; k++) {
            cols += recurrent[k * h + i]! * recurrent[k * h + j]!;
            rows += recurrent[i * h + k]! * recurrent[j * h + k]!;
          }
          const target = i === j ? 1 : 0;
          worst = Math.max(worst, Math.abs(cols - target), Math.abs(rows - target));
        }
      }
      // Each entry carries ~6e-8 relative rounding; a 64-term dot product of unit vectors stays below ~1e-6.
      expect(worst).toBeLessThan(2e-6);
      // A dense rotation, not a permutation or the identity (which are orthogonal too).
      const dense64 = recurrent.filter((v) => Math.abs(v) > 0.01).length;
      expect(dense64).toBeGreaterThan(0.9 * h * h);
    });

    it('biases start at zero; the same seed repeats the weights and another seed changes them', () => {
      expect(bias.every((v) => v === 0)).toBe(true);
      expect(denseBias.every((v) => v === 0)).toBe(true);
      const again = initialWeights({ hiddenSize: 64, outputSize: 3, seed: 7 }, 64);
      expect(fingerprint(again[0]!)).toBe(fingerprint(kernel));
      expect(fingerprint(again[1]!)).toBe(fingerprint(recurrent));
      const other = initialWeights({ hiddenSize: 64, outputSize: 3, seed: 8 }, 64);
      expect(fingerprint(other[0]!)).not.toBe(fingerprint(kernel));
      expect(fingerprint(other[1]!)).not.toBe(fingerprint(recurrent));
      // Kernel and recurrent kernel come from independent streams, not one stream cut in two.
      expect(fingerprint(kernel.subarray(0, 64))).not.toBe(fingerprint(recurrent.subarray(0, 64)));
    });

    it('initial weights are bit-identical on every backend (the same fingerprints in Node and Chromium)', () => {
      const [k, r, , d] = initialWeights({ hiddenSize: 24, outputSize: 3, seed: 7 }, 10);
      expect({ kernel: fingerprint(k!), recurrentKernel: fingerprint(r!), denseKernel: fingerprint(d!) }).toEqual(KNOWN_FINGERPRINTS);
    });
  });
}
