import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@basicrnn/core';
import { labelTensor, taskArrays } from '../tasks/index.js';
import { effectiveInputSize, type Settings } from './settings.js';

/** A task's examples as tensors the app owns: x [N, T, I] and labels in the form the loss wants. */
export interface TaskTensors {
  x: tf.Tensor3D;
  y: tf.Tensor;
  /** The first few examples, for the hidden-state view during training. */
  probe: tf.Tensor3D;
  dispose(): void;
}

/** Builds the tensors for training; the caller disposes them. */
export function taskTensors(s: Settings): TaskTensors {
  const d = taskArrays(s);
  const { samples, seqLength, inputSize } = d.shape;
  const x = tf.tensor3d(d.x, [samples, seqLength, inputSize]);
  const y = labelTensor(d, s.loss);
  // The validation split is taken from the end (Keras), so the probe shows examples the model does not train on.
  const shown = Math.min(8, samples);
  const probe = tf.slice(x, [samples - shown, 0, 0], [shown, -1, -1]);
  return { x, y, probe, dispose: () => tf.dispose([x, y, probe]) };
}

/** The seed's example input: [batch, seqLength, inputSize] standard normal values from the seed. */
export function randomInput(s: Settings): tf.Tensor3D {
  const inputSize = effectiveInputSize(s);
  const rng = new SeededRandom(s.seed);
  const values = Float32Array.from({ length: s.batchSize * s.seqLength * inputSize }, () => rng.normal());
  return tf.tensor3d(values, [s.batchSize, s.seqLength, inputSize]);
}

/** A batch of the task's examples (up to batchSize) for the forward pass. */
export function taskInput(s: Settings): tf.Tensor3D {
  const d = taskArrays({ ...s, samples: Math.max(10, s.batchSize) });
  const { seqLength, inputSize } = d.shape;
  return tf.tensor3d(d.x.subarray(0, s.batchSize * seqLength * inputSize), [s.batchSize, seqLength, inputSize]);
}
