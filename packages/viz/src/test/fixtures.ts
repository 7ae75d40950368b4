// Deterministic test data: a tiny SimpleRNN run in float64, so pictures show real recurrent behaviour.
import type { BackendResult, TrainingHistory } from '../index.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RnnRun {
  input: number[][][];
  hiddenStates: number[][][];
  state: number[][];
  output: number[][];
  sequenceOutput: number[][][];
  kernel: number[][];
  recurrentKernel: number[][];
  bias: number[];
}

/** Runs h_t = tanh(x_t W + h_{t-1} U + b), y = h_T V + c on smooth random sequences. */
export function simulateRnn(batch: number, steps: number, features: number, units: number, outputs = 1, seed = 7): RnnRun {
  const r = rng(seed);
  const uniform = (s: number) => (r() * 2 - 1) * s;
  const kernel = Array.from({ length: features }, () => Array.from({ length: units }, () => uniform(Math.sqrt(6 / (features + units)))));
  const recurrentKernel = Array.from({ length: units }, () => Array.from({ length: units }, () => uniform(1.2 / Math.sqrt(units))));
  const bias = Array.from({ length: units }, () => uniform(0.1));
  const dense = Array.from({ length: units }, () => Array.from({ length: outputs }, () => uniform(Math.sqrt(6 / (units + outputs)))));
  const input = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: steps }, (_, t) =>
      Array.from({ length: features }, (_, f) => Math.sin((t + 1) * (0.25 + 0.15 * f) + b) + 0.15 * uniform(1)),
    ),
  );
  const hiddenStates: number[][][] = [];
  const sequenceOutput: number[][][] = [];
  for (let b = 0; b < batch; b++) {
    let h = new Array<number>(units).fill(0);
    const hs: number[][] = [];
    const ys: number[][] = [];
    for (let t = 0; t < steps; t++) {
      const x = input[b]![t]!;
      h = Array.from({ length: units }, (_, j) => {
        let z = bias[j]!;
        for (let i = 0; i < features; i++) z += x[i]! * kernel[i]![j]!;
        for (let k = 0; k < units; k++) z += h[k]! * recurrentKernel[k]![j]!;
        return Math.tanh(z);
      });
      hs.push(h);
      ys.push(Array.from({ length: outputs }, (_, o) => h.reduce((s, v, k) => s + v * dense[k]![o]!, 0)));
    }
    hiddenStates.push(hs);
    sequenceOutput.push(ys);
  }
  return {
    input,
    hiddenStates,
    state: hiddenStates.map((hs) => hs[steps - 1]!),
    output: sequenceOutput.map((ys) => ys[steps - 1]!),
    sequenceOutput,
    kernel,
    recurrentKernel,
    bias,
  };
}

export function trainingHistory(epochs: number, withNaN = false): TrainingHistory {
  const r = rng(3);
  const loss: number[] = [];
  const valLoss: number[] = [];
  const accuracy: number[] = [];
  const valAccuracy: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const base = 0.69 * Math.exp(-e / 8) + 0.08;
    loss.push(base + 0.01 * r());
    valLoss.push(base * 1.08 + 0.02 + 0.015 * r() + (e > epochs * 0.6 ? 0.004 * (e - epochs * 0.6) : 0));
    accuracy.push(Math.min(1, 0.5 + 0.45 * (1 - Math.exp(-e / 6)) + 0.01 * r()));
    valAccuracy.push(Math.min(1, 0.48 + 0.42 * (1 - Math.exp(-e / 6)) + 0.02 * r()));
  }
  if (withNaN && epochs > 6) {
    loss[5] = NaN;
    valLoss[5] = NaN;
  }
  return {
    epoch: Array.from({ length: epochs }, (_, i) => i),
    history: { loss, val_loss: valLoss, accuracy, val_accuracy: valAccuracy },
  };
}

export const backendResults: BackendResult[] = [
  { backend: 'cpu', forwardMs: 48.2, trainMs: 212.5, maxAbsDiff: 0 },
  { backend: 'wasm', forwardMs: 7.9, trainMs: 41.3, maxAbsDiff: 2.4e-7 },
  { backend: 'wasm (4 threads)', forwardMs: 3.6, trainMs: 22.8, maxAbsDiff: 2.4e-7 },
  { backend: 'webgl', forwardMs: 11.4, trainMs: 63.0, maxAbsDiff: 3.1e-4 },
];

/** A duck-typed tensor over a flat array, like a tfjs Tensor to viz. */
export function fakeTensor(shape: number[], values: ArrayLike<number>): { shape: number[]; dtype: string; dataSync(): Float32Array } {
  return { shape, dtype: 'float32', dataSync: () => Float32Array.from(values) };
}
