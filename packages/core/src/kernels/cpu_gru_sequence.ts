import type * as tf from '@tensorflow/tfjs-core';
import { GruSequence } from '../kernel_names.js';
import { addRowTimesColumns, gatedContext } from './cpu_gated_common.js';

/**
 * The GRU recurrence in one kernel call on the cpu backend, both Keras forms (cells/gru.ts): plain loops, float64
 * state. resetAfter: the recurrent product h·U + b' for all three gates, ĥ = act(x·W_h + b_h + r⊙(h·U_h + b'_h));
 * otherwise h·U_zr for z and r, then (r⊙h)·U_h. A step whose mask is 0 carries h over.
 */
export const cpuGruSequenceConfig: tf.KernelConfig = {
  kernelName: GruSequence,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const k = gatedContext(GruSequence, 3, inputs, backend, attrs ?? {});
    const { B, T, I, H, xs, w, u, bias, mask, act, gate, resetAfter } = k;
    const G = 3 * H;
    const out = new Float32Array(B * T * H);
    const h = new Float64Array(H);
    const p = new Float64Array(G); // x·W + input bias
    const q = new Float64Array(G); // recurrent product (+ recurrent bias); resetAfter false: only z, r, then (r⊙h)·U_h
    const rh = new Float64Array(H);
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < H; j++) h[j] = k.h0[n * H + j]!;
      for (let s = 0; s < T; s++) {
        const t = k.goBackwards ? T - 1 - s : s;
        const keep = mask[n * T + t]!;
        if (keep !== 0) {
          for (let j = 0; j < G; j++) p[j] = bias[j]!;
          addRowTimesColumns(p, 0, xs, (n * T + t) * I, I, w, G, 0, G);
          if (resetAfter) {
            for (let j = 0; j < G; j++) q[j] = bias[G + j]!;
            addRowTimesColumns(q, 0, h, 0, H, u, G, 0, G);
            for (let j = 0; j < H; j++) {
              const z = gate(p[j]! + q[j]!);
              const r = gate(p[H + j]! + q[H + j]!);
              const hh = act(p[2 * H + j]! + r * q[2 * H + j]!);
              const hNew = hh + z * (h[j]! - hh);
              // q reads h through the matmul above only, so updating h in place is safe.
              h[j] = keep === 1 ? hNew : h[j]! + keep * (hNew - h[j]!);
            }
          } else {
            q.fill(0, 0, 2 * H);
            addRowTimesColumns(q, 0, h, 0, H, u, G, 0, 2 * H);
            for (let j = 0; j < H; j++) rh[j] = gate(p[H + j]! + q[H + j]!) * h[j]!;
            q.fill(0, 2 * H, G);
            addRowTimesColumns(q, 2 * H, rh, 0, H, u, G, 2 * H, H);
            for (let j = 0; j < H; j++) {
              const z = gate(p[j]! + q[j]!);
              const hh = act(p[2 * H + j]! + q[2 * H + j]!);
              const hNew = hh + z * (h[j]! - hh);
              h[j] = keep === 1 ? hNew : h[j]! + keep * (hNew - h[j]!);
            }
          }
        }
        const o = (n * T + s) * H;
        for (let j = 0; j < H; j++) out[o + j] = h[j]!;
      }
    }
    return k.cpu.makeTensorInfo([B, T, H], 'float32', out);
  },
};
