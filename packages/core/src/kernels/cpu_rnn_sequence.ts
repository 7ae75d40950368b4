import type * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_TABLE } from '../activations.js';
import { type Activation, RnnSequence } from '../kernel_names.js';

/** The slice of tfjs-backend-cpu's backend object the kernels use. */
export interface CpuBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** The activation as a scalar function (core's activation table). */
export function scalarActivation(activation: Activation): (z: number) => number {
  return ACTIVATION_TABLE[activation].scalar;
}

/** act'(z) as a function of a = act(z), as the composite computes it (the saved states are the outputs). */
export function scalarActivationSlope(activation: Activation): (a: number) => number {
  return ACTIVATION_TABLE[activation].scalarSlope;
}

/**
 * z += v[offset .. offset+rows) · m, for a row-major m [rows, cols]. Four rows of m per pass over z: a quarter of
 * the loads and stores of z, about twice as fast as one row at a time in V8.
 */
export function addVectorTimesMatrix(z: Float64Array, v: ArrayLike<number>, offset: number, rows: number, m: ArrayLike<number>, cols: number): void {
  let k = 0;
  for (; k + 3 < rows; k += 4) {
    const a = v[offset + k]!;
    const b = v[offset + k + 1]!;
    const c = v[offset + k + 2]!;
    const d = v[offset + k + 3]!;
    const r0 = k * cols;
    const r1 = r0 + cols;
    const r2 = r1 + cols;
    const r3 = r2 + cols;
    for (let j = 0; j < cols; j++) z[j]! += a * m[r0 + j]! + b * m[r1 + j]! + c * m[r2 + j]! + d * m[r3 + j]!;
  }
  for (; k < rows; k++) {
    const a = v[offset + k]!;
    const r = k * cols;
    for (let j = 0; j < cols; j++) z[j]! += a * m[r + j]!;
  }
}

/**
 * The whole recurrence in one kernel call on the cpu backend: plain loops over the backend's typed arrays, with
 * float64 accumulators, no tensors per step. Each step's `b + x_t·W + h·U` walks contiguous rows of W and U
 * ({@link addVectorTimesMatrix}). A step whose mask is 0 carries the state over; an absent mask takes every
 * step, an absent h0 is zeros.
 */
export const cpuRnnSequenceConfig: tf.KernelConfig = {
  kernelName: RnnSequence,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackend;
    const { x, kernel, recurrentKernel, bias, h0, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
    const { activation, goBackwards } = attrs as unknown as { activation: Activation; goBackwards: boolean };
    const [B, T, I] = x!.shape as [number, number, number];
    const H = kernel!.shape[1]!;
    const xs = cpu.readSync(x!.dataId);
    const w = cpu.readSync(kernel!.dataId);
    const u = cpu.readSync(recurrentKernel!.dataId);
    const b = bias === undefined ? null : cpu.readSync(bias.dataId);
    const m = mask === undefined ? null : cpu.readSync(mask.dataId);
    const act = scalarActivation(activation);

    const out = new Float32Array(B * T * H);
    const h = h0 === undefined ? new Float64Array(B * H) : Float64Array.from(cpu.readSync(h0.dataId));
    const z = new Float64Array(H);
    for (let n = 0; n < B; n++) {
      const hRow = n * H;
      for (let s = 0; s < T; s++) {
        const t = goBackwards ? T - 1 - s : s;
        const keep = m === null ? 1 : m[n * T + t]!;
        if (keep !== 0) {
          for (let j = 0; j < H; j++) z[j] = b === null ? 0 : b[j]!;
          addVectorTimesMatrix(z, xs, (n * T + t) * I, I, w, H);
          addVectorTimesMatrix(z, h, hRow, H, u, H);
          for (let j = 0; j < H; j++) {
            const a = act(z[j]!);
            h[hRow + j] = keep === 1 ? a : h[hRow + j]! + keep * (a - h[hRow + j]!);
          }
        }
        const o = (n * T + s) * H;
        for (let j = 0; j < H; j++) out[o + j] = h[hRow + j]!;
      }
    }
    return cpu.makeTensorInfo([B, T, H], 'float32', out);
  },
};
