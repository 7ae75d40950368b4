// Every metric on hand-computed cases. The cases are chosen so that a moved threshold or a swapped kind changes the
// answer: binary accuracy on logits thresholds at 0 and on sigmoid outputs at 0.5, and each case gives a different
// value under the other threshold. Core and tfjs-core only.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import type { OutputActivation } from './losses.js';
import { METRIC_NAMES, computeMetric, metricKind } from './metrics.js';

type Kind = ReturnType<typeof metricKind>;

function metric(kind: Kind, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation = 'linear'): number {
  const before = tf.memory().numTensors;
  const value = computeMetric(kind, labels, output, head);
  expect(value.shape).toEqual([]);
  const v = value.dataSync()[0]!;
  value.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return v;
}

const col = (values: number[]): tf.Tensor2D => tf.tensor2d(values, [values.length, 1]);

describe('binary accuracy', () => {
  it('on logits (linear head) predicts 1 where z > 0', () => {
    // z > 0 → 1, 1, 0, 1: all four right (a 0.5 threshold would predict 0, 1, 0, 0: half right)
    expect(metric('binary', col([1, 1, 0, 1]), col([0.3, 0.6, -0.2, 0.1]))).toBe(1);
    // z > 0 → 1, 0, 1: two of three right
    expect(metric('binary', col([0, 0, 1]), col([0.2, -5, 4]))).toBeCloseTo(2 / 3, 6);
  });

  it('on sigmoid outputs predicts 1 where p > 0.5', () => {
    // p > 0.5 → 0, 1, 0, 1: all right (a threshold at 0 would predict 1, 1, 1, 1: half right)
    expect(metric('binary', col([0, 1, 0, 1]), col([0.3, 0.6, 0.45, 0.55]), 'sigmoid')).toBe(1);
  });

  it('the threshold itself counts as negative (Keras: y_pred > threshold)', () => {
    expect(metric('binary', col([0, 1]), col([0, 0]))).toBe(0.5);
    expect(metric('binary', col([0, 1]), col([0.5, 0.5]), 'sigmoid')).toBe(0.5);
  });

  it('rounds soft labels to the nearest class', () => {
    // labels 0.7 → 1 and 0.2 → 0; predictions 1 and 1
    expect(metric('binary', col([0.7, 0.2]), col([2, 3]))).toBe(0.5);
  });

  it('averages over batch and timesteps', () => {
    // [2, 2, 1]: predictions 1, 0, 0, 1 against labels 1, 1, 0, 0 → two right of four
    const labels = tf.tensor3d([1, 1, 0, 0], [2, 2, 1]);
    const output = tf.tensor3d([3, -1, -2, 0.5], [2, 2, 1]);
    expect(metric('binary', labels, output)).toBe(0.5);
  });
});

describe('categorical and sparse accuracy', () => {
  const output = tf.tensor2d([
    [0.1, 0.7, 0.2],
    [2, -1, 0],
    [0, 0, 5],
    [1, 3, 2],
  ]);

  it('categorical compares the argmax of output and one-hot labels', () => {
    const labels = tf.tensor2d([
      [0, 1, 0],
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    // argmax 1, 0, 2, 1 against 1, 0, 1, 2
    expect(metric('categorical', labels, output)).toBe(0.5);
  });

  it('sparse compares the argmax with class indices (float or int32 labels)', () => {
    expect(metric('sparse', tf.tensor1d([1, 0, 2, 0]), output)).toBe(0.75);
    expect(metric('sparse', tf.tensor1d([1, 2, 2, 1], 'int32'), output)).toBe(0.75);
  });

  it('sparse over a sequence: labels [batch, time] against output [batch, time, classes]', () => {
    const seq = tf.tensor3d([0, 1, 1, 0, 0, 1, 1, 0], [2, 2, 2]);
    // argmax 1, 0, 1, 0 against 1, 1, 1, 0 → three of four
    expect(metric('sparse', tf.tensor2d([[1, 1], [1, 0]]), seq)).toBe(0.75);
  });
});

describe('mae and mse metrics', () => {
  it('average the absolute and squared errors over every element', () => {
    const labels = tf.tensor2d([[0, 2], [5, 1]]);
    const output = tf.tensor2d([[1, 2], [3, 4]]);
    expect(metric('mae', labels, output)).toBeCloseTo(1.5, 6);
    expect(metric('mse', labels, output)).toBeCloseTo(3.5, 6);
  });
});

describe('metricKind resolves names the way Keras does', () => {
  it('accuracy follows the loss, else the output width', () => {
    expect(metricKind('accuracy', 'binaryCrossentropy', 3)).toBe('binary');
    expect(metricKind('accuracy', 'categoricalCrossentropy', 1)).toBe('categorical');
    expect(metricKind('accuracy', 'sparseCategoricalCrossentropy', 1)).toBe('sparse');
    expect(metricKind('accuracy', 'meanSquaredError', 1)).toBe('binary');
    expect(metricKind('accuracy', 'meanSquaredError', 2)).toBe('categorical');
    expect(metricKind('accuracy', 'huber', 4)).toBe('categorical');
  });

  it('named metrics keep their meaning; categoricalAccuracy reads indices under the sparse loss', () => {
    expect(metricKind('binaryAccuracy', 'categoricalCrossentropy', 3)).toBe('binary');
    expect(metricKind('categoricalAccuracy', 'categoricalCrossentropy', 3)).toBe('categorical');
    expect(metricKind('categoricalAccuracy', 'sparseCategoricalCrossentropy', 3)).toBe('sparse');
    expect(metricKind('mae', 'binaryCrossentropy', 1)).toBe('mae');
    expect(metricKind('mse', 'binaryCrossentropy', 1)).toBe('mse');
  });

  it('every metric name resolves to a kind', () => {
    for (const name of METRIC_NAMES) {
      expect(['binary', 'categorical', 'sparse', 'mae', 'mse']).toContain(metricKind(name, 'meanSquaredError', 1));
    }
  });
});
