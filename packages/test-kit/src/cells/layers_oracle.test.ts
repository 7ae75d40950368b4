// Our LSTM and GRU against tfjs-layers' cells with the same weights, forward and gradients, on cpu in Node. In its
// own file: it loads @tensorflow/tfjs (tfjs-layers needs the union package), which registers tfjs's gradients
// over core's. tfjs-layers' GRU refuses resetAfter: true, so only resetAfter: false is compared here (the float64
// reference covers both forms). Its 'hardSigmoid' is Keras 2's, which is our 'hardSigmoidKeras2'.
import * as tfl from '@tensorflow/tfjs';
import { type RecurrenceAttrs, type RecurrenceInputs, recurrence, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CellCase, cellCaseInputs } from './cases.js';

interface OracleCase {
  name: string;
  cell: 'lstm' | 'gru';
  layersRecurrentActivation: 'sigmoid' | 'hardSigmoid';
  ours: CellCase;
}

const base = { batch: 3, steps: 6, inputSize: 4, units: 5, activation: 'tanh', resetAfter: false, useBias: true, initialState: true, mask: false, recurrentDropout: false } as const;

const CASES: OracleCase[] = [
  { name: 'lstm, sigmoid gates, initial states', cell: 'lstm', layersRecurrentActivation: 'sigmoid', ours: { ...base, name: '', cell: 'lstm', recurrentActivation: 'sigmoid', goBackwards: false, seed: 21 } },
  { name: 'lstm, tfjs hardSigmoid = our hardSigmoidKeras2, goBackwards', cell: 'lstm', layersRecurrentActivation: 'hardSigmoid', ours: { ...base, name: '', cell: 'lstm', recurrentActivation: 'hardSigmoidKeras2', goBackwards: true, seed: 22 } },
  { name: 'gru resetAfter false, sigmoid gates, initial state', cell: 'gru', layersRecurrentActivation: 'sigmoid', ours: { ...base, name: '', cell: 'gru', recurrentActivation: 'sigmoid', goBackwards: false, seed: 23 } },
  { name: 'gru resetAfter false, tfjs hardSigmoid, goBackwards', cell: 'gru', layersRecurrentActivation: 'hardSigmoid', ours: { ...base, name: '', cell: 'gru', recurrentActivation: 'hardSigmoidKeras2', goBackwards: true, seed: 24 } },
];

/** Worst |diff| between our op and tfjs-layers per cell/quantity. */
const worst = new Map<string, number>();

function close(key: string, a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): void {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - b[k]!);
    max = Math.max(max, d);
    expect(d, `${key}[${k}]: ${a[k]} vs tfjs-layers ${b[k]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(b[k]!));
  }
  worst.set(key, Math.max(worst.get(key) ?? 0, max));
}

describe('cells vs tfjs-layers (same weights, cpu)', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });
  afterAll(() => {
    setFusedKernelsEnabled(true);
    console.log(`cells vs tfjs-layers worst |diff|:\n  ${[...worst].map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n  ')}`);
  });

  for (const fused of [true, false]) {
    for (const c of CASES) {
      it(`${c.name} (${fused ? 'cpu fused' : 'composite'})`, () => {
        setFusedKernelsEnabled(fused);
        const { inputs } = cellCaseInputs(c.ours);
        const { batch: B, steps: T, inputSize: I, units: H } = c.ours;
        const G = inputs.kernel.length / I;
        const x = tfl.tensor3d(Float32Array.from(inputs.x), [B, T, I]);
        const kernel = tfl.tensor2d(Float32Array.from(inputs.kernel), [I, G]);
        const recurrentKernel = tfl.tensor2d(Float32Array.from(inputs.recurrentKernel), [H, G]);
        const bias = tfl.tensor1d(Float32Array.from(inputs.bias!));
        const h0 = tfl.tensor2d(Float32Array.from(inputs.h0), [B, H]);
        const c0 = c.cell === 'lstm' ? tfl.tensor2d(Float32Array.from(inputs.c0!), [B, H]) : null;
        const options = {
          units: H,
          activation: 'tanh' as const,
          recurrentActivation: c.layersRecurrentActivation,
          returnSequences: true,
          goBackwards: c.ours.goBackwards,
          ...(c.cell === 'gru' ? { resetAfter: false } : {}),
        };
        const layer = c.cell === 'lstm' ? tfl.layers.lstm(options) : tfl.layers.gru(options);
        const initialState = c0 === null ? [h0] : [h0, c0];
        tfl.tidy(() => {
          layer.apply(x, { initialState });
        });
        layer.setWeights([kernel, recurrentKernel, bias]);
        const attrs: RecurrenceAttrs = { cell: c.cell, activation: 'tanh', recurrentActivation: c.ours.recurrentActivation, goBackwards: c.ours.goBackwards, resetAfter: false };
        const ours: RecurrenceInputs = { x, kernel, recurrentKernel, bias, h0, ...(c0 === null ? {} : { c0 }) };

        // Forward: tfjs-layers' returnSequences output is in processing order too (Keras).
        const theirs = layer.apply(x, { initialState }) as tfl.Tensor;
        const mine = recurrence(ours, attrs);
        close(`${c.cell}/h`, mine.hiddenStates.dataSync(), theirs.dataSync(), 1e-6, 1e-5);

        // Gradients of Σ h⊙g with respect to x and the three weights.
        const g = tfl.randomUniform([B, T, H], -1, 1, 'float32', 5);
        const weights = layer.trainableWeights.map((w) => w.read() as tfl.Variable);
        const theirGrads = tfl.variableGrads(() => tfl.sum(tfl.mul(layer.apply(x, { initialState }) as tfl.Tensor, g)) as tfl.Scalar, weights);
        const theirDx = tfl.grad((a: tfl.Tensor) => tfl.sum(tfl.mul(layer.apply(a, { initialState }) as tfl.Tensor, g)))(x);
        const myGrads = tfl.grads((a: tfl.Tensor, k: tfl.Tensor, u: tfl.Tensor, b: tfl.Tensor) =>
          tfl.sum(tfl.mul(recurrence({ ...ours, x: a, kernel: k, recurrentKernel: u, bias: b }, attrs).hiddenStates, g)),
        )([x, kernel, recurrentKernel, bias]);
        close(`${c.cell}/dx`, myGrads[0]!.dataSync(), theirDx.dataSync(), 1e-5, 1e-4);
        weights.forEach((w, k) => close(`${c.cell}/d${['kernel', 'recurrentKernel', 'bias'][k]}`, myGrads[k + 1]!.dataSync(), theirGrads.grads[w.name]!.dataSync(), 1e-5, 1e-4));

        tfl.dispose([x, kernel, recurrentKernel, bias, h0, g, theirs, theirDx, theirGrads.value, ...Object.values(theirGrads.grads), ...myGrads, ...Object.values(mine)]);
        if (c0 !== null) c0.dispose();
        layer.dispose();
      });
    }
  }
});
