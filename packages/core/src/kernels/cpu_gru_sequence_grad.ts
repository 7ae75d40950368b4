import type * as tf from '@tensorflow/tfjs-core';
import { GruSequenceGrad } from '../kernel_names.js';
import { addOuter, addRowTimesColumns, gatedContext, rowTimesColumnsTransposed } from './cpu_gated_common.js';

/**
 * GRU BPTT in one kernel call on the cpu backend, both forms (the equations of cells/gru.ts). Walks each example's
 * steps backwards with a float64 carry, recomputes z, r, ĥ from the saved h_{t−1}, and accumulates dW, dU, db
 * (both rows with resetAfter) and dx_t as it goes. Outputs dx, dKernel, dRecurrentKernel, dBias, dh0, and
 * dHiddenStates when `hiddenStateGrads` is set.
 */
export const cpuGruSequenceGradConfig: tf.KernelConfig = {
  kernelName: GruSequenceGrad,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const k = gatedContext(GruSequenceGrad, 3, inputs, backend, attrs ?? {});
    const { B, T, I, H, xs, w, u, bias, mask, act, gate, actSlope, gateSlope, resetAfter } = k;
    const named = inputs as Record<string, tf.TensorInfo>;
    const hs = k.cpu.readSync(named.hiddenStates!.dataId);
    const dh = k.cpu.readSync(named.dh!.dataId);
    const G = 3 * H;
    const dx = new Float32Array(B * T * I);
    const dW = new Float64Array(I * G);
    const dU = new Float64Array(H * G);
    const db = new Float64Array(resetAfter ? 2 * G : G);
    const dh0 = new Float32Array(B * H);
    const dHidden = k.hiddenStateGrads ? new Float32Array(B * T * H) : null;
    const p = new Float64Array(G);
    const q = new Float64Array(G);
    const rh = new Float64Array(H);
    const dP = new Float64Array(G); // gradient of x·W + b
    const dQ = new Float64Array(G); // gradient of the recurrent product (resetAfter: all gates; else z, r)
    const dRh = new Float64Array(H);
    const g = new Float64Array(H);
    const carry = new Float64Array(H);
    for (let n = 0; n < B; n++) {
      carry.fill(0);
      for (let s = T - 1; s >= 0; s--) {
        const t = k.goBackwards ? T - 1 - s : s;
        const keep = mask[n * T + t]!;
        const row = (n * T + s) * H;
        for (let j = 0; j < H; j++) g[j] = dh[row + j]! + carry[j]!;
        if (dHidden !== null) for (let j = 0; j < H; j++) dHidden[row + j] = g[j]!;
        if (keep === 0) {
          carry.set(g);
          continue;
        }
        const hPrev = s === 0 ? k.h0 : hs;
        const prevRow = s === 0 ? n * H : row - H;
        const xRow = (n * T + t) * I;
        for (let j = 0; j < G; j++) p[j] = bias[j]!;
        addRowTimesColumns(p, 0, xs, xRow, I, w, G, 0, G);
        if (resetAfter) {
          for (let j = 0; j < G; j++) q[j] = bias[G + j]!;
          addRowTimesColumns(q, 0, hPrev, prevRow, H, u, G, 0, G);
          for (let j = 0; j < H; j++) {
            const z = gate(p[j]! + q[j]!);
            const r = gate(p[H + j]! + q[H + j]!);
            const hh = act(p[2 * H + j]! + r * q[2 * H + j]!);
            const gNew = keep * g[j]!;
            const dz = gNew * (hPrev[prevRow + j]! - hh) * gateSlope(z);
            const da = gNew * (1 - z) * actSlope(hh);
            const dr = da * q[2 * H + j]! * gateSlope(r);
            dP[j] = dz;
            dP[H + j] = dr;
            dP[2 * H + j] = da;
            dQ[j] = dz;
            dQ[H + j] = dr;
            dQ[2 * H + j] = da * r;
            carry[j] = (1 - keep) * g[j]! + gNew * z;
          }
          addOuter(dU, hPrev, prevRow, H, dQ, 0, G, 0, G);
          for (let j = 0; j < G; j++) db[G + j]! += dQ[j]!;
          rowTimesColumnsTransposed(carry, 0, dQ, 0, H, u, G, 0, G, true);
        } else {
          q.fill(0);
          addRowTimesColumns(q, 0, hPrev, prevRow, H, u, G, 0, 2 * H);
          for (let j = 0; j < H; j++) rh[j] = gate(p[H + j]! + q[H + j]!) * hPrev[prevRow + j]!;
          addRowTimesColumns(q, 2 * H, rh, 0, H, u, G, 2 * H, H);
          for (let j = 0; j < H; j++) {
            const z = gate(p[j]! + q[j]!);
            const hh = act(p[2 * H + j]! + q[2 * H + j]!);
            const gNew = keep * g[j]!;
            dP[j] = gNew * (hPrev[prevRow + j]! - hh) * gateSlope(z);
            dP[2 * H + j] = gNew * (1 - z) * actSlope(hh);
            carry[j] = (1 - keep) * g[j]! + gNew * z;
          }
          // d(r⊙h) = dâ·U_hᵀ; dr = d(r⊙h)⊙h⊙σr'(r); h receives d(r⊙h)⊙r and [dz, dr]·U_zrᵀ.
          rowTimesColumnsTransposed(dRh, 0, dP, 2 * H, H, u, G, 2 * H, H, false);
          for (let j = 0; j < H; j++) {
            const r = gate(p[H + j]! + q[H + j]!);
            dP[H + j] = dRh[j]! * hPrev[prevRow + j]! * gateSlope(r);
            carry[j]! += dRh[j]! * r;
          }
          addOuter(dU, hPrev, prevRow, H, dP, 0, G, 0, 2 * H);
          addOuter(dU, rh, 0, H, dP, 2 * H, G, 2 * H, H);
          rowTimesColumnsTransposed(carry, 0, dP, 0, H, u, G, 0, 2 * H, true);
        }
        addOuter(dW, xs, xRow, I, dP, 0, G, 0, G);
        rowTimesColumnsTransposed(dx, xRow, dP, 0, I, w, G, 0, G, false);
        for (let j = 0; j < G; j++) db[j]! += dP[j]!;
      }
      for (let j = 0; j < H; j++) dh0[n * H + j] = carry[j]!;
    }
    const out = [
      k.cpu.makeTensorInfo([B, T, I], 'float32', dx),
      k.cpu.makeTensorInfo([I, G], 'float32', Float32Array.from(dW)),
      k.cpu.makeTensorInfo([H, G], 'float32', Float32Array.from(dU)),
      k.cpu.makeTensorInfo(resetAfter ? [2, G] : [G], 'float32', Float32Array.from(db)),
      k.cpu.makeTensorInfo([B, H], 'float32', dh0),
    ];
    if (dHidden !== null) out.push(k.cpu.makeTensorInfo([B, T, H], 'float32', dHidden));
    return out;
  },
};
