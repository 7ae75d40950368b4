// Every loss on small cases worked out by hand (or from the defining formula in float64): element values,
// reductions over batch and timesteps, logits against probabilities, sparse against dense labels, and the clipping
// that keeps log(0) finite. Core and tfjs-core only.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import { LOSS_NAMES, OUTPUT_ACTIVATIONS, type LossName, type OutputActivation, computeLoss, isSparse, trainingLoss } from './losses.js';

function loss(name: LossName, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation = 'linear'): number {
  const before = tf.memory().numTensors;
  const value = computeLoss(name, labels, output, head);
  expect(value.shape).toEqual([]);
  const v = value.dataSync()[0]!;
  value.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return v;
}

const softplus = (z: number): number => Math.log1p(Math.exp(z));

describe('regression losses', () => {
  // errors 1, 0, −2, 3 over a [2, 2] batch
  const y = tf.tensor2d([
    [0, 2],
    [5, 1],
  ]);
  const out = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);

  it('meanSquaredError averages squared errors over every element: (1 + 0 + 4 + 9) / 4', () => {
    expect(loss('meanSquaredError', y, out)).toBeCloseTo(3.5, 6);
  });

  it('meanAbsoluteError averages absolute errors: (1 + 0 + 2 + 3) / 4', () => {
    expect(loss('meanAbsoluteError', y, out)).toBeCloseTo(1.5, 6);
  });

  it('huber (δ = 1) is ½e² up to |e| = 1 and |e| − ½ beyond', () => {
    // |e| = 0.5, 1, 2, 3 → 0.125, 0.5, 1.5, 2.5
    const labels = tf.tensor2d([[0], [0], [0], [3]]);
    const output = tf.tensor2d([[0.5], [-1], [2], [0]]);
    expect(loss('huber', labels, output)).toBeCloseTo((0.125 + 0.5 + 1.5 + 2.5) / 4, 6);
  });

  it('the head does not change a regression loss', () => {
    for (const head of ['linear', 'sigmoid', 'softmax'] as const) {
      expect(loss('meanSquaredError', y, out, head)).toBeCloseTo(3.5, 6);
    }
  });

  it('reduces over batch and timesteps alike: a [2, 3, 1] sequence output averages all six errors', () => {
    const labels = tf.zeros([2, 3, 1]);
    const output = tf.tensor3d([1, 2, 3, 4, 5, 6], [2, 3, 1]);
    expect(loss('meanSquaredError', labels, output)).toBeCloseTo(91 / 6, 5);
    expect(loss('meanAbsoluteError', labels, output)).toBeCloseTo(21 / 6, 5);
    labels.dispose();
    output.dispose();
  });
});

describe('binaryCrossentropy', () => {
  it('on logits (linear head) is softplus(−z) for y = 1 and softplus(z) for y = 0', () => {
    const z = [2, -1, 0, 0.5];
    const y = [1, 0, 1, 0];
    const want = (softplus(-2) + softplus(-1) + softplus(0) + softplus(0.5)) / 4;
    expect(loss('binaryCrossentropy', tf.tensor2d(y, [4, 1]), tf.tensor2d(z, [4, 1]))).toBeCloseTo(want, 6);
  });

  it('on logits stays exact for large |z| (no log of a rounded-off sigmoid)', () => {
    // softplus(100) = 100 to float precision; a naive log(sigmoid) would clip to −log(1e-7) ≈ 16.1
    const v = loss('binaryCrossentropy', tf.tensor2d([0, 1], [2, 1]), tf.tensor2d([100, -100], [2, 1]));
    expect(v).toBeCloseTo(100, 3);
  });

  it('with soft labels uses y·softplus(−z) + (1 − y)·softplus(z)', () => {
    const want = 0.25 * softplus(-1.5) + 0.75 * softplus(1.5);
    expect(loss('binaryCrossentropy', tf.tensor2d([[0.25]]), tf.tensor2d([[1.5]]))).toBeCloseTo(want, 6);
  });

  it('on sigmoid outputs reads probabilities: −mean(y·log p + (1 − y)·log(1 − p))', () => {
    const p = [0.9, 0.2, 0.5];
    const y = [1, 0, 1];
    const want = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.5)) / 3;
    expect(loss('binaryCrossentropy', tf.tensor2d(y, [3, 1]), tf.tensor2d(p, [3, 1]), 'sigmoid')).toBeCloseTo(want, 5);
  });

  it('on sigmoid outputs clips p to [1e-7, 1 − 1e-7] (Keras): p = 0 with y = 1 costs −log(1e-7)', () => {
    const v = loss('binaryCrossentropy', tf.tensor2d([[1]]), tf.tensor2d([[0]]), 'sigmoid');
    expect(v).toBeCloseTo(-Math.log(1e-7), 3);
    // and p = 1 with y = 0 costs −log(1 − (1 − 1e-7)) in float32, finite
    const w = loss('binaryCrossentropy', tf.tensor2d([[0]]), tf.tensor2d([[1]]), 'sigmoid');
    expect(Number.isFinite(w)).toBe(true);
    expect(w).toBeGreaterThan(15);
  });
});

