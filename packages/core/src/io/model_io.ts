// model.save / model.loadWeights / loadModel in the TF.js Layers format, through tfjs's IO handlers (and this
// library's atomic ones for indexeddb://, localstorage:// and file://).
import * as tf from '@tensorflow/tfjs-core';
import { assertModelFree } from '../busy.js';
import { BasicRNNError, ConfigError, ModelIOError, describe } from '../errors.js';
import { Bidirectional } from '../layers/bidirectional.js';
import type { Shape } from '../layers/common.js';
import { Embedding } from '../layers/core_layers.js';
import type { Layer } from '../layers/layer.js';
import { gateCount } from '../layers/recurrence.js';
import { RecurrentLayer } from '../layers/recurrent.js';
import { assertAllocation } from '../limits.js';
import { BasicRNN, type BasicRNNConfig } from '../model.js';
import { Sequential } from '../models/sequential.js';
import { checkOptions } from '../options.js';
import { oneOf } from '../validate.js';
import { INDEXED_DB_SCHEME, LOCAL_STORAGE_SCHEME, atomicIndexedDB, atomicLocalStorage } from './browser_storage.js';
import { WRITTEN_KERAS3_VERSION, WRITTEN_KERAS_VERSION, hardSigmoidKinds, readTopology, writeLayer, type KerasLayerJSON } from './layers_format.js';
import { QUANTIZATION_DTYPES, type QuantizationDtype, quantizeWeights } from './quantize.js';
import { sha256Hex } from './sha256.js';

/** Options of `model.save(destination, options)`. */
export interface SaveOptions {
  /** Store float32 weights as float16 or affine uint8 / uint16 (the converter's schemes); loading dequantizes. */
  quantize?: QuantizationDtype;
}

/** Where a model goes or comes from: a tfjs URL (`indexeddb://`, `localstorage://`, `file://`, `downloads://`, `http(s)://`) or an IOHandler. */
export type ModelIOTarget = string | tf.io.IOHandler;

/** Version of this library's `userDefinedMetadata.basicrnn` record; a file with another version is refused. */
export const MODEL_FORMAT_VERSION = 1;
/** Key of this library's record in `userDefinedMetadata`. */
export const METADATA_KEY = 'basicrnn';

/** This library's record in a saved model's `userDefinedMetadata`. */
export interface BasicRNNMetadata {
  formatVersion: number;
  /** Hex SHA-256 of all weight bytes as saved (after quantization), in manifest order. */
  weightsSha256: string;
  /** Hex SHA-256 of the JSON of the weight specs (names, shapes, dtypes, quantization). */
  weightSpecsSha256: string;
  /** Present for a BasicRNN: its configuration, so `loadModel` gives a BasicRNN back. */
  basicRNN?: BasicRNNConfig;
  /** The Sequential model's seed. */
  seed?: number;
}

const SAVE_OPTIONS = { quantize: oneOf(QUANTIZATION_DTYPES) };

function targetName(target: ModelIOTarget): string {
  return typeof target === 'string' ? describe(target) : 'the IOHandler';
}

/** Resolves a destination or source to exactly one handler; throws ModelIOError naming the URL otherwise. */
function resolveHandler(target: unknown, kind: 'save' | 'load', argument: string): tf.io.IOHandler {
  if (typeof target === 'string') {
    if (target.startsWith(INDEXED_DB_SCHEME)) return atomicIndexedDB(target);
    if (target.startsWith(LOCAL_STORAGE_SCHEME)) return atomicLocalStorage(target);
    const handlers = kind === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
    if (handlers.length === 1) return handlers[0]!;
    const hint = target.startsWith('file://') ? " (for file:// URLs, import '@basicrnn/core/node' first)" : '';
    throw new ModelIOError(
      handlers.length === 0
        ? `${argument}: no ${kind} handler answers the URL ${describe(target)}${hint}`
        : `${argument}: ${handlers.length} ${kind} handlers answer the URL ${describe(target)}; pass an IOHandler instead`,
    );
  }
  if (target !== null && typeof target === 'object' && typeof (target as Record<string, unknown>)[kind] === 'function') return target as tf.io.IOHandler;
  throw new ConfigError(`${argument}: expected a URL string or an IOHandler with a ${kind}() method, received ${describe(target)}`);
}

