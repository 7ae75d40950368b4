import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type CellType, type RecurrenceAttrs, type RecurrenceInputs, recurrence, recurrenceGrad, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { cellToleranceFor } from '@basicrnn/test-kit/cells';
import { compareArrays, uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { fusedKernelTests } from '../test/fused_kernel_tests.js';
import { gatedKernelTests } from '../test/gated_kernel_tests.js';

fusedKernelTests('Node, SIMD, 1 thread');
gatedKernelTests('Node, SIMD, 1 thread');

describe('generated module', () => {
  it('rnn_wasm_binary.ts is what assembly/rnn.ts compiles to (run `pnpm run build:wasm` after editing it)', () => {
    const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
    const output = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(output).toContain('up to date');
  }, 60_000);
});

// The blocked paths of the module: step gemms deeper than one depth block (KC = 256: the backward's dZ·Uᵀ has depth
// 4H for LSTM, 3H for GRU), gemms wider than one column block (NC = 128) and batches that leave a partial 4-row
// micro-panel, padded row pitches, against core's composite.
describe('fused kernels past one cache block (depth > 256, width > 128), against the composite', () => {
  const cases: { cell: CellType; resetAfter: boolean; batch: number; steps: number; inputSize: number; units: number; goBackwards?: boolean }[] = [
    { cell: 'lstm', resetAfter: false, batch: 6, steps: 3, inputSize: 5, units: 70 },
    { cell: 'gru', resetAfter: true, batch: 5, steps: 3, inputSize: 4, units: 90 },
    { cell: 'gru', resetAfter: false, batch: 7, steps: 2, inputSize: 3, units: 131 },
    { cell: 'simpleRNN', resetAfter: false, batch: 9, steps: 3, inputSize: 300, units: 260 },
    // Rows of 2 KiB multiples (4H = 512; 3H = 1536), which the module pads by a cache line.
    { cell: 'lstm', resetAfter: false, batch: 5, steps: 3, inputSize: 4, units: 128 },
    { cell: 'gru', resetAfter: false, batch: 4, steps: 2, inputSize: 2, units: 512 },
    // B·G large enough that the forwards project the inputs in chunks of 4 steps (6 = 4 + 2), both directions.
    { cell: 'lstm', resetAfter: false, batch: 32, steps: 6, inputSize: 3, units: 512, goBackwards: true },
    { cell: 'gru', resetAfter: true, batch: 32, steps: 6, inputSize: 5, units: 512 },
  ];
  beforeAll(async () => setBackend('wasm'));
  afterAll(() => setFusedKernelsEnabled(true));
  for (const c of cases) {
    it(`${c.cell}${c.cell === 'gru' ? ` resetAfter=${c.resetAfter}` : ''} B${c.batch} T${c.steps} I${c.inputSize} H${c.units}${c.goBackwards ? ' goBackwards' : ''}`, () => {
      const before = tf.memory().numTensors;
      const { batch, steps, inputSize, units } = c;
      const g = (c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1) * units;
      const inputs: RecurrenceInputs = {
        x: tf.tensor3d(uniform(batch * steps * inputSize, 1), [batch, steps, inputSize]),
        kernel: tf.tensor2d(uniform(inputSize * g, 2, -0.1, 0.1), [inputSize, g]),
        recurrentKernel: tf.tensor2d(uniform(units * g, 3, -0.1, 0.1), [units, g]),
        bias: c.resetAfter ? tf.tensor2d(uniform(2 * g, 4, -0.3, 0.3), [2, g]) : tf.tensor1d(uniform(g, 4, -0.3, 0.3)),
        h0: tf.tensor2d(uniform(batch * units, 5, -0.5, 0.5), [batch, units]),
        mask: tf.tensor2d(uniform(batch * steps, 6, 0, 1).map((v) => (v < 0.25 ? 0 : 1)), [batch, steps]),
      };
      if (c.cell === 'lstm') inputs.c0 = tf.tensor2d(uniform(batch * units, 7, -0.5, 0.5), [batch, units]);
      const attrs: RecurrenceAttrs = { cell: c.cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: c.goBackwards ?? false, resetAfter: c.resetAfter };
      const dh = tf.tensor3d(uniform(batch * steps * units, 8), [batch, steps, units]);
      const dc = tf.tensor3d(uniform(batch * steps * units, 9), [batch, steps, units]);
      const run = (fused: boolean): Record<string, tf.Tensor> => {
        setFusedKernelsEnabled(fused);
        try {
          const out = recurrence(inputs, attrs);
          const grads = recurrenceGrad(inputs, attrs, { dh, ...(c.cell === 'lstm' ? { dc } : {}) });
          return { ...out, ...grads } as Record<string, tf.Tensor>;
        } finally {
          setFusedKernelsEnabled(true);
        }
      };
      const fused = run(true);
      const composite = run(false);
      const tol = cellToleranceFor('wasm');
      expect(Object.keys(fused).sort()).toEqual(Object.keys(composite).sort());
      for (const name of Object.keys(composite)) {
        const forward = name === 'hiddenStates' || name === 'cellStates';
        const r = compareArrays(fused[name]!.dataSync(), composite[name]!.dataSync(), forward ? tol.forward : tol.gradient);
        expect(r.ok, `${name}: ${r.message}`).toBe(true);
      }
      tf.dispose([dh, dc, ...Object.values(fused), ...Object.values(composite), ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

// The LSTM forward skips h0·U at the first step when h0 is all zeros (±0) and U is finite (the product is +0 then,
// bit for bit): against the composite, both with such an h0 and with a U holding ±Inf or NaN, where 0·Inf = NaN
// must reach the states as it does on the composite.
describe('fused LSTM forward from a zero initial state, against the composite', () => {
  const batch = 6; // one 4-row tile and a partial one
  const steps = 3;
  const inputSize = 3;
  const units = 9; // a column tail
  const g = 4 * units;
  beforeAll(async () => setBackend('wasm'));
  afterAll(() => setFusedKernelsEnabled(true));
  const cases: { name: string; u: (v: Float32Array) => void; h0: (v: Float32Array) => void }[] = [
    { name: 'h0 zeros, finite U', u: () => {}, h0: () => {} },
    { name: 'h0 of ±0, finite U', u: () => {}, h0: (v) => v.forEach((_, i) => (v[i] = i % 3 === 0 ? -0 : 0)) },
    { name: 'h0 zeros, U with +Inf', u: (v) => (v[5 * g + 7] = Infinity), h0: () => {} },
    { name: 'h0 zeros, U with NaN', u: (v) => (v[2 * g + 30] = NaN), h0: () => {} },
    { name: 'one nonzero entry in h0', u: () => {}, h0: (v) => (v[batch * units - 1] = 0.25) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = tf.memory().numTensors;
      const u = uniform(units * g, 3, -0.3, 0.3);
      c.u(u);
      const h0 = new Float32Array(batch * units);
      c.h0(h0);
      const inputs: RecurrenceInputs = {
        x: tf.tensor3d(uniform(batch * steps * inputSize, 1), [batch, steps, inputSize]),
        kernel: tf.tensor2d(uniform(inputSize * g, 2, -0.3, 0.3), [inputSize, g]),
        recurrentKernel: tf.tensor2d(u, [units, g]),
        bias: tf.tensor1d(uniform(g, 4, -0.3, 0.3)),
        h0: tf.tensor2d(h0, [batch, units]),
        c0: tf.tensor2d(uniform(batch * units, 7, -0.5, 0.5), [batch, units]),
      };
      const attrs: RecurrenceAttrs = { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false };
      const run = (fused: boolean): Record<string, tf.Tensor> => {
        setFusedKernelsEnabled(fused);
        try {
          return recurrence(inputs, attrs) as unknown as Record<string, tf.Tensor>;
        } finally {
          setFusedKernelsEnabled(true);
        }
      };
      const fused = run(true);
      const composite = run(false);
      const tol = cellToleranceFor('wasm');
      for (const name of ['hiddenStates', 'cellStates']) {
        const a = fused[name]!.dataSync();
        const b = composite[name]!.dataSync();
        const nanA = Array.from(a, (v) => Number.isNaN(v));
        expect(nanA, `${name}: NaN positions`).toEqual(Array.from(b, (v) => Number.isNaN(v)));
        const r = compareArrays(a.map((v) => (Number.isNaN(v) ? 0 : v)), b.map((v) => (Number.isNaN(v) ? 0 : v)), tol.forward);
        expect(r.ok, `${name}: ${r.message}`).toBe(true);
      }
      tf.dispose([...Object.values(fused), ...Object.values(composite), ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
