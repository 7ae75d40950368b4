import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, ConfigError, Sequential, checkOptions, describe } from '@basicrnn/core';
import { OnnxExportError } from './errors.js';
import { basicRnnSpec, sequentialSpec } from './models.js';
import { DataType, type Dim, GraphBuilder } from './proto.js';
import { type MergeMode, type RecurrentLayerSpec, emitRecurrent } from './recurrent.js';

/** A Dense layer in Keras terms. */
export interface DenseLayerSpec {
  name: string;
  units: number;
  inputSize: number;
  /** 'linear' | 'sigmoid' | 'softmax' | 'tanh' | 'relu' */
  activation: string;
  /** [inputSize, units] row-major */
  kernel: Float32Array;
  /** [units]; absent with useBias false */
  bias?: Float32Array;
}

/** An Embedding layer in Keras terms: token ids → rows of `embeddings`. Only as a model's first layer. */
export interface EmbeddingLayerSpec {
  name: string;
  /** Vocabulary size. */
  inputDim: number;
  outputDim: number;
  /** [inputDim, outputDim] row-major */
  embeddings: Float32Array;
}

/**
 * One layer of an exportable model. Dropout is the identity at inference and needs no entry. `mask` marks where
 * a Keras mask starts (Masking, or an Embedding with maskZero): exported as `sequence_lens`, before any
 * recurrent layer only.
 */
export type LayerSpec =
  | ({ kind: 'recurrent' } & { forward: RecurrentLayerSpec; backward?: RecurrentLayerSpec; mergeMode?: MergeMode })
  | ({ kind: 'dense' } & DenseLayerSpec)
  | ({ kind: 'embedding' } & EmbeddingLayerSpec)
  | { kind: 'mask'; name: string };

/**
 * A model as ONNX sees it: an input `x` [batch, steps, inputSize] float32 — or int32 token ids [batch, steps]
 * when the first layer is an embedding — through a chain of layers.
 */
export interface ModelSpec {
  name: string;
  /** Features per step (ignored when the first layer is an embedding). */
  inputSize: number;
  layers: LayerSpec[];
}

/** Options of {@link toOnnx}. */
export interface ToOnnxOptions {
  /** A fixed batch size in the graph's input shape; default: any (a symbolic `batch` dimension). */
  batchSize?: number;
  /** A fixed sequence length; default: the model's, else any (symbolic `steps`). */
  seqLength?: number;
  /**
   * Add an int32 input `sequence_lens` [batch]: each example's real length, for right-padded batches (ONNX's
   * `sequence_lens`; equal to a Keras mask of ones then zeros). Refused where ONNX's meaning differs from Keras's:
   * a model whose output is a sequence (ONNX writes zeros at padded steps, Keras repeats the last output).
   * Required for a model with a mask source (Masking, Embedding with maskZero): Keras computes its mask from the
   * data, ONNX takes the lengths as an input — the caller passes the length of each example's unpadded part.
   */
  sequenceLengths?: boolean;
}

const OPTIONS_SCHEMA = {
  batchSize: positiveInt,
  seqLength: positiveInt,
  sequenceLengths: (v: unknown, arg: string) => {
    if (typeof v !== 'boolean') throw new ConfigError(`${arg}: expected a boolean, received ${describe(v)}`);
  },
};

function positiveInt(v: unknown, arg: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`${arg}: expected a positive integer, received ${describe(v)}`);
}

/**
 * Writes a model — a `BasicRNN` (any cell), a `sequential` model or a {@link ModelSpec} — as a standard ONNX file
 * (opset 17): `RNN` / `LSTM` / `GRU` nodes for recurrent and bidirectional layers (LSTM gates reordered from Keras
 * i,f,c,o to ONNX i,o,f,c; GRU `resetAfter: true` as `linear_before_reset = 1`), `MatMul` + `Add` Dense layers,
 * `Gather` embeddings. Input `x` [batch, steps, inputSize] float32 (int32 token ids [batch, steps] after an
 * embedding), output `y` as the model's `predict` returns it. Run it with ONNX Runtime (Web, Node, Python, …).
 * Throws `OnnxExportError` naming the layer for what ONNX would compute differently (stateful layers,
 * `mergeMode: null`, a mask not exportable as right padding).
 *
 * @example
 * ```ts
 * import { BasicRNN } from '@basicrnn/core';
 * import { toOnnx } from '@basicrnn/onnx';
 *
 * const model = new BasicRNN({ hiddenSize: 8, outputSize: 1, seed: 1 });
 * model.build([null, 10, 3]);
 * const bytes = toOnnx(model); // Uint8Array: write it to model.onnx, or hand it to ort.InferenceSession.create
 * ```
 */
export function toOnnx(model: BasicRNN | Sequential | ModelSpec, options: ToOnnxOptions = {}): Uint8Array {
  checkOptions<ToOnnxOptions>(options, OPTIONS_SCHEMA, 'toOnnx(model, options)');
  const spec = model instanceof BasicRNN ? basicRnnSpec(model) : model instanceof Sequential ? sequentialSpec(model) : model;
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers)) {
    throw new ConfigError(`toOnnx(model): expected a built BasicRNN, sequential model or ModelSpec, received ${describe(model)}`);
  }
  const modelSteps = model instanceof BasicRNN ? model.seqLength : model instanceof Sequential ? (model.layers[0]!.inputShape?.[1] ?? null) : null;
  return encodeModel(spec, options.batchSize ?? 'batch', options.seqLength ?? modelSteps ?? 'steps', options.sequenceLengths === true);
}