function wrap(message: string, cause: unknown): BasicRNNError {
  if (cause instanceof BasicRNNError) return cause;
  return new ModelIOError(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

// ---- saving ----

interface ModelDescription {
  layers: KerasLayerJSON[];
  names: string[];
  keras3: boolean;
  metadata: Partial<BasicRNNMetadata>;
  modelName: string;
}

function describeModel(model: BasicRNN | Sequential): ModelDescription {
  if (model instanceof BasicRNN) {
    const { rnn, dense } = model as unknown as { rnn: RecurrentLayer; dense: Layer };
    const rnnJSON = writeLayer(rnn, [null, model.seqLength, model.inputSize]);
    // Inside the preset the layer always returns sequences; the model's own setting decides what the head sees.
    rnnJSON.config.return_sequences = model.returnSequences;
    const config: BasicRNNConfig = {
      hiddenSize: model.hiddenSize,
      outputSize: model.outputSize,
      returnSequences: model.returnSequences,
      activation: model.activation,
      outputActivation: model.outputActivation,
      useBias: model.useBias,
      goBackwards: model.goBackwards,
      seed: model.seed,
      name: model.name,
      cell: model.cell,
    };
    return {
      layers: [rnnJSON, writeLayer(dense, null)],
      names: [...rnn.weightNames().map((w) => `${rnn.name}/${w}`), ...dense.weightNames().map((w) => `${dense.name}/${w}`)],
      keras3: false,
      metadata: { basicRNN: config },
      modelName: model.name,
    };
  }
  const built = (model as unknown as { builtShape: Shape }).builtShape;
  const kinds = hardSigmoidKinds(model.layers);
  if (kinds.size > 1) {
    throw new ModelIOError(
      'save: the model uses both Keras 3\'s hardSigmoid and Keras 2\'s hardSigmoidKeras2; a Layers file has one meaning for "hard_sigmoid" (its keras_version)',
    );
  }
  return {
    layers: model.layers.map((layer, i) => writeLayer(layer, i === 0 ? built : null)),
    names: model.weightNames(),
    keras3: kinds.has('keras3'),
    metadata: { seed: model.seed },
    modelName: model.name,
  };
}

function specsDigest(specs: readonly tf.io.WeightsManifestEntry[]): string {
  const canonical = specs.map((s) => [s.name, s.shape, s.dtype, s.quantization ?? null]);
  return sha256Hex(new TextEncoder().encode(JSON.stringify(canonical)));
}

/**
 * Saves `model` (topology, weights, this library's metadata) to `destination`. The weights are copied before
 * the first await, so a save during `fit` stores the weights of one step boundary (JavaScript runs an update
 * in one go between awaits). @internal Called by `model.save`.
 */
export async function saveModel(model: BasicRNN | Sequential, destination: ModelIOTarget, options: SaveOptions = {}): Promise<tf.io.SaveResult> {
  const argument = 'save(destination)';
  checkOptions(options, SAVE_OPTIONS, 'save(destination, options)');
  const handler = resolveHandler(destination, 'save', argument);
  if (typeof handler.save !== 'function') throw new ModelIOError(`${argument}: ${targetName(destination)} cannot save`);
  const description = describeModel(model);
  const weights = model.getWeights();
  let specs: tf.io.WeightsManifestEntry[];
  let data: ArrayBuffer;
  try {
    const named: tf.NamedTensorMap = {};
    description.names.forEach((name, i) => {
      named[name] = weights[i]!;
    });
    const encoded = await tf.io.encodeWeights(named);
    specs = encoded.specs;
    data = tf.io.CompositeArrayBuffer.join(encoded.data);
  } finally {
    tf.dispose(weights);
  }
  if (options.quantize !== undefined) ({ specs, data } = quantizeWeights(specs, data, options.quantize));
  const metadata: BasicRNNMetadata = {
    formatVersion: MODEL_FORMAT_VERSION,
    weightsSha256: sha256Hex(new Uint8Array(data)),
    weightSpecsSha256: specsDigest(specs),
    ...description.metadata,
  };
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: description.modelName, layers: description.layers },
      keras_version: description.keras3 ? WRITTEN_KERAS3_VERSION : WRITTEN_KERAS_VERSION,
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: 'basicrnn',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: { [METADATA_KEY]: metadata as unknown as Record<string, unknown> },
  };
  try {
    return await handler.save(artifacts);
  } catch (e) {
    throw wrap(`${argument}: saving to ${targetName(destination)} failed`, e);
  }
}

// ---- loading ----

