import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@basicrnn/core';
import { VOCABULARY, labelTensor, taskArrays } from '../tasks/index.js';
import { effectiveInputSize, type Settings } from './settings.js';

/**
 * A task's examples as tensors the app owns: x and labels in the form the loss wants. x is [N, T, I] float32 for
 * the BasicRNN tasks, and int32 token ids [N, T] (0 pads at the end) for sentiment, whose model starts with an
 * embedding ({@link usesTokenIds}).
 */
export interface TaskTensors {
  x: tf.Tensor;
  y: tf.Tensor;
  /** The last few examples (held out), for the hidden-state view during training. */
  probe: tf.Tensor;
  dispose(): void;
}

/** Whether the task's model reads int32 token ids [B, T] (sentiment: embedding → SimpleRNN → Dense). */
export function usesTokenIds(s: Pick<Settings, 'task'>): boolean {
  return s.task === 'sentiment';
}

/** Examples [from, from + count) of a batch of any rank. */
function rows(x: tf.Tensor, from: number, count: number): tf.Tensor {
  return tf.slice(x, [from, ...x.shape.slice(1).map(() => 0)], [count, ...x.shape.slice(1).map(() => -1)]);
}

/** Builds the tensors for training; the caller disposes them. */
export function taskTensors(s: Settings): TaskTensors {
  const d = taskArrays(s);
  const { samples, seqLength, inputSize } = d.shape;
  const x = usesTokenIds(s) ? tf.tensor2d(d.ids!, [samples, seqLength], 'int32') : tf.tensor3d(d.x, [samples, seqLength, inputSize]);
  const y = labelTensor(d, s.loss);
  // The validation split is taken from the end (Keras), so the probe shows examples the model does not train on.
  const shown = Math.min(8, samples);
  const probe = rows(x, samples - shown, shown);
  return { x, y, probe, dispose: () => tf.dispose([x, y, probe]) };
}

/**
 * The seed's example input: [batch, seqLength, inputSize] standard normal values from the seed; for a model on
 * token ids, random word ids (1 … |V|-1, no padding) from the seed, as the CLI's example input.
 */
export function randomInput(s: Settings): tf.Tensor {
  const rng = new SeededRandom(s.seed);
  if (usesTokenIds(s)) {
    const ids = Int32Array.from({ length: s.batchSize * s.seqLength }, () => 1 + rng.int(VOCABULARY.length - 1));
    return tf.tensor2d(ids, [s.batchSize, s.seqLength], 'int32');
  }
  const inputSize = effectiveInputSize(s);
  const values = Float32Array.from({ length: s.batchSize * s.seqLength * inputSize }, () => rng.normal());
  return tf.tensor3d(values, [s.batchSize, s.seqLength, inputSize]);
}

/** A batch of the task's examples (up to batchSize) for the forward pass: vectors, or token ids for sentiment. */
export function taskInput(s: Settings): tf.Tensor {
  const d = taskArrays({ ...s, samples: Math.max(10, s.batchSize) });
  const { seqLength, inputSize } = d.shape;
  if (usesTokenIds(s)) return tf.tensor2d(d.ids!.subarray(0, s.batchSize * seqLength), [s.batchSize, seqLength], 'int32');
  return tf.tensor3d(d.x.subarray(0, s.batchSize * seqLength * inputSize), [s.batchSize, seqLength, inputSize]);
}