const DENSE_ACTIVATIONS: Record<string, string | null> = { linear: null, sigmoid: 'Sigmoid', softmax: 'Softmax', tanh: 'Tanh', relu: 'Relu' };

/** Encodes a {@link ModelSpec}. */
export function encodeModel(spec: ModelSpec, batch: Dim, steps: Dim, sequenceLengths: boolean): Uint8Array {
  const g = new GraphBuilder();
  const ids = spec.layers[0]?.kind === 'embedding';
  if (ids) g.input('x', DataType.INT32, [batch, steps]);
  else g.input('x', DataType.FLOAT, [batch, steps, spec.inputSize]);
  const seqLens = sequenceLengths ? g.input('sequence_lens', DataType.INT32, [batch]) : undefined;
  // Everything between layers is time-major: [T, B, ·] for sequences, [B, ·] once a layer returns its last step.
  let current = g.op('Transpose', 'time_major', ['x'], [{ name: 'perm', ints: ids ? [1, 0] : [1, 0, 2] }]);
  let isSequence = true;
  let width = spec.inputSize;
  let recurrentSeen = false;
  spec.layers.forEach((layer, i) => {
    if (layer.kind === 'embedding') {
      if (i !== 0) throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: an embedding must be the first layer (it takes token ids)`);
      if (layer.embeddings.length !== layer.inputDim * layer.outputDim) {
        throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: embeddings has ${layer.embeddings.length} values, expected ${layer.inputDim * layer.outputDim}`);
      }
      // Gather on the ids [T, B] → [T, B, outputDim]. Ids outside [0, inputDim) fail in ONNX Runtime.
      current = g.op('Gather', `${layer.name}/gather`, [g.floats(`${layer.name}/embeddings`, [layer.inputDim, layer.outputDim], layer.embeddings), current], [{ name: 'axis', int: 0 }]);
      width = layer.outputDim;
      return;
    }
    if (layer.kind === 'mask') {
      // Keras's mask comes from the data (padding values / token 0); ONNX's only equivalent is sequence_lens,
      // given by the caller, and it applies to every recurrent layer: a mask starting after one cannot be exported.
      if (!sequenceLengths) {
        throw new OnnxExportError(
          `layer ${JSON.stringify(layer.name)}: masks padded steps, which ONNX expresses only as sequence lengths (right padding); export with toOnnx(model, { sequenceLengths: true }) and pass each example's unpadded length as sequence_lens`,
        );
      }
      if (recurrentSeen) {
        throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: masks after a recurrent layer; ONNX's sequence_lens would also apply to the layers before it`);
      }
      return;
    }
    if (layer.kind === 'recurrent') {
      recurrentSeen = true;
      if (!isSequence) throw new OnnxExportError(`layer ${JSON.stringify(layer.forward.name)}: its input is not a sequence (the layer before it returns only its last step)`);
      if (layer.forward.inputSize !== width) {
        throw new OnnxExportError(`layer ${JSON.stringify(layer.forward.name)}: expects ${layer.forward.inputSize} input features, the layer before gives ${width}`);
      }
      const out = emitRecurrent(g, current, layer.forward, {
        ...(layer.backward === undefined ? {} : { backward: layer.backward }),
        ...(layer.mergeMode === undefined ? {} : { mergeMode: layer.mergeMode }),
        ...(seqLens === undefined ? {} : { sequenceLens: seqLens }),
      });
      isSequence = layer.forward.returnSequences;
      current = isSequence ? out.sequence! : out.last;
      width = layer.forward.units * (layer.backward !== undefined && (layer.mergeMode ?? 'concat') === 'concat' ? 2 : 1);
    } else {
      if (layer.inputSize !== width) {
        throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: expects ${layer.inputSize} input features, the layer before gives ${width}`);
      }
      if (!(layer.activation in DENSE_ACTIVATIONS)) {
        throw new OnnxExportError(`layer ${JSON.stringify(layer.name)}: activation ${JSON.stringify(layer.activation)} is not exportable; supported: ${Object.keys(DENSE_ACTIVATIONS).join(', ')}`);
      }
      current = g.op('MatMul', `${layer.name}/matmul`, [current, g.floats(`${layer.name}/kernel`, [layer.inputSize, layer.units], layer.kernel)]);
      if (layer.bias !== undefined) current = g.op('Add', `${layer.name}/bias_add`, [current, g.floats(`${layer.name}/bias`, [layer.units], layer.bias)]);
      const act = DENSE_ACTIVATIONS[layer.activation];
      if (act) current = g.op(act, `${layer.name}/${layer.activation}`, [current], act === 'Softmax' ? [{ name: 'axis', int: -1 }] : []);
      width = layer.units;
    }
  });
  if (isSequence && sequenceLengths) {
    throw new OnnxExportError(
      'toOnnx(model, { sequenceLengths: true }): the model outputs a sequence; at padded steps ONNX writes zeros where Keras repeats the last output, so the masked model cannot be exported with the same results',
    );
  }
  if (isSequence) current = g.op('Transpose', 'batch_major', [current], [{ name: 'perm', ints: [1, 0, 2] }]);
  g.output('y', current, DataType.FLOAT, isSequence ? [batch, steps, width] : [batch, width]);
  return g.model(spec.name, { name: '@basicrnn/onnx', version: '0.1.0' });
}