/** Loaded and checked artifacts: weight specs that describe the bytes exactly, this library's record if any. */
interface CheckedArtifacts {
  artifacts: tf.io.ModelArtifacts;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
  metadata: BasicRNNMetadata | null;
}

const STORED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

async function readArtifacts(source: ModelIOTarget, argument: string): Promise<CheckedArtifacts> {
  const handler = resolveHandler(source, 'load', argument);
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load!();
  } catch (e) {
    throw wrap(`${argument}: loading from ${targetName(source)} failed`, e);
  }
  return checkArtifacts(artifacts);
}

/** Validates every field of loaded artifacts before any tensor exists. Exported for tests. @internal */
export function checkArtifacts(artifacts: unknown): CheckedArtifacts {
  if (artifacts === null || typeof artifacts !== 'object') throw new ModelIOError(`model artifacts: expected an object, received ${describe(artifacts)}`);
  const a = artifacts as tf.io.ModelArtifacts;
  if (a.format !== undefined && a.format !== null && a.format !== 'layers-model') {
    throw new ModelIOError(`format: expected "layers-model" (a TF.js Layers model), received ${describe(a.format)}`);
  }
  const metadata = checkMetadata(a.userDefinedMetadata);
  if (!Array.isArray(a.weightSpecs)) throw new ModelIOError(`weightSpecs (weightsManifest[].weights): expected an array, received ${describe(a.weightSpecs)}`);
  const names = new Set<string>();
  let bytes = 0;
  let floatBytes = 0;
  a.weightSpecs.forEach((spec, i) => {
    const at = `weightSpecs[${i}]`;
    if (spec === null || typeof spec !== 'object') throw new ModelIOError(`${at}: expected { name, shape, dtype }, received ${describe(spec)}`);
    if (typeof spec.name !== 'string' || spec.name.length === 0) throw new ModelIOError(`${at}.name: expected a weight name, received ${describe(spec.name)}`);
    if (names.has(spec.name)) throw new ModelIOError(`${at}.name: weight ${describe(spec.name)} appears twice`);
    names.add(spec.name);
    const w = `${at} (${describe(spec.name)})`;
    if (!Array.isArray(spec.shape) || spec.shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
      throw new ModelIOError(`${w}.shape: expected non-negative integers, received ${describe(spec.shape)}`);
    }
    if (spec.dtype !== 'float32') throw new ModelIOError(`${w}.dtype: expected "float32", received ${describe(spec.dtype)}`);
    const size = spec.shape.reduce((n, d) => n * d, 1);
    let perElement = 4;
    const q = spec.quantization;
    if (q !== undefined && q !== null) {
      if (typeof q !== 'object' || !(q.dtype in STORED_BYTES)) {
        throw new ModelIOError(`${w}.quantization.dtype: expected "uint8", "uint16" or "float16", received ${describe((q as { dtype?: unknown })?.dtype)}`);
      }
      if (q.dtype !== 'float16') {
        for (const key of ['scale', 'min'] as const) {
          if (typeof q[key] !== 'number' || !Number.isFinite(q[key])) throw new ModelIOError(`${w}.quantization.${key}: expected a finite number, received ${describe(q[key])}`);
        }
      }
      perElement = STORED_BYTES[q.dtype]!;
    }
    bytes += size * perElement;
    floatBytes += size * 4;
  });
  assertAllocation(floatBytes, 'the weights of the loaded model', 'weightSpecs');
  const raw = a.weightData;
  if (raw === undefined || raw === null) {
    if (bytes > 0) throw new ModelIOError(`weightData: missing; the weight specs need ${bytes} bytes`);
  }
  let data: ArrayBuffer;
  try {
    data = raw === undefined || raw === null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(raw);
  } catch (e) {
    throw wrap('weightData: expected an ArrayBuffer or an array of them', e);
  }
  if (!(data instanceof ArrayBuffer)) throw new ModelIOError(`weightData: expected an ArrayBuffer, received ${describe(raw)}`);
  if (data.byteLength !== bytes) {
    throw new ModelIOError(
      `weightData: holds ${data.byteLength} bytes, the ${a.weightSpecs.length} weight specs need ${bytes} (${data.byteLength < bytes ? 'truncated' : 'extra bytes'})`,
    );
  }
  if (metadata !== null) {
    if (specsDigest(a.weightSpecs) !== metadata.weightSpecsSha256) {
      throw new ModelIOError('weightSpecs: the names, shapes or dtypes differ from the ones saved (their SHA-256 does not match userDefinedMetadata.basicrnn.weightSpecsSha256)');
    }
    if (sha256Hex(new Uint8Array(data)) !== metadata.weightsSha256) {
      throw new ModelIOError('weightData: the weight bytes are corrupt (their SHA-256 does not match userDefinedMetadata.basicrnn.weightsSha256)');
    }
  }
  return { artifacts: a, specs: a.weightSpecs, data, metadata };
}

