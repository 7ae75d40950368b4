import type * as tf from '@tensorflow/tfjs-core';
import { type Activation, RnnSequenceGrad } from '../kernel_names.js';
import { type CpuBackend, scalarActivationSlope } from './cpu_rnn_sequence.js';

/**
 * BPTT in one kernel call on the cpu backend. Walks each example's steps backwards with a float64 carry:
 * `dz_t = m_t·(dy_t + carry)⊙act'(h_t)`, `carry ← dz_t·Uᵀ + (1 − m_t)·(dy_t + carry)` (a step with m_t = 0 is
 * skipped: the carry passes unchanged), and accumulates the
 * weight gradients (`dU += h_{t−1}ᵀdz_t`, `dW += x_tᵀdz_t`, `db += dz_t`) and `dx_t = dz_t·Wᵀ` as it goes, so no
 * per-step buffers are kept.
 */
export const cpuRnnSequenceGradConfig: tf.KernelConfig = {
  kernelName: RnnSequenceGrad,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackend;
    const { x, kernel, recurrentKernel, h0, hiddenStates, dy, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
    const { activation, goBackwards } = attrs as unknown as { activation: Activation; goBackwards: boolean };
    const [B, T, I] = x!.shape as [number, number, number];
    const H = kernel!.shape[1]!;
    const xs = cpu.readSync(x!.dataId);
    const w = cpu.readSync(kernel!.dataId);
    const u = cpu.readSync(recurrentKernel!.dataId);
    const hInit = cpu.readSync(h0!.dataId);
    const hs = cpu.readSync(hiddenStates!.dataId);
    const up = cpu.readSync(dy!.dataId);
    const m = mask === undefined ? null : cpu.readSync(mask.dataId);
    const slope = scalarActivationSlope(activation);

    const dx = new Float32Array(B * T * I);
    const dW = new Float64Array(I * H);
    const dU = new Float64Array(H * H);
    const db = new Float64Array(H);
    const dh0 = new Float32Array(B * H);
    const g = new Float64Array(H);
    const dz = new Float64Array(H);
    let carry = new Float64Array(H);
    let next = new Float64Array(H);
    for (let n = 0; n < B; n++) {
      carry.fill(0);
      for (let s = T - 1; s >= 0; s--) {
        const t = goBackwards ? T - 1 - s : s;
        const keep = m === null ? 1 : m[n * T + t]!;
        const row = (n * T + s) * H;
        for (let j = 0; j < H; j++) g[j] = up[row + j]! + carry[j]!;
        if (keep === 0) {
          // A skipped step passes its gradient back unchanged and reads nothing of x_t, which may hold anything
          // (x_t·dz with x_t = NaN is NaN even where dz is 0); dx_t stays 0.
          carry.set(g);
          continue;
        }
        for (let j = 0; j < H; j++) dz[j] = keep * g[j]! * slope(hs[row + j]!);
        // h_{t−1}: the previous processed state, or h0 before the first step.
        const prev = s === 0 ? hInit : hs;
        const prevRow = s === 0 ? n * H : (n * T + s - 1) * H;
        for (let k = 0; k < H; k++) {
          const v = prev[prevRow + k]!;
          if (v === 0) continue;
          const r = k * H;
          for (let j = 0; j < H; j++) dU[r + j]! += v * dz[j]!;
        }
        const xRow = (n * T + t) * I;
        for (let i = 0; i < I; i++) {
          const v = xs[xRow + i]!;
          const r = i * H;
          let acc = 0;
          for (let j = 0; j < H; j++) {
            acc += dz[j]! * w[r + j]!;
            if (v !== 0) dW[r + j]! += v * dz[j]!;
          }
          dx[xRow + i] = acc;
        }
        for (let j = 0; j < H; j++) db[j]! += dz[j]!;
        for (let k = 0; k < H; k++) {
          const r = k * H;
          let acc = keep === 1 ? 0 : (1 - keep) * g[k]!;
          for (let j = 0; j < H; j++) acc += dz[j]! * u[r + j]!;
          next[k] = acc;
        }
        [carry, next] = [next, carry];
      }
      for (let k = 0; k < H; k++) dh0[n * H + k] = carry[k]!;
    }
    return [
      cpu.makeTensorInfo([B, T, I], 'float32', dx),
      cpu.makeTensorInfo([I, H], 'float32', Float32Array.from(dW)),
      cpu.makeTensorInfo([H, H], 'float32', Float32Array.from(dU)),
      cpu.makeTensorInfo([H], 'float32', Float32Array.from(db)),
      cpu.makeTensorInfo([B, H], 'float32', dh0),
    ];
  },
};
