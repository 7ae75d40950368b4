import * as tf from '@tensorflow/tfjs-core';
import type { LossName } from '@basicrnn/core';
import type { TaskName } from './index.js';
import { markerData } from './marker.js';
import type { TaskData } from './random.js';
import { isCategorical } from './rules.js';
import { sentimentData } from './sentiment.js';
import { sineData } from './sine.js';

/** What selects a task's data. */
export interface TaskDataOptions {
  task: TaskName;
  samples: number;
  seqLength: number;
  /** Features per step for marker (sine and sentiment dictate theirs). */
  inputSize: number;
  seed: number;
  /** sine only: a label per step (the next value). */
  returnSequences: boolean;
}

/** The task's arrays (labels per step for sine sequences). */
export function taskArrays(o: TaskDataOptions): TaskData {
  switch (o.task) {
    case 'sine': {
      const d = sineData({ samples: o.samples, seqLength: o.seqLength, seed: o.seed });
      if (!o.returnSequences) return d;
      // Forecast the next value at every step: the label of step t is the input of step t + 1.
      const y = new Float32Array(o.samples * o.seqLength);
      for (let n = 0; n < o.samples; n++) {
        for (let t = 0; t < o.seqLength; t++) {
          y[n * o.seqLength + t] = t + 1 < o.seqLength ? d.x[n * o.seqLength + t + 1]! : d.y[n]!;
        }
      }
      return { ...d, y, returnSequences: true };
    }
    case 'marker':
      return markerData({ samples: o.samples, seqLength: o.seqLength, inputSize: o.inputSize, seed: o.seed });
    case 'sentiment':
      return sentimentData({ samples: o.samples, seqLength: o.seqLength, seed: o.seed });
  }
}

/**
 * Labels of examples [from, to) as the loss wants them: per step [n, T, 1] for sequences, class indices [n] for the
 * sparse loss, one-hot [n, 2] for the categorical one, else [n, 1].
 */
export function labelTensor(d: TaskData, loss: LossName, from = 0, to = d.shape.samples): tf.Tensor {
  const n = to - from;
  const steps = d.shape.seqLength;
  if (d.returnSequences) return tf.tensor3d(d.y.subarray(from * steps, to * steps), [n, steps, 1]);
  const y = d.y.subarray(from, to);
  if (!isCategorical(loss)) return tf.tensor2d(y, [n, 1]);
  const classes = Int32Array.from(y);
  if (loss === 'sparseCategoricalCrossentropy') return tf.tensor1d(classes, 'int32');
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), 2), 'float32'));
}
