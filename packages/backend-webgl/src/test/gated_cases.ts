import * as tf from '@tensorflow/tfjs-core';
import type { RecurrenceAttrs, RecurrenceInputs, RecurrentActivationName } from '@basicrnn/core';
import { expect } from 'vitest';

// Shared by the fused LSTM / GRU browser suites (gated_sequence, kept_gates): a case, its seeded inputs and
// attributes, and the relative comparison they report their worst element by.

/** One LSTM or GRU configuration. */
export interface GatedCase {
  name: string;
  cell: 'lstm' | 'gru';
  resetAfter?: boolean;
  batch: number;
  steps: number;
  input: number;
  hidden: number;
  activation: RecurrentActivationName;
  recurrentActivation: RecurrentActivationName;
  goBackwards: boolean;
  mask: boolean;
  /** Forward LSTM steps as two programs (c', then [h, c]) whatever B·H is. */
  splitLstm?: boolean;
  /** NaN in x wherever the mask is 0. */
  nan?: boolean;
}

/**
 * Seeded inputs of a case (x, kernel, recurrentKernel, bias, h0, LSTM's c0, the mask when `c.mask`): the tensors
 * use seeds `seed + 1` to `seed + 6`, the mask `seed + 9`, keeping the steps whose uniform draw exceeds `dropBelow`
 * (whole stretches are masked, so states carry over several steps). `c.nan` is the caller's to apply.
 */
export function gatedInputsFor(c: GatedCase, seed: number, dropBelow: number): RecurrenceInputs {
  return tf.tidy(() => {
    const g = c.cell === 'lstm' ? 4 : 3;
    const r = (shape: number[], s: number, scale: number) => tf.mul(tf.randomUniform(shape, -1, 1, 'float32', seed + s), scale);
    const mask = c.mask ? tf.cast(tf.greater(tf.randomUniform([c.batch, c.steps], 0, 1, 'float32', seed + 9), dropBelow), 'float32') : undefined;
    return {
      x: r([c.batch, c.steps, c.input], 1, 1),
      kernel: r([c.input, g * c.hidden], 2, 0.6),
      recurrentKernel: r([c.hidden, g * c.hidden], 3, 0.5),
      bias: c.cell === 'gru' && c.resetAfter ? r([2, g * c.hidden], 4, 0.3) : r([g * c.hidden], 4, 0.3),
      h0: r([c.batch, c.hidden], 5, 0.5),
      ...(c.cell === 'lstm' ? { c0: r([c.batch, c.hidden], 6, 0.5) } : {}),
      ...(mask ? { mask } : {}),
    };
  });
}

/** The recurrence attributes of a case. */
export function gatedAttrsFor(c: GatedCase): RecurrenceAttrs {
  return { cell: c.cell, activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: c.goBackwards, resetAfter: c.resetAfter ?? false };
}

/** Same shape, and every element within `tol` of |a − e| / (1 + |e|); the message names the worst element. */
export function expectRelativeClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tol = 2e-4): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  let at = -1;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - e[k]!) / (1 + Math.abs(e[k]!));
    if (!(d <= worst)) {
      worst = d;
      at = k;
    }
  }
  expect(worst, `${what}: worst relative |diff| at ${at}: ${a[at]} vs ${e[at]}`).toBeLessThanOrEqual(tol);
}
