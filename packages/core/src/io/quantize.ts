import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ModelIOError, describe } from '../errors.js';

/** Storage types for weights on save: the converter's (`tensorflowjs_converter --quantize_*`) and tfjs's decoders'. */
export type QuantizationDtype = 'float16' | 'uint8' | 'uint16';

export const QUANTIZATION_DTYPES: readonly QuantizationDtype[] = ['float16', 'uint8', 'uint16'];

/**
 * Re-encodes the float32 weights of saved artifacts in a smaller storage type, as tensorflowjs_converter does,
 * so tfjs's own loader (and ours) dequantize them on load:
 * - `float16`: IEEE half precision (round to nearest even): relative error ≤ 2⁻¹¹ for |w| ≥ 6.1e-5, absolute
 *   ≤ 3e-8 below; a weight beyond ±65504 is refused (it would become infinite).
 * - `uint8` / `uint16` affine: `w ≈ q·scale + min` per weight tensor, the range nudged so 0 is exact (zero biases
 *   and masks stay zero), error ≤ scale / 2 with scale = (max − min) / 255 (or 65535).
 * Non-float32 weights are copied unchanged. Returns new specs and one new buffer; the inputs are not modified.
 */
export function quantizeWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: tf.io.WeightData,
  dtype: QuantizationDtype,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  if (!(QUANTIZATION_DTYPES as readonly string[]).includes(dtype)) {
    throw new ConfigError(`quantize: expected one of ${QUANTIZATION_DTYPES.map((d) => `'${d}'`).join(', ')}, received ${describe(dtype)}`);
  }
  const buffer = tf.io.CompositeArrayBuffer.join(data);
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization !== undefined) throw new ModelIOError(`quantize: weight ${describe(spec.name)} is already quantized (${spec.quantization.dtype})`);
    const size = spec.shape.reduce((n, d) => n * d, 1);
    const bytes = size * (spec.dtype === 'bool' ? 1 : spec.dtype === 'complex64' ? 8 : 4);
    if (spec.dtype === 'string') throw new ModelIOError(`quantize: weight ${describe(spec.name)} holds strings; cannot quantize it`);
    if (offset + bytes > buffer.byteLength) {
      throw new ModelIOError(`quantize: weight ${describe(spec.name)} needs bytes ${offset}..${offset + bytes}, the data has ${buffer.byteLength}`);
    }
    if (spec.dtype !== 'float32') {
      parts.push(new Uint8Array(buffer.slice(offset, offset + bytes)));
      out.push({ ...spec });
    } else {
      const values = new Float32Array(buffer.slice(offset, offset + bytes));
      if (dtype === 'float16') {
        for (const v of values) {
          if (!(Math.abs(v) <= 65504)) throw new ModelIOError(`quantize: weight ${describe(spec.name)} holds ${v}, beyond float16's range (±65504)`);
        }
        parts.push(new Uint8Array(toFloat16(values).buffer));
        out.push({ ...spec, quantization: { dtype: 'float16' } });
      } else {
        const { quantized, scale, min } = affine(values, dtype === 'uint8' ? 255 : 65535, spec.name);
        parts.push(new Uint8Array(quantized.buffer));
        out.push({ ...spec, quantization: { dtype, scale, min } });
      }
    }
    offset += bytes;
  }
  if (offset !== buffer.byteLength) {
    throw new ModelIOError(`quantize: the specs describe ${offset} bytes, the data has ${buffer.byteLength}`);
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.byteLength;
  }
  return { specs: out, data: joined.buffer };
}

/** The converter's affine quantization: range widened to include 0, min nudged so 0 is a code exactly. */
function affine(values: Float32Array, qmax: number, name: string): { quantized: Uint8Array | Uint16Array; scale: number; min: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new ModelIOError(`quantize: weight ${describe(name)} holds ${v}; only finite weights can be quantized`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? (hi - lo) / qmax : 1;
  const min = -Math.round(-lo / scale) * scale;
  const max = qmax * scale + min;
  const quantized = qmax === 255 ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const clipped = Math.min(max, Math.max(min, values[i]!));
    quantized[i] = Math.min(qmax, Math.max(0, Math.round((clipped - min) / scale)));
  }
  return { quantized, scale, min };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE binary16 bits, round to nearest even, subnormals kept, overflow to ±Infinity; NaN stays NaN. */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i]!;
    const bits = u32[0]!;
    const sign = (bits >>> 16) & 0x8000;
    const exponent = (bits >>> 23) & 0xff;
    let mantissa = bits & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
      continue;
    }
    const e = exponent - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      // Subnormal half (or zero): shift the implicit-1 mantissa right, rounding to nearest even.
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mantissa |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = mantissa & ((1 << shift) - 1);
      let m = mantissa >>> shift;
      if (rest > half || (rest === half && (m & 1) === 1)) m++;
      out[i] = sign | m;
    } else {
      let h = (e << 10) | (mantissa >>> 13);
      const rest = mantissa & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // may carry into the exponent: still correct
      out[i] = sign | h;
    }
  }
  return out;
}
