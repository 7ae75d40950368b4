import type * as tf from '@tensorflow/tfjs-core';
import { LstmSequence } from '../kernel_names.js';
import { addRowTimesColumns, gatedContext, readOr } from './cpu_gated_common.js';

/**
 * The LSTM recurrence in one kernel call on the cpu backend: plain loops over the backend's typed arrays with
 * float64 state and accumulators. Per step z = b + x_t·W + h·U (4H), then i, f, c̃, o and the state update of
 * cells/lstm.ts; a step whose mask is 0 carries h and c over. Outputs [hiddenStates, cellStates].
 */
export const cpuLstmSequenceConfig: tf.KernelConfig = {
  kernelName: LstmSequence,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const k = gatedContext(LstmSequence, 4, inputs, backend, attrs ?? {});
    const { B, T, I, H, xs, w, u, bias, mask, act, gate } = k;
    const G = 4 * H;
    const c0 = readOr(k.cpu, (inputs as Record<string, tf.TensorInfo | undefined>).c0, B * H, 0);
    const hs = new Float32Array(B * T * H);
    const cs = new Float32Array(B * T * H);
    const h = new Float64Array(H);
    const c = new Float64Array(H);
    const z = new Float64Array(G);
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < H; j++) {
        h[j] = k.h0[n * H + j]!;
        c[j] = c0[n * H + j]!;
      }
      for (let s = 0; s < T; s++) {
        const t = k.goBackwards ? T - 1 - s : s;
        const keep = mask[n * T + t]!;
        if (keep !== 0) {
          for (let j = 0; j < G; j++) z[j] = bias[j]!;
          addRowTimesColumns(z, 0, xs, (n * T + t) * I, I, w, G, 0, G);
          addRowTimesColumns(z, 0, h, 0, H, u, G, 0, G);
          for (let j = 0; j < H; j++) {
            const i = gate(z[j]!);
            const f = gate(z[H + j]!);
            const g = act(z[2 * H + j]!);
            const o = gate(z[3 * H + j]!);
            const cNew = f * c[j]! + i * g;
            const hNew = o * act(cNew);
            c[j] = keep === 1 ? cNew : c[j]! + keep * (cNew - c[j]!);
            h[j] = keep === 1 ? hNew : h[j]! + keep * (hNew - h[j]!);
          }
        }
        const o = (n * T + s) * H;
        for (let j = 0; j < H; j++) {
          hs[o + j] = h[j]!;
          cs[o + j] = c[j]!;
        }
      }
    }
    return [k.cpu.makeTensorInfo([B, T, H], 'float32', hs), k.cpu.makeTensorInfo([B, T, H], 'float32', cs)];
  },
};