function checkMetadata(userDefined: unknown): BasicRNNMetadata | null {
  if (userDefined === undefined || userDefined === null) return null;
  if (typeof userDefined !== 'object') throw new ModelIOError(`userDefinedMetadata: expected an object, received ${describe(userDefined)}`);
  const record = (userDefined as Record<string, unknown>)[METADATA_KEY];
  if (record === undefined) return null;
  const at = `userDefinedMetadata.${METADATA_KEY}`;
  if (record === null || typeof record !== 'object') throw new ModelIOError(`${at}: expected an object, received ${describe(record)}`);
  const m = record as Partial<BasicRNNMetadata>;
  if (m.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelIOError(`${at}.formatVersion: expected ${MODEL_FORMAT_VERSION}, received ${describe(m.formatVersion)} (written by another version of this library?)`);
  }
  for (const key of ['weightsSha256', 'weightSpecsSha256'] as const) {
    if (typeof m[key] !== 'string' || !/^[0-9a-f]{64}$/.test(m[key])) throw new ModelIOError(`${at}.${key}: expected a hex SHA-256, received ${describe(m[key])}`);
  }
  if (m.basicRNN !== undefined && (m.basicRNN === null || typeof m.basicRNN !== 'object')) {
    throw new ModelIOError(`${at}.basicRNN: expected a BasicRNN configuration, received ${describe(m.basicRNN)}`);
  }
  return m as BasicRNNMetadata;
}

/** Converter and Keras spellings of a weight name, reduced to ours: no `:0`, no `lstm_cell/` level. */
function normalizeName(name: string): string {
  return name
    .replace(/:\d+$/, '')
    .split('/')
    .filter((seg) => !/^(simple_rnn|lstm|gru)_cell(_\d+)?$/.test(seg))
    .join('/');
}

interface Expected {
  name: string;
  shape: readonly number[];
}

/** Finds the spec of weight `name`: same name after normalising, or the one spec whose name ends with `/name`. */
function findSpec(specs: readonly tf.io.WeightsManifestEntry[], name: string): number {
  const normalized = specs.map((s) => normalizeName(s.name));
  const exact = normalized.indexOf(name);
  if (exact >= 0) return exact;
  const suffix = normalized.flatMap((n, i) => (n.endsWith(`/${name}`) ? [i] : []));
  return suffix.length === 1 ? suffix[0]! : -1;
}

/**
 * Keras's topological matching, used only when NO weight name of the model is in the file (the same
 * architecture saved under other layer names, e.g. `lstm_1/kernel` for `lstm/kernel`): the file's weights in
 * order must have the model's count, shapes and weight kinds (the last name segment). Null when it does not apply.
 */
function topologicalOrder(specs: readonly tf.io.WeightsManifestEntry[], expected: readonly Expected[]): number[] | null {
  if (expected.some((e) => findSpec(specs, e.name) >= 0) || specs.length !== expected.length) return null;
  const kind = (name: string) => normalizeName(name).split('/').at(-1);
  const fits = expected.every((e, i) => {
    const s = specs[i]!;
    return kind(s.name) === kind(e.name) && s.shape.length === e.shape.length && s.shape.every((d, k) => d === e.shape[k]);
  });
  return fits ? expected.map((_, i) => i) : null;
}

