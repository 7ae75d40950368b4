import * as tf from '@tensorflow/tfjs-core';
import type { LossName } from '@basicrnn/core';
import type { TaskData } from './random.js';
import { TASK_SPECS, type TaskDataOptions } from './registry.js';
import { isCategorical } from './rules.js';

export type { TaskDataOptions } from './registry.js';

/** The task's arrays (labels per step with `returnSequences` where the task has them). */
export function taskArrays(o: TaskDataOptions): TaskData {
  return TASK_SPECS[o.task].data(o);
}

/**
 * Labels of examples [from, to) as the loss wants them: per step [n, T, O] for sequences, class indices [n] for the
 * sparse loss, one-hot [n, 2] for the categorical one, else [n, O].
 */
export function labelTensor(d: TaskData, loss: LossName, from = 0, to = d.shape.samples): tf.Tensor {
  const n = to - from;
  const steps = d.shape.seqLength;
  const o = d.shape.outputSize;
  if (d.returnSequences) return tf.tensor3d(d.y.subarray(from * steps * o, to * steps * o), [n, steps, o]);
  const y = d.y.subarray(from * o, to * o);
  if (!isCategorical(loss)) return tf.tensor2d(y, [n, o]);
  const classes = Int32Array.from(y);
  if (loss === 'sparseCategoricalCrossentropy') return tf.tensor1d(classes, 'int32');
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), 2), 'float32'));
}
