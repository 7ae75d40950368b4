import * as tf from '@tensorflow/tfjs-core';

/** Activation of the Dense head. */
export type OutputActivation = 'linear' | 'sigmoid' | 'softmax';
export const OUTPUT_ACTIVATIONS: readonly OutputActivation[] = ['linear', 'sigmoid', 'softmax'];

/** Loss names accepted by `compile`. */
export type LossName =
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'huber';
export const LOSS_NAMES: readonly LossName[] = [
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
];

/** Keras's epsilon for clipping probabilities before a logarithm. */
const EPSILON = 1e-7;

/**
 * A scalar loss averaged over the batch (and timesteps). `output` is the model's raw head output; with a linear
 * head the cross-entropies read it as logits (the numerically stable form), never as probabilities.
 * For the sparse loss, `labels` holds class indices with the output's shape minus its last axis.
 */
export function computeLoss(name: LossName, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation): tf.Scalar {
  return tf.tidy((): tf.Scalar => {
    switch (name) {
      case 'meanSquaredError':
        return tf.mean(tf.squaredDifference(output, labels));
      case 'meanAbsoluteError':
        return tf.mean(tf.abs(tf.sub(output, labels)));
      case 'huber': {
        const err = tf.abs(tf.sub(output, labels));
        const quadratic = tf.minimum(err, 1);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(err, quadratic)));
      }
      case 'binaryCrossentropy': {
        if (head === 'linear') {
          // max(z, 0) − z·y + log(1 + e^−|z|)
          return tf.mean(tf.add(tf.sub(tf.relu(output), tf.mul(output, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(output))))));
        }
        const p = tf.clipByValue(output, EPSILON, 1 - EPSILON);
        return tf.neg(tf.mean<tf.Scalar>(tf.add(tf.mul(labels, tf.log(p)), tf.mul(tf.sub(1, labels), tf.log(tf.sub(1, p))))));
      }
      case 'categoricalCrossentropy':
        return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(labels, logProbabilities(output, head)), -1)));
      case 'sparseCategoricalCrossentropy': {
        const classes = output.shape[output.rank - 1]!;
        const oneHot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), classes);
        const logp = tf.reshape(logProbabilities(output, head), [-1, classes]);
        return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(oneHot, logp), -1)));
      }
    }
  });
}

/**
 * The loss of a training step: the value of {@link computeLoss}, with a gradient that costs one kernel call instead
 * of tfjs's chain through each op (Mean's and SquaredDifference's gradients are ~8 shader programs and 3 uploads per
 * step on webgl). Only for the root of a differentiation whose upstream gradient is 1 — the loss of
 * `tf.variableGrads`, alone or plus a penalty: the gradient ignores `dy`. Differentiable with respect to `output`
 * only (the labels are constants of the step).
 *
 * meanSquaredError with a last axis of 1 (one output unit): `s = (output − labels)·fl(1/N)` in the forward pass, the
 * loss `Σ s·(output − labels)` as one [1, N]·[N, 1] matMul, the gradient `s + s` — the same float32 values as tfjs's
 * `((1/N)·2)·(a − b)`, because doubling is exact. Everything else: {@link computeLoss} and tfjs's gradients.
 *
 * fl(1/N) is a tensor of the output's shape made on the CPU, as tfjs's Mean gradient makes its ones, not a scalar:
 * on webgl the padding of a packed texture holds whatever its program wrote there (a broadcast bias add writes the
 * bias), and `s` must carry zeros there — the matMul over an odd N reads that padding, and so does the Dense
 * head's backward matMul over its one output unit, whose result flows into the gradients of the recurrence and,
 * through them, into the padding of the weights the Adam kernel writes.
 */
export function trainingLoss(name: LossName, labels: tf.Tensor, output: tf.Tensor, head: OutputActivation): tf.Scalar {
  if (name !== 'meanSquaredError' || output.shape[output.rank - 1] !== 1) return computeLoss(name, labels, output, head);
  const n = output.size;
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [out, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const error = tf.sub(out, labels);
    // fl(1/N), as tfjs's Mean gradient rounds it (its RealDiv of ones by N).
    const inverse = tf.tensor(new Float32Array(n).fill(Math.fround(1 / n)), out.shape);
    const scaled = tf.mul(error, inverse);
    save([scaled]);
    return { value: dot(scaled, error), gradFunc: (_dy: tf.Tensor, saved: tf.Tensor[]) => tf.add(saved[0]!, saved[0]!) };
  });
  return tf.tidy(() => loss(output) as tf.Scalar);
}

/** Σ a·b over every element, as one [1, N]·[N, 1] matMul (a reshape to [N, 1] is free when the last axis is 1). */
function dot(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const column = (t: tf.Tensor) => (t.rank === 2 && t.shape[1] === 1 ? (t as tf.Tensor2D) : tf.reshape<tf.Rank.R2>(t, [t.size, 1]));
  return tf.reshape<tf.Rank.R0>(tf.matMul(column(a), column(b), true, false), []);
}

/** log p over the last axis: log-softmax of logits, or the log of (renormalised, clipped) probabilities. */
function logProbabilities(output: tf.Tensor, head: OutputActivation): tf.Tensor {
  if (head === 'linear') return tf.logSoftmax(output);
  const p = tf.div(output, tf.sum(output, -1, true));
  return tf.log(tf.clipByValue(p, EPSILON, 1 - EPSILON));
}

/** Whether labels should be class indices (sparse) rather than match the output's shape. */
export function isSparse(name: LossName): boolean {
  return name === 'sparseCategoricalCrossentropy';
}