/** Decodes the weights named by `expected`, in that order; every check runs first, nothing leaks on failure. */
function decodeMatched(checked: CheckedArtifacts, expected: readonly Expected[]): tf.Tensor[] {
  const { specs } = checked;
  const order = topologicalOrder(specs, expected) ?? expected.map((e) => {
    const i = findSpec(specs, e.name);
    if (i < 0) throw new ModelIOError(`weightSpecs: weight ${describe(e.name)} is missing (the file has ${describe(specs.map((s) => s.name))})`);
    const shape = specs[i]!.shape;
    if (shape.length !== e.shape.length || shape.some((d, k) => d !== e.shape[k])) {
      throw new ModelIOError(`weightSpecs[${i}] (${describe(specs[i]!.name)}).shape: expected ${describe(e.shape)}, received ${describe(shape)}`);
    }
    return i;
  });
  const seen = new Set<number>();
  order.forEach((i, k) => {
    if (seen.has(i)) throw new ModelIOError(`weightSpecs[${i}] (${describe(specs[i]!.name)}): matches two weights of the model (${describe(expected[k]!.name)} and another)`);
    seen.add(i);
  });
  const extra = specs.findIndex((_, i) => !seen.has(i));
  if (extra >= 0) throw new ModelIOError(`weightSpecs[${extra}].name: extra weight ${describe(specs[extra]!.name)} that the model does not have`);
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(checked.data, specs);
  } catch (e) {
    throw wrap('weightData: cannot decode the weights', e);
  }
  return order.map((i) => map[specs[i]!.name]!);
}

/** Weight names and shapes of layers applied in order to `inputShape` (Keras order); checks each layer's input. */
function layerExpectations(layers: readonly Layer[], inputShape: Shape): { expected: Expected[]; shapes: Shape[]; counts: number[] } {
  const expected: Expected[] = [];
  const shapes: Shape[] = [];
  const counts: number[] = [];
  let shape = inputShape;
  for (const layer of layers) {
    try {
      layer.checkInputShape(shape, `layer ${describe(layer.name)}`);
    } catch (e) {
      throw wrap(`modelTopology: layer ${describe(layer.name)} does not fit its input`, e);
    }
    const specs = (layer as unknown as { weightSpecs(s: Shape): { name: string; shape: number[] }[] }).weightSpecs(shape);
    for (const s of specs) expected.push({ name: `${layer.name}/${s.name}`, shape: s.shape });
    shapes.push(shape);
    counts.push(specs.length);
    shape = layer.computeOutputShape(shape);
  }
  return { expected, shapes, counts };
}

/** The model's input shape from the file: as declared, else from the first kernel's input size. */
function inferInputShape(layers: readonly Layer[], declared: Shape | null, specs: readonly tf.io.WeightsManifestEntry[]): Shape {
  if (declared !== null) return declared;
  if (layers[0] instanceof Embedding) return [null, null];
  for (const layer of layers) {
    const kernel =
      layer instanceof Bidirectional ? `${layer.name}/${layer.forwardLayer.name}/kernel` : layer instanceof RecurrentLayer || layer.className === 'Dense' ? `${layer.name}/kernel` : null;
    if (kernel === null) continue;
    const i = findSpec(specs, kernel);
    if (i < 0) throw new ModelIOError(`weightSpecs: weight ${describe(kernel)} is missing (needed for the input size; the file declares no batch_input_shape)`);
    return [null, null, specs[i]!.shape[0]!];
  }
  throw new ModelIOError('modelTopology: no layer declares the input shape (batch_input_shape) and none has a kernel to infer it from');
}

function buildLayers(layers: readonly Layer[], shapes: readonly Shape[], counts: readonly number[], tensors: readonly tf.Tensor[]): void {
  let offset = 0;
  layers.forEach((layer, i) => {
    layer.buildWithWeights(shapes[i]!, tensors.slice(offset, offset + counts[i]!));
    offset += counts[i]!;
  });
}

function basicRnnExpectations(model: BasicRNN, inputSize: number): Expected[] {
  const { rnn } = model as unknown as { rnn: RecurrentLayer };
  const h = model.hiddenSize;
  const g = gateCount(model.cell);
  const out: Expected[] = [
    { name: `${rnn.name}/kernel`, shape: [inputSize, g * h] },
    { name: `${rnn.name}/recurrent_kernel`, shape: [h, g * h] },
  ];
  if (model.useBias) out.push({ name: `${rnn.name}/bias`, shape: model.cell === 'gru' ? [2, 3 * h] : [g * h] });
  out.push({ name: 'dense/kernel', shape: [h, model.outputSize] });
  if (model.useBias) out.push({ name: 'dense/bias', shape: [model.outputSize] });
  return out;
}

function basicRnnInputSize(model: BasicRNN, specs: readonly tf.io.WeightsManifestEntry[]): number {
  if (model.inputSize !== null) return model.inputSize;
  const { rnn } = model as unknown as { rnn: RecurrentLayer };
  const i = findSpec(specs, `${rnn.name}/kernel`);
  const size = i < 0 ? undefined : specs[i]!.shape[0];
  if (size === undefined || size < 1) throw new ModelIOError(`weightSpecs: weight ${describe(`${rnn.name}/kernel`)} is missing or empty`);
  return size;
}

