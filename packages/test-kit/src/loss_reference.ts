/**
 * Float64 plain-JS losses of core's `compile({ loss })`, with their gradient with respect to the head's
 * pre-activation z (the linear output), so a training step can be checked end to end against
 * `referenceBackward` (which takes dL/dz for the linear head). Written from the textbook formulas (Keras
 * semantics), not from core's code.
 */
import type { LossName, OutputActivation } from '@basicrnn/core';

/** Keras's clipping epsilon for probabilities. */
const EPSILON = 1e-7;

export interface RefLoss {
  /** The scalar loss. */
  loss: number;
  /** dL/dz for every element of the head's pre-activation, in z's layout. */
  dz: Float64Array;
}

/**
 * Loss and dL/dz for head pre-activations `z` ([rows, classes] flattened) and `labels` (same layout, or one
 * class index per row for the sparse loss). Elementwise losses average over every element, categorical ones
 * over rows (Keras).
 */
export function referenceLoss(name: LossName, head: OutputActivation, z: ArrayLike<number>, labels: ArrayLike<number>, classes: number): RefLoss {
  const n = z.length;
  const rows = n / classes;
  const dz = new Float64Array(n);
  const p = headOutput(head, z, classes);
  let loss = 0;
  switch (name) {
    case 'meanSquaredError':
    case 'meanAbsoluteError':
    case 'huber': {
      for (let i = 0; i < n; i++) {
        const e = p[i]! - labels[i]!;
        let dp: number;
        if (name === 'meanSquaredError') {
          loss += e * e;
          dp = 2 * e;
        } else if (name === 'meanAbsoluteError') {
          loss += Math.abs(e);
          dp = Math.sign(e);
        } else {
          // Huber with delta 1: quadratic inside, linear outside.
          loss += Math.abs(e) <= 1 ? 0.5 * e * e : Math.abs(e) - 0.5;
          dp = Math.max(-1, Math.min(1, e));
        }
        dz[i] = (dp / n) * headSlope(head, p, i);
      }
      return { loss: loss / n, dz };
    }
    case 'binaryCrossentropy': {
      for (let i = 0; i < n; i++) {
        const y = labels[i]!;
        if (head === 'linear') {
          // Logits: −y·log σ(z) − (1−y)·log(1−σ(z)), computed stably; d/dz = σ(z) − y.
          const zi = z[i]!;
          loss += Math.max(zi, 0) - zi * y + Math.log1p(Math.exp(-Math.abs(zi)));
          dz[i] = (sigmoid(zi) - y) / n;
        } else {
          const q = Math.min(Math.max(p[i]!, EPSILON), 1 - EPSILON);
          loss += -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
          const clipped = q !== p[i];
          dz[i] = clipped ? 0 : ((-(y / q) + (1 - y) / (1 - q)) / n) * headSlope(head, p, i);
        }
      }
      return { loss: loss / n, dz };
    }
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy': {
      for (let r = 0; r < rows; r++) {
        const y = new Float64Array(classes);
        if (name === 'sparseCategoricalCrossentropy') y[labels[r]!] = 1;
        else for (let k = 0; k < classes; k++) y[k] = labels[r * classes + k]!;
        const ySum = y.reduce((s, v) => s + v, 0);
        // Softmax of the logits (linear head) or the softmax head itself: either way p = softmax(z) here.
        const s = head === 'linear' ? softmax(z, r * classes, classes) : p.subarray(r * classes, (r + 1) * classes);
        for (let k = 0; k < classes; k++) {
          loss -= y[k]! * Math.log(s[k]!);
          dz[r * classes + k] = (s[k]! * ySum - y[k]!) / rows;
        }
      }
      return { loss: loss / rows, dz };
    }
  }
}

/** The head applied in float64. */
export function headOutput(head: OutputActivation, z: ArrayLike<number>, classes: number): Float64Array {
  const out = Float64Array.from(z);
  if (head === 'sigmoid') for (let i = 0; i < out.length; i++) out[i] = sigmoid(out[i]!);
  if (head === 'softmax') for (let r = 0; r < out.length / classes; r++) out.set(softmax(z, r * classes, classes), r * classes);
  return out;
}

/** dp_i/dz_i for elementwise heads (softmax is handled by the categorical losses). */
function headSlope(head: OutputActivation, p: Float64Array, i: number): number {
  if (head === 'linear') return 1;
  if (head === 'sigmoid') return p[i]! * (1 - p[i]!);
  throw new Error(`referenceLoss: an elementwise loss on a ${head} head is not modelled here`);
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function softmax(z: ArrayLike<number>, offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, z[offset + k]!);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += out[k] = Math.exp(z[offset + k]! - max);
  for (let k = 0; k < n; k++) out[k]! /= sum;
  return out;
}
