import type * as tf from '@tensorflow/tfjs-core';
import { LstmSequenceGrad } from '../kernel_names.js';
import { addOuter, addRowTimesColumns, gatedContext, rowTimesColumnsTransposed } from './cpu_gated_common.js';

/**
 * LSTM BPTT in one kernel call on the cpu backend. Walks each example's steps backwards with float64 carries for
 * h and c, recomputing the step's gates from the saved h_{t−1} (z = b + x_t·W + h_{t−1}·U), and accumulates
 * dW, dU, db and dx_t as it goes (the equations of cells/lstm.ts). Outputs dx, dKernel, dRecurrentKernel, dBias,
 * dh0, dc0, and dHiddenStates when `hiddenStateGrads` is set.
 */
export const cpuLstmSequenceGradConfig: tf.KernelConfig = {
  kernelName: LstmSequenceGrad,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const k = gatedContext(LstmSequenceGrad, 4, inputs, backend, attrs ?? {});
    const { B, T, I, H, xs, w, u, bias, mask, act, gate, actSlope, gateSlope } = k;
    const named = inputs as Record<string, tf.TensorInfo>;
    const c0 = k.cpu.readSync(named.c0!.dataId);
    const hs = k.cpu.readSync(named.hiddenStates!.dataId);
    const cs = k.cpu.readSync(named.cellStates!.dataId);
    const dh = k.cpu.readSync(named.dh!.dataId);
    const dc = k.cpu.readSync(named.dc!.dataId);
    const G = 4 * H;
    const dx = new Float32Array(B * T * I);
    const dW = new Float64Array(I * G);
    const dU = new Float64Array(H * G);
    const db = new Float64Array(G);
    const dh0 = new Float32Array(B * H);
    const dc0 = new Float32Array(B * H);
    const dHidden = k.hiddenStateGrads ? new Float32Array(B * T * H) : null;
    const z = new Float64Array(G);
    const dz = new Float64Array(G);
    const gh = new Float64Array(H);
    const gc = new Float64Array(H);
    const carryH = new Float64Array(H);
    const carryC = new Float64Array(H);
    for (let n = 0; n < B; n++) {
      carryH.fill(0);
      carryC.fill(0);
      for (let s = T - 1; s >= 0; s--) {
        const t = k.goBackwards ? T - 1 - s : s;
        const keep = mask[n * T + t]!;
        const row = (n * T + s) * H;
        for (let j = 0; j < H; j++) {
          gh[j] = dh[row + j]! + carryH[j]!;
          gc[j] = dc[row + j]! + carryC[j]!;
        }
        if (dHidden !== null) for (let j = 0; j < H; j++) dHidden[row + j] = gh[j]!;
        if (keep === 0) {
          carryH.set(gh);
          carryC.set(gc);
          continue;
        }
        const hPrev = s === 0 ? k.h0 : hs;
        const cPrev = s === 0 ? c0 : cs;
        const prevRow = s === 0 ? n * H : row - H;
        const xRow = (n * T + t) * I;
        for (let j = 0; j < G; j++) z[j] = bias[j]!;
        addRowTimesColumns(z, 0, xs, xRow, I, w, G, 0, G);
        addRowTimesColumns(z, 0, hPrev, prevRow, H, u, G, 0, G);
        for (let j = 0; j < H; j++) {
          const i = gate(z[j]!);
          const f = gate(z[H + j]!);
          const g = act(z[2 * H + j]!);
          const o = gate(z[3 * H + j]!);
          const cp = cPrev[prevRow + j]!;
          const aC = act(f * cp + i * g);
          const dhNew = keep * gh[j]!;
          const dcNew = keep * gc[j]! + dhNew * o * actSlope(aC);
          dz[j] = dcNew * g * gateSlope(i);
          dz[H + j] = dcNew * cp * gateSlope(f);
          dz[2 * H + j] = dcNew * i * actSlope(g);
          dz[3 * H + j] = dhNew * aC * gateSlope(o);
          carryC[j] = (1 - keep) * gc[j]! + dcNew * f;
        }
        addOuter(dW, xs, xRow, I, dz, 0, G, 0, G);
        rowTimesColumnsTransposed(dx, xRow, dz, 0, I, w, G, 0, G, false);
        addOuter(dU, hPrev, prevRow, H, dz, 0, G, 0, G);
        for (let j = 0; j < G; j++) db[j]! += dz[j]!;
        rowTimesColumnsTransposed(carryH, 0, dz, 0, H, u, G, 0, G, false);
        if (keep !== 1) for (let j = 0; j < H; j++) carryH[j]! += (1 - keep) * gh[j]!;
      }
      for (let j = 0; j < H; j++) {
        dh0[n * H + j] = carryH[j]!;
        dc0[n * H + j] = carryC[j]!;
      }
    }
    const out = [
      k.cpu.makeTensorInfo([B, T, I], 'float32', dx),
      k.cpu.makeTensorInfo([I, G], 'float32', Float32Array.from(dW)),
      k.cpu.makeTensorInfo([H, G], 'float32', Float32Array.from(dU)),
      k.cpu.makeTensorInfo([G], 'float32', Float32Array.from(db)),
      k.cpu.makeTensorInfo([B, H], 'float32', dh0),
      k.cpu.makeTensorInfo([B, H], 'float32', dc0),
    ];
    if (dHidden !== null) out.push(k.cpu.makeTensorInfo([B, T, H], 'float32', dHidden));
    return out;
  },
};