/**
 * Replaces `model`'s weights with the ones at `source`, matched by name. Everything is read and checked
 * first; on any failure the model is unchanged and no tensor is left behind. Refused while the model trains.
 * @internal Called by `model.loadWeights`.
 */
export async function loadWeightsInto(model: BasicRNN | Sequential, source: ModelIOTarget): Promise<void> {
  const argument = 'loadWeights(source)';
  // A disposed model throws DisposedError here, before anything is read.
  (model as unknown as { assertUsable(): void }).assertUsable();
  assertModelFree(model, argument);
  const checked = await readArtifacts(source, argument);
  // The awaits above let training start: check again before anything changes.
  assertModelFree(model, argument);
  if (model instanceof BasicRNN) {
    const tensors = decodeMatched(checked, basicRnnExpectations(model, basicRnnInputSize(model, checked.specs)));
    try {
      model.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
    return;
  }
  if (model.isBuilt) {
    const built = (model as unknown as { builtShape: Shape }).builtShape;
    const tensors = decodeMatched(checked, layerExpectations(model.layers, built).expected);
    try {
      model.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
    return;
  }
  let declared: Shape | null = null;
  if (checked.artifacts.modelTopology !== undefined) {
    try {
      declared = readTopology(checked.artifacts.modelTopology).inputShape;
    } catch {
      declared = null; // the topology is only a hint for the input shape here; weights are matched by name
    }
  }
  const inputShape = inferInputShape(model.layers, declared, checked.specs);
  const { expected, shapes, counts } = layerExpectations(model.layers, inputShape);
  const tensors = decodeMatched(checked, expected);
  try {
    buildLayers(model.layers, shapes, counts, tensors);
    model.build(inputShape);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Loads a model saved in the TF.js Layers format: by this library (a BasicRNN comes back as a BasicRNN with its
 * options), by tfjs-layers `model.save`, or converted from Keras by tensorflowjs_converter. The weights are
 * matched by name and checked (byte length, shapes, dtypes, SHA-256 when the file carries one); the
 * initialisers never run.
 *
 * @example
 * ```ts
 * import { loadModel } from '@basicrnn/core';
 * const model = await loadModel('indexeddb://my-model');
 * ```
 */
export async function loadModel(source: ModelIOTarget): Promise<BasicRNN | Sequential> {
  const argument = 'loadModel(source)';
  const checked = await readArtifacts(source, argument);
  const config = checked.metadata?.basicRNN;
  // The topology is read (every key checked) even when the metadata says how to rebuild a BasicRNN.
  const topology = readTopology(checked.artifacts.modelTopology);
  const { layers } = topology;
  if (config !== undefined) {
    const classes = layers.map((l) => l.className).join(',');
    const want = `${{ simpleRNN: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' }[config.cell ?? 'simpleRNN'] ?? '?'},Dense`;
    if (classes !== want) {
      throw new ModelIOError(`modelTopology.config.layers: a BasicRNN file must hold [${want}], received [${classes}]`);
    }
    let model: BasicRNN;
    try {
      model = new BasicRNN(config);
    } catch (e) {
      throw wrap(`userDefinedMetadata.${METADATA_KEY}.basicRNN: not a valid BasicRNN configuration`, e);
    }
    try {
      await loadWeightsFromChecked(model, checked);
      return model;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  try {
    const inputShape = inferInputShape(layers, topology.inputShape, checked.specs);
    const { expected, shapes, counts } = layerExpectations(layers, inputShape);
    const tensors = decodeMatched(checked, expected);
    let model: Sequential;
    try {
      buildLayers(layers, shapes, counts, tensors);
      const seed = checked.metadata?.seed;
      try {
        model = new Sequential({ layers, ...(topology.name === undefined ? {} : { name: topology.name }), ...(seed === undefined ? {} : { seed }) });
      } catch (e) {
        throw wrap('modelTopology.config.layers', e);
      }
      model.build(inputShape);
    } finally {
      tf.dispose(tensors);
    }
    return model;
  } catch (e) {
    for (const layer of layers) layer.dispose();
    throw e;
  }
}

async function loadWeightsFromChecked(model: BasicRNN, checked: CheckedArtifacts): Promise<void> {
  const tensors = decodeMatched(checked, basicRnnExpectations(model, basicRnnInputSize(model, checked.specs)));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
