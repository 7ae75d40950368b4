import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, ConfigError, NotBuiltError, checkOptions, describe } from '@basicrnn/core';
import { OnnxExportError } from './errors.js';
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

/** One layer of an exportable model. Dropout is the identity at inference and needs no entry. */
export type LayerSpec =
  | ({ kind: 'recurrent' } & { forward: RecurrentLayerSpec; backward?: RecurrentLayerSpec; mergeMode?: MergeMode })
  | ({ kind: 'dense' } & DenseLayerSpec);

/** A model as ONNX sees it: an input [batch, steps, inputSize] through a chain of layers. */
export interface ModelSpec {
  name: string;
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
 * Writes a model as a standard ONNX file (opset 17): `RNN` / `LSTM` / `GRU` nodes for recurrent layers (LSTM
 * gates reordered from Keras i,f,c,o to ONNX i,o,f,c; GRU `resetAfter: true` as `linear_before_reset = 1`),
 * `MatMul` + `Add` Dense heads. Input `x` [batch, steps, inputSize] float32, output `y` as the model's
 * `predict` returns it. Run it with ONNX Runtime (Web, Node, Python, …).
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
export function toOnnx(model: BasicRNN | ModelSpec, options: ToOnnxOptions = {}): Uint8Array {
  checkOptions<ToOnnxOptions>(options, OPTIONS_SCHEMA, 'toOnnx(model, options)');
  const spec = model instanceof BasicRNN ? basicRnnSpec(model) : model;
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers)) {
    throw new ConfigError(`toOnnx(model): expected a built BasicRNN or a ModelSpec, received ${describe(model)}`);
  }
  const fixedSteps = options.seqLength ?? (model instanceof BasicRNN ? model.seqLength : null) ?? 'steps';
  return encodeModel(spec, options.batchSize ?? 'batch', fixedSteps, options.sequenceLengths === true);
}

/** The layers of a built {@link BasicRNN}, with copies of its weights. */
export function basicRnnSpec(model: BasicRNN): ModelSpec {
  const inputSize = model.inputSize;
  if (inputSize === null) throw new NotBuiltError('toOnnx(model): the model is not built yet; build it or call it once first');
  const weights = model.getWeights();
  let values: Float32Array[];
  try {
    values = weights.map((w) => w.dataSync() as Float32Array);
  } finally {
    tf.dispose(weights);
  }
  const [kernel, recurrentKernel, ...rest] = values as [Float32Array, Float32Array, ...Float32Array[]];
  const [bias, denseKernel, denseBias] = model.useBias ? (rest as [Float32Array, Float32Array, Float32Array]) : [undefined, rest[0]!, undefined];
  return {
    name: model.name,
    inputSize,
    layers: [
      {
        kind: 'recurrent',
        forward: {
          name: 'simple_rnn',
          cell: 'simpleRNN',
          units: model.hiddenSize,
          inputSize,
          activation: model.activation,
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

const DENSE_ACTIVATIONS: Record<string, string | null> = { linear: null, sigmoid: 'Sigmoid', softmax: 'Softmax', tanh: 'Tanh', relu: 'Relu' };

/** Encodes a {@link ModelSpec}. */
export function encodeModel(spec: ModelSpec, batch: Dim, steps: Dim, sequenceLengths: boolean): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', DataType.FLOAT, [batch, steps, spec.inputSize]);
  const seqLens = sequenceLengths ? g.input('sequence_lens', DataType.INT32, [batch]) : undefined;
  // Everything between layers is time-major: [T, B, ·] for sequences, [B, ·] once a layer returns its last step.
  let current = g.op('Transpose', 'time_major', ['x'], [{ name: 'perm', ints: [1, 0, 2] }]);
  let isSequence = true;
  let width = spec.inputSize;
  for (const layer of spec.layers) {
    if (layer.kind === 'recurrent') {
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
  }
  if (isSequence && sequenceLengths) {
    throw new OnnxExportError(
      'toOnnx(model, { sequenceLengths: true }): the model outputs a sequence; at padded steps ONNX writes zeros where Keras repeats the last output, so the masked model cannot be exported with the same results',
    );
  }
  if (isSequence) current = g.op('Transpose', 'batch_major', [current], [{ name: 'perm', ints: [1, 0, 2] }]);
  g.output('y', current, DataType.FLOAT, isSequence ? [batch, steps, width] : [batch, width]);
  return g.model(spec.name, { name: '@basicrnn/onnx', version: '0.1.0' });
}
