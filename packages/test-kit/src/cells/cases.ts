import { SeededRandom } from '@basicrnn/core';
import { type CellRefConfig, type CellRefInputs, biasLength, gateCount } from './reference.js';

/** One op-level cell case: sizes, options, and which optional inputs are given. */
export interface CellCase extends CellRefConfig {
  name: string;
  useBias: boolean;
  /** random h0 (else zeros) and, for LSTM, random c0 (else absent) */
  initialState: boolean;
  mask: false | 'float32' | 'bool';
  recurrentDropout: boolean;
  seed: number;
}

const base = { goBackwards: false, resetAfter: false, useBias: true, initialState: false, mask: false, recurrentDropout: false } as const;

/**
 * The op-level cases, per cell: default activations, every option at least once, both GRU forms, and every
 * activation at least once. Sizes stay small (the float64 reference and the composite loop are per step).
 */
export const CELL_CASES: CellCase[] = [
  { ...base, name: 'lstm tanh/sigmoid, bias, initial states', cell: 'lstm', batch: 3, steps: 6, inputSize: 4, units: 5, activation: 'tanh', recurrentActivation: 'sigmoid', initialState: true, seed: 1 },
  { ...base, name: 'lstm goBackwards + float mask, hardSigmoid gates', cell: 'lstm', batch: 3, steps: 7, inputSize: 3, units: 4, activation: 'tanh', recurrentActivation: 'hardSigmoid', goBackwards: true, mask: 'float32', initialState: true, seed: 2 },
  { ...base, name: 'lstm no bias, softsign, bool mask', cell: 'lstm', batch: 2, steps: 5, inputSize: 3, units: 3, activation: 'softsign', recurrentActivation: 'sigmoid', useBias: false, mask: 'bool', seed: 3 },
  { ...base, name: 'lstm recurrent dropout + mask', cell: 'lstm', batch: 3, steps: 5, inputSize: 2, units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', recurrentDropout: true, mask: 'float32', initialState: true, seed: 4 },
  { ...base, name: 'lstm T=40 H=16', cell: 'lstm', batch: 2, steps: 40, inputSize: 5, units: 16, activation: 'tanh', recurrentActivation: 'sigmoid', initialState: true, seed: 5 },
  { ...base, name: 'gru resetAfter, bias [2,3H], initial state', cell: 'gru', batch: 3, steps: 6, inputSize: 4, units: 5, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true, initialState: true, seed: 6 },
  { ...base, name: 'gru resetAfter false (Keras 2 / tfjs-layers form)', cell: 'gru', batch: 3, steps: 6, inputSize: 4, units: 5, activation: 'tanh', recurrentActivation: 'sigmoid', initialState: true, seed: 7 },
  { ...base, name: 'gru resetAfter + goBackwards + bool mask, hardSigmoidKeras2 gates', cell: 'gru', batch: 3, steps: 7, inputSize: 3, units: 4, activation: 'tanh', recurrentActivation: 'hardSigmoidKeras2', resetAfter: true, goBackwards: true, mask: 'bool', initialState: true, seed: 8 },
  { ...base, name: 'gru resetAfter false + goBackwards + mask, relu', cell: 'gru', batch: 2, steps: 6, inputSize: 3, units: 4, activation: 'relu', recurrentActivation: 'sigmoid', goBackwards: true, mask: 'float32', seed: 9 },
  { ...base, name: 'gru resetAfter, no bias, linear', cell: 'gru', batch: 2, steps: 5, inputSize: 3, units: 3, activation: 'linear', recurrentActivation: 'sigmoid', resetAfter: true, useBias: false, seed: 10 },
  { ...base, name: 'gru recurrent dropout (both forms: resetAfter false)', cell: 'gru', batch: 3, steps: 5, inputSize: 2, units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', recurrentDropout: true, initialState: true, seed: 11 },
  { ...base, name: 'gru recurrent dropout + mask (resetAfter)', cell: 'gru', batch: 3, steps: 5, inputSize: 2, units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true, recurrentDropout: true, mask: 'float32', seed: 12 },
  { ...base, name: 'gru T=40 H=16', cell: 'gru', batch: 2, steps: 40, inputSize: 5, units: 16, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true, initialState: true, seed: 13 },
  { ...base, name: 'simpleRNN tanh, initial state (fused SimpleRNN op)', cell: 'simpleRNN', batch: 3, steps: 6, inputSize: 4, units: 5, activation: 'tanh', recurrentActivation: 'sigmoid', initialState: true, seed: 14 },
  { ...base, name: 'simpleRNN relu, goBackwards + mask', cell: 'simpleRNN', batch: 3, steps: 6, inputSize: 3, units: 4, activation: 'relu', recurrentActivation: 'sigmoid', goBackwards: true, mask: 'float32', seed: 15 },
  { ...base, name: 'simpleRNN softsign + recurrent dropout (cell composite)', cell: 'simpleRNN', batch: 2, steps: 5, inputSize: 3, units: 4, activation: 'softsign', recurrentActivation: 'sigmoid', recurrentDropout: true, initialState: true, seed: 16 },
];

/** Seeded uniform float32-representable values (so float32 tensors and the float64 reference hold the same numbers). */
function values(n: number, rng: SeededRandom, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(scale * (2 * rng.uniform() - 1)));
}

/** The case's inputs as float64 arrays, plus the loss weights `gh`, `gc` (loss = Σ h⊙gh + Σ c⊙gc). */
export function cellCaseInputs(c: CellCase): { inputs: CellRefInputs; gh: Float64Array; gc: Float64Array } {
  const rng = new SeededRandom(c.seed);
  const { batch: B, steps: T, inputSize: I, units: H } = c;
  const GH = gateCount(c.cell) * H;
  const inputs: CellRefInputs = {
    x: values(B * T * I, rng, 1),
    kernel: values(I * GH, rng, 0.6),
    recurrentKernel: values(H * GH, rng, 0.5),
    h0: c.initialState ? values(B * H, rng, 0.5) : new Float64Array(B * H),
  };
  if (c.useBias) inputs.bias = values(biasLength(c), rng, 0.3);
  if (c.initialState && c.cell === 'lstm') inputs.c0 = values(B * H, rng, 0.5);
  if (c.mask !== false) {
    // Every example keeps its first and some later steps; one example is left-padded (its first steps skipped).
    inputs.mask = Float64Array.from({ length: B * T }, (_, k) => {
      const n = Math.floor(k / T);
      const t = k % T;
      if (n === 0) return t < 2 ? 0 : 1;
      return t === 0 || rng.uniform() > 0.3 ? 1 : 0;
    });
  }
  if (c.recurrentDropout) inputs.recurrentDropoutMask = Float64Array.from({ length: B * H }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7)).map(Math.fround);
  return { inputs, gh: values(B * T * H, rng, 1), gc: values(B * T * H, rng, 1) };
}
