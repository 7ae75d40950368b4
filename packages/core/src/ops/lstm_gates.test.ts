// lstmGates(): gate values against a float64 plain-JS LSTM (Keras equations, gates i, f, c, o), the identity
// c_t = f⊙c_{t−1} + i⊙c̃ with the cell states the recurrence returns, goBackwards, typed errors and no leaks.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ShapeError, lstmGates, type RecurrenceInputs } from '../index.js';

const [B, T, I, H] = [2, 6, 3, 4];
const attrs = { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false } as const;

function inputs(): RecurrenceInputs {
  return {
    x: tf.randomUniform([B, T, I], -1, 1, 'float32', 11),
    kernel: tf.randomUniform([I, 4 * H], -0.6, 0.6, 'float32', 12),
    recurrentKernel: tf.randomUniform([H, 4 * H], -0.6, 0.6, 'float32', 13),
    bias: tf.randomUniform([4 * H], -0.3, 0.3, 'float32', 14),
    h0: tf.randomUniform([B, H], -0.5, 0.5, 'float32', 15),
    c0: tf.randomUniform([B, H], -0.5, 0.5, 'float32', 16),
  };
}

/** Gates per [b][t][gate][unit] from a float64 loop over the Keras LSTM equations, processing order. */
function reference(inp: RecurrenceInputs, backwards: boolean): number[][][][] {
  const x = inp.x.arraySync() as number[][][];
  const W = inp.kernel.arraySync() as number[][];
  const U = inp.recurrentKernel.arraySync() as number[][];
  const b = inp.bias!.arraySync() as number[];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  return x.map((seq, n) => {
    let h = (inp.h0!.arraySync() as number[][])[n]!;
    let c = (inp.c0!.arraySync() as number[][])[n]!;
    const order = backwards ? [...seq].reverse() : seq;
    return order.map((xt) => {
      const z = Array.from({ length: 4 * H }, (_, j) => b[j]! + xt.reduce((s, v, k) => s + v * W[k]![j]!, 0) + h.reduce((s, v, k) => s + v * U[k]![j]!, 0));
      const g = [0, 1, 2, 3].map((q) => z.slice(q * H, (q + 1) * H).map(q === 2 ? Math.tanh : sig));
      c = c.map((cv, j) => g[1]![j]! * cv + g[0]![j]! * g[2]![j]!);
      h = c.map((cv, j) => g[3]![j]! * Math.tanh(cv));
      return g;
    });
  });
}

describe('lstmGates', () => {
  for (const goBackwards of [false, true]) {
    it(`matches a float64 LSTM${goBackwards ? ' (goBackwards)' : ''}, and c_t = f⊙c_{t−1} + i⊙c̃`, () => {
      const inp = inputs();
      const before = tf.memory().numTensors;
      const g = lstmGates(inp, { ...attrs, goBackwards });
      expect(tf.memory().numTensors - before).toBe(6);
      const want = reference(inp, goBackwards);
      const got = [g.input, g.forget, g.candidate, g.output].map((t) => t.arraySync() as number[][][]);
      for (let n = 0; n < B; n++) {
        for (let t = 0; t < T; t++) {
          for (let q = 0; q < 4; q++) {
            for (let j = 0; j < H; j++) expect(Math.abs(got[q]![n]![t]![j]! - want[n]![t]![q]![j]!)).toBeLessThan(2e-6);
          }
        }
      }
      const c = g.cellStates.arraySync() as number[][][];
      const c0 = inp.c0!.arraySync() as number[][];
      for (let n = 0; n < B; n++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < H; j++) {
            const prev = t === 0 ? c0[n]![j]! : c[n]![t - 1]![j]!;
            expect(c[n]![t]![j]!).toBeCloseTo(got[1]![n]![t]![j]! * prev + got[0]![n]![t]![j]! * got[2]![n]![t]![j]!, 5);
          }
        }
      }
      tf.dispose([...Object.values(g), ...Object.values(inp)]);
    });
  }

  it('refuses SimpleRNN-shaped weights with a typed error, leaking nothing', () => {
    const inp = { ...inputs(), kernel: tf.zeros([I, H]) };
    const before = tf.memory().numTensors;
    expect(() => lstmGates(inp, attrs)).toThrow(ShapeError);
    expect(() => lstmGates(inp, attrs)).toThrow(/inputs\.kernel\): expected shape \[3,16\]/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inp));
  });
});
