// Core models (BasicRNN, sequential) as ModelSpecs: their layers in Keras terms with copies of the weights.
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, Bidirectional, Dense, Dropout, Embedding, Masking, NotBuiltError, RecurrentLayer, type Layer, type Sequential } from '@basicrnn/core';
import { OnnxExportError } from './errors.js';
import type { LayerSpec, ModelSpec } from './export.js';
import type { OnnxCell, RecurrentLayerSpec } from './recurrent.js';

/** Copies of `tensors`' values as Float32Arrays; disposes the tensors. */
function readAll(tensors: tf.Tensor[]): Float32Array[] {
  try {
    return tensors.map((w) => Float32Array.from(w.dataSync() as Float32Array));
  } finally {
    tf.dispose(tensors);
  }
}

/** The layers of a built {@link BasicRNN} (any cell), with copies of its weights. */
export function basicRnnSpec(model: BasicRNN): ModelSpec {
  const inputSize = model.inputSize;
  if (inputSize === null) throw new NotBuiltError('toOnnx(model): the model is not built yet; build it or call it once first');
  const values = readAll(model.getWeights());
  const [kernel, recurrentKernel, ...rest] = values as [Float32Array, Float32Array, ...Float32Array[]];
  const [bias, denseKernel, denseBias] = model.useBias ? (rest as [Float32Array, Float32Array, Float32Array]) : [undefined, rest[0]!, undefined];
  const cell = model.cell as OnnxCell;
  return {
    name: model.name,
    inputSize,
    layers: [
      {
        kind: 'recurrent',
        forward: {
          name: cell === 'simpleRNN' ? 'simple_rnn' : cell,
          cell,
          units: model.hiddenSize,
          inputSize,
          activation: model.activation,
          // BasicRNN's gated cells use Keras 3's defaults: sigmoid gates, GRU in the resetAfter form.
          ...(cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' }),
          ...(cell === 'gru' ? { resetAfter: true } : {}),
          goBackwards: model.goBackwards,
          returnSequences: model.returnSequences,
          kernel,
          recurrentKernel,
          ...(bias === undefined ? {} : { bias }),
        },
      },
      {
        kind: 'dense',
        name: 'dense',
        units: model.outputSize,
        inputSize: model.hiddenSize,
        activation: model.outputActivation,
        kernel: denseKernel,
        ...(denseBias === undefined ? {} : { bias: denseBias }),
      },
    ],
  };
}

function recurrentSpec(layer: RecurrentLayer, inputSize: number, values: Float32Array[]): RecurrentLayerSpec {
  const c = layer.config;
  if (c.stateful) {
    throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: stateful (carries its state from one call to the next); an ONNX model starts each run from zeros`);
  }
  const [kernel, recurrentKernel, bias] = values as [Float32Array, Float32Array, Float32Array | undefined];
  const cell = layer.cell as OnnxCell;
  return {
    name: layer.name,
    cell,
    units: c.units,
    inputSize,
    activation: c.activation,
    ...(cell === 'simpleRNN' ? {} : { recurrentActivation: c.recurrentActivation }),
    ...(cell === 'gru' ? { resetAfter: c.resetAfter } : {}),
    goBackwards: c.goBackwards,
    returnSequences: c.returnSequences,
    kernel,
    recurrentKernel,
    ...(c.useBias && bias !== undefined ? { bias } : {}),
  };
}

/**
 * The layers of a built `sequential` model, with copies of its weights: recurrent layers (every cell, GRU in both
 * forms, goBackwards, returnSequences), bidirectional (concat / sum / mul / ave), Dense (per timestep on
 * sequences), Dropout (the identity at inference: no entry), Embedding (a Gather on int token ids) and the mask
 * sources Masking / `Embedding({ maskZero: true })`, exported as `sequence_lens` (see `toOnnx`).
 */
export function sequentialSpec(model: Sequential): ModelSpec {
  const first = model.layers[0];
  const shape = first?.inputShape ?? null;
  if (!model.isBuilt || shape === null) throw new NotBuiltError('toOnnx(model): the model is not built yet; build it or call it once first');
  const layers: LayerSpec[] = [];
  let width = first instanceof Embedding ? first.inputDim : (shape[2] as number);
  const inputSize = width;
  for (const layer of model.layers as readonly Layer[]) {
    if (layer instanceof Dropout) continue;
    if (layer instanceof Masking) {
      layers.push({ kind: 'mask', name: layer.name });
    } else if (layer instanceof Embedding) {
      const [embeddings] = readAll(layer.getWeights()) as [Float32Array];
      layers.push({ kind: 'embedding', name: layer.name, inputDim: layer.inputDim, outputDim: layer.outputDim, embeddings });
      if (layer.maskZero) layers.push({ kind: 'mask', name: layer.name });
      width = layer.outputDim;
    } else if (layer instanceof Dense) {
      const [kernel, bias] = readAll(layer.getWeights()) as [Float32Array, Float32Array | undefined];
      layers.push({ kind: 'dense', name: layer.name, units: layer.units, inputSize: width, activation: layer.activation, kernel, ...(bias === undefined ? {} : { bias }) });
      width = layer.units;
    } else if (layer instanceof RecurrentLayer) {
      layers.push({ kind: 'recurrent', forward: recurrentSpec(layer, width, readAll(layer.getWeights())) });
      width = layer.config.units;
    } else if (layer instanceof Bidirectional) {
      if (layer.mergeMode === null) {
        throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: mergeMode null returns two tensors; an exported model has one output`);
      }
      const values = readAll(layer.getWeights());
      const n = values.length / 2;
      layers.push({
        kind: 'recurrent',
        forward: recurrentSpec(layer.forwardLayer, width, values.slice(0, n)),
        backward: recurrentSpec(layer.backwardLayer, width, values.slice(n)),
        mergeMode: layer.mergeMode,
      });
      // The layer names ONNX nodes after the wrapper, not after its forward layer.
      (layers.at(-1) as { forward: RecurrentLayerSpec }).forward.name = layer.name;
      width = layer.forwardLayer.config.units * (layer.mergeMode === 'concat' ? 2 : 1);
    } else {
      throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: ${layer.className} layers have no ONNX export`);
    }
  }
  return { name: model.name, inputSize, layers };
}
