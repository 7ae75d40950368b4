// Saving and loading models in the demo (CLI and web worker): core's `model.save` / `loadModel` in the TF.js Layers
// format (model.json + binary weights; `indexeddb://` and `file://` through core's atomic handlers).
import type * as tf from '@tensorflow/tfjs-core';
import { loadModel, type BasicRNN, type Sequential } from '@basicrnn/core';

/** Saves `model` to `destination` (a URL such as `file:///dir` or `indexeddb://name`, or an IOHandler). */
export function saveModelTo(model: BasicRNN | Sequential, destination: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  return model.save(destination);
}

/** Loads a model saved by {@link saveModelTo} (or by tfjs-layers / the Keras converter). */
export function loadModelFrom(source: string | tf.io.IOHandler): Promise<BasicRNN | Sequential> {
  return loadModel(source);
}