describe('categorical cross-entropies', () => {
  const logits = [
    [1, 2, 3],
    [0, 0, 0],
  ];
  const logSoftmax = (row: number[], k: number): number => {
    const m = Math.max(...row);
    return row[k]! - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  };
  const wantLogits = -(logSoftmax(logits[0]!, 2) + logSoftmax(logits[1]!, 0)) / 2;

  it('categoricalCrossentropy on logits (linear head) is −log softmax at the labelled class, averaged', () => {
    const y = tf.tensor2d([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    expect(loss('categoricalCrossentropy', y, tf.tensor2d(logits))).toBeCloseTo(wantLogits, 6);
  });

  it('sparseCategoricalCrossentropy with class indices equals the dense loss with one-hot labels', () => {
    expect(loss('sparseCategoricalCrossentropy', tf.tensor1d([2, 0]), tf.tensor2d(logits))).toBeCloseTo(wantLogits, 6);
    // int32 indices too
    expect(loss('sparseCategoricalCrossentropy', tf.tensor1d([2, 0], 'int32'), tf.tensor2d(logits))).toBeCloseTo(wantLogits, 6);
  });

  it('on softmax outputs reads probabilities (renormalised, clipped), not logits', () => {
    const p = tf.tensor2d([[0.2, 0.3, 0.5]]);
    expect(loss('categoricalCrossentropy', tf.tensor2d([[0, 1, 0]]), p, 'softmax')).toBeCloseTo(-Math.log(0.3), 6);
    expect(loss('sparseCategoricalCrossentropy', tf.tensor1d([1]), p, 'softmax')).toBeCloseTo(-Math.log(0.3), 6);
    // rows that do not sum to 1 are renormalised first (Keras): [1, 1, 2] → [¼, ¼, ½]
    const q = tf.tensor2d([[1, 1, 2]]);
    expect(loss('categoricalCrossentropy', tf.tensor2d([[0, 0, 1]]), q, 'softmax')).toBeCloseTo(-Math.log(0.5), 6);
    // a zero probability at the labelled class is clipped to 1e-7
    const z = tf.tensor2d([[0, 0.5, 0.5]]);
    expect(loss('categoricalCrossentropy', tf.tensor2d([[1, 0, 0]]), z, 'softmax')).toBeCloseTo(-Math.log(1e-7), 3);
  });

  it('soft labels weight each class: −Σ y_k log p_k', () => {
    const y = tf.tensor2d([[0.25, 0, 0.75]]);
    const want = -(0.25 * logSoftmax([1, 2, 3], 0) + 0.75 * logSoftmax([1, 2, 3], 2));
    expect(loss('categoricalCrossentropy', y, tf.tensor2d([[1, 2, 3]]))).toBeCloseTo(want, 6);
  });

  it('over a sequence [batch, time, classes] the sum runs over classes and the mean over batch × time', () => {
    // batch 1, 2 timesteps, 3 classes
    const out = tf.tensor3d([1, 2, 3, 3, 1, 0], [1, 2, 3]);
    const want = -(logSoftmax([1, 2, 3], 1) + logSoftmax([3, 1, 0], 2)) / 2;
    expect(loss('sparseCategoricalCrossentropy', tf.tensor2d([[1, 2]]), out)).toBeCloseTo(want, 6);
    const dense = tf.tensor3d([0, 1, 0, 0, 0, 1], [1, 2, 3]);
    expect(loss('categoricalCrossentropy', dense, out)).toBeCloseTo(want, 6);
  });
});

describe('probabilities over a sequence', () => {
  it('a softmax head renormalises each timestep over its classes (the last axis), not over time', () => {
    // [batch 1, time 2, classes 3], rows summing to 2 and 4: [¼, ¼, ½] and [½, ¼, ¼]
    const p = tf.tensor3d([0.5, 0.5, 1, 2, 1, 1], [1, 2, 3]);
    const want = -(Math.log(0.5) + Math.log(0.5)) / 2;
    expect(loss('sparseCategoricalCrossentropy', tf.tensor2d([[2, 0]]), p, 'softmax')).toBeCloseTo(want, 6);
    expect(loss('categoricalCrossentropy', tf.tensor3d([0, 0, 1, 1, 0, 0], [1, 2, 3]), p, 'softmax')).toBeCloseTo(want, 6);
  });
});

describe('loss names', () => {
  it('the output activations are linear, sigmoid and softmax', () => {
    expect(OUTPUT_ACTIVATIONS).toEqual(['linear', 'sigmoid', 'softmax']);
  });

  it('every name computes, and only the sparse loss takes class indices', () => {
    for (const name of LOSS_NAMES) {
      const labels = isSparse(name) ? tf.tensor1d([1]) : tf.tensor2d([[0, 1]]);
      expect(Number.isFinite(loss(name, labels, tf.tensor2d([[0.3, 0.7]]), 'softmax'))).toBe(true);
      expect(isSparse(name)).toBe(name === 'sparseCategoricalCrossentropy');
    }
  });
});

describe('trainingLoss: the loss of a training step, with a cheap gradient', () => {
  /** Loss and d loss / d output, through `fn` (computeLoss: tfjs's gradients of each op), plus a penalty's 0.25·Σw². */
  function lossAndGrad(fn: typeof computeLoss, name: LossName, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation) {
    const w = tf.variable(output);
    const { value, grads } = tf.variableGrads(() => tf.add(fn(name, labels, w, head), tf.mul(0.25, tf.sum(tf.square(w)))) as tf.Scalar, [w]);
    const out = { value: value.dataSync()[0]!, grad: Array.from(grads[w.name]!.dataSync()) };
    tf.dispose([value, grads[w.name]!, w]);
    return out;
  }

  // Errors of every sign, zeros among them (tfjs's |x|' is −1 at 0), 1/N not a power of two (N = 12, 7, 30).
  const CASES: [string, number[]][] = [
    ['[12, 1]', [12, 1]],
    ['[4, 3]', [4, 3]],
    ['[7]', [7]],
    ['[2, 5, 3] (a sequence)', [2, 5, 3]],
    ['[3, 10, 1] (a sequence, one unit)', [3, 10, 1]],
  ];

  for (const name of ['meanSquaredError', 'meanAbsoluteError'] as const) {
    for (const [what, shape] of CASES) {
      it(`${name} ${what}: the gradient equals tfjs's through each op bit for bit; the loss to float32 rounding`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const labels = tf.tidy(() => tf.div(tf.round(tf.mul(tf.randomUniform(shape, -3, 3, 'float32', n), 4)), 4));
        // Every third output equals its label: zero errors.
        const output = tf.tidy(() =>
          tf.where(tf.equal(tf.mod(tf.reshape(tf.range(0, n), shape), 3), 0), labels, tf.randomUniform(shape, -3, 3, 'float32', n + 1)),
        );
        const before = tf.memory().numTensors;
        const ours = lossAndGrad(trainingLoss, name, labels, output, 'linear');
        const tfjs = lossAndGrad(computeLoss, name, labels, output, 'linear');
        expect(tf.memory().numTensors).toBe(before);
        expect(ours.grad).toEqual(tfjs.grad);
        expect(ours.value).toBeCloseTo(tfjs.value, 5);
        expect(Math.abs(ours.value - tfjs.value)).toBeLessThanOrEqual(4e-7 * Math.abs(tfjs.value));
        tf.dispose([labels, output]);
      });
    }
  }

  it('the other losses are computeLoss, with tfjs\'s gradients', () => {
    for (const name of LOSS_NAMES.filter((l) => l !== 'meanSquaredError' && l !== 'meanAbsoluteError')) {
      const labels = isSparse(name) ? tf.tensor1d([1, 0]) : tf.tensor2d([[0, 1], [1, 0]]);
      const output = tf.tensor2d([[0.3, 0.7], [-0.4, 0.9]]);
      expect(lossAndGrad(trainingLoss, name, labels, output, 'linear')).toEqual(lossAndGrad(computeLoss, name, labels, output, 'linear'));
      tf.dispose([labels, output]);
    }
  });

  it('evaluates without a tape too, and leaves nothing behind', () => {
    const labels = tf.tensor2d([[0], [2], [5], [1]]);
    const output = tf.tensor2d([[1], [2], [3], [4]]);
    const before = tf.memory().numTensors;
    const mse = trainingLoss('meanSquaredError', labels, output, 'linear');
    const mae = trainingLoss('meanAbsoluteError', labels, output, 'linear');
    expect(mse.shape).toEqual([]);
    expect(mse.dataSync()[0]).toBeCloseTo(3.5, 6);
    expect(mae.dataSync()[0]).toBeCloseTo(1.5, 6);
    tf.dispose([mse, mae]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([labels, output]);
  });
});
