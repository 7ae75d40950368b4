import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { type RecurrenceAttrs, recurrence, rnnSequence, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { programsRunBy } from '../test/programs_run_by.js';
import { LSTM_SPLIT_DEFAULT, setLstmSplitMinWork } from './gated_sequence.js';

// A mask of ones and zero initial states that are still on the CPU (as core makes them for a call without a mask
// or states) are read by the forward step programs (SimpleRNN, LSTM, GRU) as constants: never uploaded, same results.

function maxRelativeError(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return worst;
}

const CASES: { name: string; attrs: RecurrenceAttrs; split?: boolean }[] = [
  { name: 'lstm', attrs: { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false } },
  { name: 'lstm split steps, goBackwards', attrs: { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, resetAfter: false }, split: true },
  { name: 'gru resetAfter', attrs: { cell: 'gru', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true } },
  { name: 'gru resetAfter false', attrs: { cell: 'gru', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false } },
];

describe('gated forward: constant mask and initial states on the CPU', () => {
  beforeAll(async () => {
    await setBackend('webgl');
    setFusedKernelsEnabled(true);
  });
  afterAll(() => {
    setFusedKernelsEnabled(true);
    setLstmSplitMinWork(LSTM_SPLIT_DEFAULT);
  });

  for (const c of CASES) {
    it(`${c.name}: no upload of the ones mask and zero states, results as the composite's`, async () => {
      const before = tf.memory().numTensors;
      const [B, T, I, H] = [3, 19, 4, 5];
      const lstm = c.attrs.cell === 'lstm';
      const g = lstm ? 4 : 3;
      const inputs = {
        x: tf.randomUniform([B, T, I], -1, 1, 'float32', 1),
        kernel: tf.randomUniform([I, g * H], -0.6, 0.6, 'float32', 2),
        recurrentKernel: tf.randomUniform([H, g * H], -0.5, 0.5, 'float32', 3),
        bias: c.attrs.resetAfter ? tf.randomUniform([2, g * H], -0.3, 0.3, 'float32', 4) : tf.randomUniform([g * H], -0.3, 0.3, 'float32', 4),
        h0: tf.zeros([B, H]),
        ...(lstm ? { c0: tf.zeros([B, H]) } : {}),
        mask: tf.ones([B, T]),
      };
      if (c.split) setLstmSplitMinWork(0);
      try {
        // The first call uploads x and the weights; the second has nothing left to upload.
        const first = recurrence(inputs, c.attrs);
        const { result: fused, programs } = await programsRunBy(() => recurrence(inputs, c.attrs));
        expect(programs.filter((name) => name === 'EncodeMatrixPackedProgram')).toEqual([]);
        const backend = tf.backend() as MathBackendWebGL;
        for (const t of [inputs.h0, inputs.mask, ...(inputs.c0 ? [inputs.c0] : [])]) expect(backend.getDataInfo(t.dataId).texture).toBeFalsy();
        setFusedKernelsEnabled(false);
        const composite = recurrence(inputs, c.attrs);
        setFusedKernelsEnabled(true);
        expect(maxRelativeError(fused.hiddenStates, composite.hiddenStates)).toBeLessThanOrEqual(2e-4);
        if (lstm) expect(maxRelativeError(fused.cellStates!, composite.cellStates!)).toBeLessThanOrEqual(2e-4);
        tf.dispose([...Object.values(first), ...Object.values(fused), ...Object.values(composite)]);
      } finally {
        setFusedKernelsEnabled(true);
        setLstmSplitMinWork(LSTM_SPLIT_DEFAULT);
      }
      tf.dispose(Object.values(inputs));
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('simpleRNN: no upload of the ones mask and zero h0, results as the composite\'s', async () => {
    const before = tf.memory().numTensors;
    const [B, T, I, H] = [3, 19, 4, 5];
    const inputs = {
      x: tf.randomUniform([B, T, I], -1, 1, 'float32', 1),
      kernel: tf.randomUniform([I, H], -0.6, 0.6, 'float32', 2),
      recurrentKernel: tf.randomUniform([H, H], -0.5, 0.5, 'float32', 3),
      bias: tf.randomUniform([H], -0.3, 0.3, 'float32', 4),
      h0: tf.zeros([B, H]),
      mask: tf.ones([B, T]),
    };
    const attrs = { activation: 'tanh' as const, goBackwards: true };
    const first = rnnSequence(inputs, attrs);
    const { result: fused, programs } = await programsRunBy(() => rnnSequence(inputs, attrs));
    expect(programs.filter((name) => name === 'EncodeMatrixPackedProgram')).toEqual([]);
    const backend = tf.backend() as MathBackendWebGL;
    for (const t of [inputs.h0, inputs.mask]) expect(backend.getDataInfo(t.dataId).texture).toBeFalsy();
    setFusedKernelsEnabled(false);
    try {
      const composite = rnnSequence(inputs, attrs);
      expect(maxRelativeError(fused, composite)).toBeLessThanOrEqual(2e-4);
      composite.dispose();
    } finally {
      setFusedKernelsEnabled(true);
    }
    tf.dispose([first, fused, ...Object.values(inputs)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
