// Saving and loading models in the demo (CLI and web worker), through core's `model.save` / `loadModel`
// (TF.js Layers format: model.json + binary shards) and @basicrnn/onnx's `toOnnx` for a `model.onnx` beside them.
import type * as tf from '@tensorflow/tfjs-core';
import * as core from '@basicrnn/core';
import type { BasicRNN, Sequential } from '@basicrnn/core';

/** A model that can be saved (core's BasicRNN and sequential models). */
export interface SavableModel {
  save(destination: string | tf.io.IOHandler, options?: { quantize?: 'float16' | 'uint8' | 'uint16' }): Promise<tf.io.SaveResult>;
}

type LoadModel = (source: string | tf.io.IOHandler) => Promise<BasicRNN | Sequential>;

/** Saves `model` to `destination` (a URL such as `file://DIR` or `indexeddb://name`, or an IOHandler). */
export function saveModelTo(model: BasicRNN | Sequential, destination: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  return (model as unknown as SavableModel).save(destination);
}

/** Loads a model saved by {@link saveModelTo} (or by tfjs-layers / the Keras converter). */
export function loadModelFrom(source: string | tf.io.IOHandler): Promise<BasicRNN | Sequential> {
  const load = (core as unknown as { loadModel?: LoadModel }).loadModel;
  if (load === undefined) throw new core.BasicRNNError('loadModel: this build of @basicrnn/core has no model loading');
  return load(source);
}
