// The seam where backends plug in fused kernels, exercised on cpu with a test-only kernel: when a kernel is
// registered for the active backend, the op dispatches to it, core's one gradient runs, and that gradient's
// backward op (composite here) gives the same gradients as autodiff through the composite forward.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicRNN, RnnSequence, setFusedKernelsEnabled, getBackendInfo } from '../index.js';

type CpuBackend = { readSync(dataId: unknown): Float32Array; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

let calls = 0;

/** A plain-loop float32 forward kernel with the fused-kernel contract (mask always present). */
const testKernel: tf.KernelConfig = {
  kernelName: RnnSequence,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    calls++;
    const cpu = backend as unknown as CpuBackend;
    const { x, kernel, recurrentKernel, bias, h0, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
    const { activation, goBackwards } = attrs as unknown as { activation: string; goBackwards: boolean };
    const [B, T, I] = x!.shape as [number, number, number];
    const H = kernel!.shape[1]!;
    const xs = cpu.readSync(x!.dataId);
    const w = cpu.readSync(kernel!.dataId);
    const u = cpu.readSync(recurrentKernel!.dataId);
    const b = bias ? cpu.readSync(bias.dataId) : null;
    const m = cpu.readSync(mask!.dataId);
    const out = new Float32Array(B * T * H);
    const h = Float32Array.from(cpu.readSync(h0!.dataId));
    const z = new Float32Array(H);
    const act = (v: number) => (activation === 'tanh' ? Math.tanh(v) : activation === 'relu' ? Math.max(0, v) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v);
    for (let s = 0; s < T; s++) {
      const t = goBackwards ? T - 1 - s : s;
      for (let n = 0; n < B; n++) {
        for (let j = 0; j < H; j++) {
          let acc = b ? b[j]! : 0;
          for (let i = 0; i < I; i++) acc += xs[(n * T + t) * I + i]! * w[i * H + j]!;
          for (let k = 0; k < H; k++) acc += h[n * H + k]! * u[k * H + j]!;
          z[j] = acc;
        }
        if (m[n * T + t] !== 0) for (let j = 0; j < H; j++) h[n * H + j] = act(z[j]!);
        out.set(h.subarray(n * H, (n + 1) * H), (n * T + s) * H);
      }
    }
    return cpu.makeTensorInfo([B, T, H], 'float32', out);
  },
};

describe('fused-kernel seam (test kernel on cpu)', () => {
  beforeAll(() => {
    tf.registerKernel(testKernel);
  });
  afterAll(() => {
    tf.unregisterKernel(RnnSequence, 'cpu');
    setFusedKernelsEnabled(true);
  });

  it.each([
    ['tanh', false, false],
    ['relu', true, false],
    ['sigmoid', false, true],
    ['linear', true, true],
  ] as const)('%s (goBackwards %s, mask %s): fused forward and core gradient equal the composite path', (activation, goBackwards, masked) => {
    const before = tf.memory().numTensors;
    const model = new BasicRNN({ hiddenSize: 5, outputSize: 2, activation, goBackwards, returnSequences: true, seed: 4 });
    model.build([null, null, 4]);
    const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 1);
    const h0 = tf.randomNormal([3, 5], 0, 0.5, 'float32', 2);
    const mask = masked ? tf.tensor2d([[1, 0, 1, 1, 0, 1], [1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1]]) : undefined;
    const run = () => {
      const vars = model.trainableVariables();
      const f = () => {
        const { output, state } = model.call(x, { initialState: h0, ...(mask ? { mask } : {}) });
        return tf.add(tf.sum(tf.square(output)), tf.sum(state)) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(f, vars);
      const [dx, dh0] = tf.grads((a: tf.Tensor, c: tf.Tensor) => {
        const { output, state } = model.call(a, { initialState: c, ...(mask ? { mask } : {}) });
        return tf.add(tf.sum(tf.square(output)), tf.sum(state));
      })([x, h0]);
      const out = [value, ...vars.map((v) => grads[v.name]!), dx!, dh0!].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, dx!, dh0!, ...Object.values(grads)]);
      return out;
    };
    setFusedKernelsEnabled(true);
    calls = 0;
    expect(getBackendInfo().fusedKernels).toBe(true);
    const fused = run();
    expect(calls).toBeGreaterThan(0);
    setFusedKernelsEnabled(false);
    calls = 0;
    const composite = run();
    expect(calls).toBe(0);
    fused.forEach((values, i) => values.forEach((v, k) => expect(Math.abs(v - composite[i]![k]!), `tensor ${i}[${k}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))));
    tf.dispose([x, h0, ...(mask ? [mask] : [])]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
