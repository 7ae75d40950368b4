// The Keras / TF.js Layers topology of a model: what `model.json`'s `modelTopology` holds, written the way
// tfjs-layers writes it and read from tfjs-layers, Keras 2 and Keras 3 (tensorflowjs_converter) spellings.
// Each layer type has ONE key table: a key of a file's layer config is modelled (turned into an option),
// inert (listed and ignored: it changes nothing this library computes) or refused with a typed error.
import { ModelIOError, UnsupportedConfigError, describe } from '../errors.js';
import type { RecurrentActivationName } from '../activations.js';
import { Bidirectional, type MergeMode } from '../layers/bidirectional.js';
import type { Initializer, InitializerName, Regularizer, Shape } from '../layers/common.js';
import { Dense, type DenseActivation, Dropout, Embedding, Masking } from '../layers/core_layers.js';
import type { Layer } from '../layers/layer.js';
import { RecurrentLayer, type GRULayerOptions, type LSTMLayerOptions } from '../layers/recurrent.js';
import type { CellType } from '../layers/recurrence.js';

/** A Keras layer entry: `{ class_name, config }` (+ Keras 3's `module`, `registered_name`, `build_config`). */
export interface KerasLayerJSON {
  class_name: string;
  config: Record<string, unknown>;
  [key: string]: unknown;
}

/** The `keras_version` written into files: tfjs-layers', so `tf.loadLayersModel` reads them as its own. */
export const WRITTEN_KERAS_VERSION = 'tfjs-layers 4.22.0';
/** Written instead when a layer uses Keras 3's hard sigmoid, so that readers take `hard_sigmoid` as Keras 3's. */
export const WRITTEN_KERAS3_VERSION = '3.0.0';

/** What a reader needs to know about the file as a whole. */
export interface ReadContext {
  /** Keras 3 file: `hard_sigmoid` is relu6(x+3)/6; otherwise (Keras 2, tfjs-layers) clip(0.2x+0.5, 0, 1). */
  keras3: boolean;
}

/** Wrapper keys of a layer entry (beside `class_name` and `config`): all inert. */
const ENTRY_INERT = ['module', 'registered_name', 'build_config', 'name', 'inbound_nodes', 'shared_object_id'];

/** Keys every layer config may carry without meaning anything for the computation. */
const COMMON_INERT = ['name', 'trainable', 'dtype', 'dtype_policy', 'batch_input_shape', 'batch_shape', 'input_shape', 'input_dtype', 'batch_size'];

/** One key table per layer type. `nullOnly` keys are accepted when null (or absent) and refused otherwise. */
export interface KeyTable {
  modelled: readonly string[];
  inert: readonly string[];
  nullOnly: readonly string[];
  /** Keys accepted only with this exact value (e.g. `sparse: false`). */
  fixed?: Readonly<Record<string, unknown>>;
}

const RECURRENT_COMMON = [
  'units',
  'activation',
  'use_bias',
  'return_sequences',
  'return_state',
  'go_backwards',
  'stateful',
  'dropout',
  'recurrent_dropout',
  'kernel_initializer',
  'recurrent_initializer',
  'bias_initializer',
  'kernel_regularizer',
  'recurrent_regularizer',
  'bias_regularizer',
  'seed',
];
const RECURRENT_INERT = [...COMMON_INERT, 'unroll', 'implementation', 'time_major', 'zero_output_for_mask', 'use_cudnn'];
const RECURRENT_NULL = ['activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint'];

/** The key tables, by Keras class name. */
export const KEY_TABLES: Readonly<Record<string, KeyTable>> = {
  SimpleRNN: { modelled: RECURRENT_COMMON, inert: RECURRENT_INERT, nullOnly: RECURRENT_NULL },
  LSTM: { modelled: [...RECURRENT_COMMON, 'recurrent_activation', 'unit_forget_bias'], inert: RECURRENT_INERT, nullOnly: RECURRENT_NULL },
  GRU: { modelled: [...RECURRENT_COMMON, 'recurrent_activation', 'reset_after'], inert: RECURRENT_INERT, nullOnly: RECURRENT_NULL },
  Bidirectional: { modelled: ['layer', 'merge_mode', 'backward_layer'], inert: COMMON_INERT, nullOnly: [] },
  Dense: {
    modelled: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer'],
    inert: COMMON_INERT,
    nullOnly: ['activity_regularizer', 'kernel_constraint', 'bias_constraint', 'lora_rank', 'quantization_config'],
  },
  Masking: { modelled: ['mask_value'], inert: COMMON_INERT, nullOnly: [] },
  Embedding: {
    modelled: ['input_dim', 'output_dim', 'embeddings_initializer', 'embeddings_regularizer', 'mask_zero', 'seed'],
    inert: [...COMMON_INERT, 'input_length'],
    nullOnly: ['activity_regularizer', 'embeddings_constraint', 'lora_rank', 'quantization_config'],
    fixed: { sparse: false },
  },
  Dropout: { modelled: ['rate', 'seed'], inert: COMMON_INERT, nullOnly: ['noise_shape'] },
  InputLayer: { modelled: [], inert: [...COMMON_INERT, 'optional'], nullOnly: [], fixed: { sparse: false, ragged: false } },
};

function unsupported(where: string, key: string, value: unknown, why: string): UnsupportedConfigError {
  return new UnsupportedConfigError(`${where}: key ${describe(key)} = ${describeShort(value)} is not supported: ${why}`);
}

function describeShort(value: unknown): string {
  const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : describe(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Checks every key of `config` against the class's table; throws on an unknown or non-null refused key. */
function checkKeys(className: string, config: Record<string, unknown>, where: string): void {
  const table = KEY_TABLES[className]!;
  for (const [key, value] of Object.entries(config)) {
    if (table.modelled.includes(key) || table.inert.includes(key)) continue;
    if (table.nullOnly.includes(key)) {
      if (value === null || value === undefined) continue;
      throw unsupported(where, key, value, 'only null is supported (constraints, activity regularisers and LoRA change training or outputs)');
    }
    if (table.fixed !== undefined && key in table.fixed) {
      if (value === table.fixed[key] || value === undefined) continue;
      throw unsupported(where, key, value, `only ${describe(table.fixed[key])} is supported`);
    }
    throw unsupported(where, key, value, `${className} has no such option here (modelled: ${table.modelled.join(', ')})`);
  }
}

// ---- values ----

const ACTIVATIONS_FROM_KERAS: Record<string, RecurrentActivationName | 'softmax'> = {
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  relu: 'relu',
  linear: 'linear',
  softsign: 'softsign',
  softmax: 'softmax',
};

function readActivation(value: unknown, ctx: ReadContext, where: string, key: string): RecurrentActivationName | 'softmax' {
  // Keras 3 may wrap it: { module, class_name: 'function', config: 'tanh', registered_name }.
  const name = typeof value === 'object' && value !== null && typeof (value as { config?: unknown }).config === 'string' ? (value as { config: string }).config : value;
  if (name === 'hard_sigmoid' || name === 'hardSigmoid') return ctx.keras3 ? 'hardSigmoid' : 'hardSigmoidKeras2';
  if (typeof name === 'string' && name in ACTIVATIONS_FROM_KERAS) return ACTIVATIONS_FROM_KERAS[name]!;
  throw unsupported(where, key, value, `expected one of ${[...Object.keys(ACTIVATIONS_FROM_KERAS), 'hard_sigmoid'].join(', ')}`);
}

function writeActivation(name: RecurrentActivationName | DenseActivation): string {
  return name === 'hardSigmoid' || name === 'hardSigmoidKeras2' ? 'hard_sigmoid' : name;
}

/** Keras initialiser classes (and their snake_case string spellings) → ours. */
const INITIALIZERS_FROM_KERAS: Record<string, InitializerName> = {
  GlorotUniform: 'glorotUniform',
  glorot_uniform: 'glorotUniform',
  GlorotNormal: 'glorotNormal',
  glorot_normal: 'glorotNormal',
  HeUniform: 'heUniform',
  he_uniform: 'heUniform',
  HeNormal: 'heNormal',
  he_normal: 'heNormal',
  LecunUniform: 'lecunUniform',
  LeCunUniform: 'lecunUniform',
  lecun_uniform: 'lecunUniform',
  Orthogonal: 'orthogonal',
  OrthogonalInitializer: 'orthogonal',
  orthogonal: 'orthogonal',
  Zeros: 'zeros',
  zeros: 'zeros',
  Ones: 'ones',
  ones: 'ones',
  RandomUniform: 'randomUniform',
  random_uniform: 'randomUniform',
};

/** VarianceScaling (scale, mode, distribution) → the named initialiser it equals. */
function varianceScalingName(config: Record<string, unknown>): InitializerName | null {
  const scale = config.scale ?? 1;
  const mode = String(config.mode ?? 'fan_in').replace('fanAvg', 'fan_avg').replace('fanIn', 'fan_in');
  const dist = String(config.distribution ?? 'truncated_normal');
  const normal = dist === 'normal' || dist === 'truncated_normal' || dist === 'truncatedNormal';
  if (scale === 1 && mode === 'fan_avg') return dist === 'uniform' ? 'glorotUniform' : normal ? 'glorotNormal' : null;
  if (scale === 2 && mode === 'fan_in') return dist === 'uniform' ? 'heUniform' : normal ? 'heNormal' : null;
  if (scale === 1 && mode === 'fan_in' && dist === 'uniform') return 'lecunUniform';
  return null;
}

function readInitializer(value: unknown, where: string, key: string): Initializer | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const name = INITIALIZERS_FROM_KERAS[value];
    if (name === undefined) throw unsupported(where, key, value, `unknown initialiser (known: ${Object.keys(INITIALIZERS_FROM_KERAS).join(', ')})`);
    return name;
  }
  const entry = value as { class_name?: unknown; config?: Record<string, unknown> };
  const config = entry.config ?? {};
  let name: InitializerName | null = null;
  if (entry.class_name === 'VarianceScaling') name = varianceScalingName(config);
  else if (typeof entry.class_name === 'string') name = INITIALIZERS_FROM_KERAS[entry.class_name] ?? null;
  if (name === 'orthogonal' && (config.gain ?? 1) !== 1) name = null;
  if (name === 'randomUniform' && ((config.minval ?? -0.05) !== -0.05 || (config.maxval ?? 0.05) !== 0.05)) name = null;
  if (name === null) throw unsupported(where, key, value, 'this initialiser has no equivalent here');
  const seed = config.seed;
  return typeof seed === 'number' && Number.isInteger(seed) ? { name, seed } : name;
}

const INITIALIZERS_TO_KERAS: Record<InitializerName, { class_name: string; config: Record<string, unknown> }> = {
  glorotUniform: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform' } },
  glorotNormal: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' } },
  heUniform: { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform' } },
  heNormal: { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' } },
  lecunUniform: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'uniform' } },
  orthogonal: { class_name: 'Orthogonal', config: { gain: 1 } },
  zeros: { class_name: 'Zeros', config: {} },
  ones: { class_name: 'Ones', config: {} },
  randomUniform: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05 } },
};

function writeInitializer(init: Initializer): { class_name: string; config: Record<string, unknown> } {
  const name = typeof init === 'string' ? init : init.name;
  const seed = typeof init === 'string' ? null : (init.seed ?? null);
  const base = INITIALIZERS_TO_KERAS[name];
  return { class_name: base.class_name, config: name === 'zeros' || name === 'ones' ? {} : { ...base.config, seed } };
}

function readRegularizer(value: unknown, where: string, key: string): Regularizer | undefined {
  if (value === null || value === undefined) return undefined;
  if (value === 'l1' || value === 'l2' || value === 'l1l2') return value;
  const entry = value as { class_name?: unknown; config?: Record<string, unknown> };
  const config = entry.config ?? {};
  const num = (k: string): number => {
    const v = config[k] ?? 0;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw unsupported(where, key, value, `${k} must be a non-negative number`);
    return v;
  };
  if (entry.class_name === 'L1L2' || entry.class_name === 'L1' || entry.class_name === 'L2') return { l1: num('l1'), l2: num('l2') };
  throw unsupported(where, key, value, 'expected an L1, L2 or L1L2 regulariser');
}

function writeRegularizer(reg: Regularizer | undefined): unknown {
  if (reg === undefined) return null;
  const { l1, l2 } = reg === 'l1' ? { l1: 0.01, l2: 0 } : reg === 'l2' ? { l1: 0, l2: 0.01 } : reg === 'l1l2' ? { l1: 0.01, l2: 0.01 } : { l1: reg.l1 ?? 0, l2: reg.l2 ?? 0 };
  return { class_name: 'L1L2', config: { l1, l2 } };
}

function readBool(value: unknown, where: string, key: string, fallback: boolean): boolean {
  if (value === null || value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ModelIOError(`${where}: key ${describe(key)}: expected true or false, received ${describe(value)}`);
  return value;
}

function readNumber(value: unknown, where: string, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ModelIOError(`${where}: key ${describe(key)}: expected a number, received ${describe(value)}`);
  return value;
}

function readSeed(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

// ---- reading ----

const RECURRENT_CLASSES: Record<string, CellType> = { SimpleRNN: 'simpleRNN', LSTM: 'lstm', GRU: 'gru' };

/** Keras's layer defaults where they differ from ours (Keras 2 / tfjs-layers GRU: reset_after false; Keras 3: true). */
function readRecurrent(className: string, config: Record<string, unknown>, ctx: ReadContext, where: string): RecurrentLayer {
  checkKeys(className, config, where);
  const cell = RECURRENT_CLASSES[className]!;
  const options: LSTMLayerOptions & GRULayerOptions = {
    units: readNumber(config.units, where, 'units'),
    returnSequences: readBool(config.return_sequences, where, 'return_sequences', false),
    returnState: readBool(config.return_state, where, 'return_state', false),
    goBackwards: readBool(config.go_backwards, where, 'go_backwards', false),
    stateful: readBool(config.stateful, where, 'stateful', false),
    useBias: readBool(config.use_bias, where, 'use_bias', true),
  };
  if (config.activation !== undefined) options.activation = readActivation(config.activation, ctx, where, 'activation') as RecurrentActivationName;
  if (config.recurrent_activation !== undefined) {
    options.recurrentActivation = readActivation(config.recurrent_activation, ctx, where, 'recurrent_activation') as RecurrentActivationName;
  } else if (cell !== 'simpleRNN') {
    // Keras 2 / tfjs-layers default: hard_sigmoid; Keras 3: sigmoid.
    options.recurrentActivation = ctx.keras3 ? 'sigmoid' : 'hardSigmoidKeras2';
  }
  if (config.dropout !== undefined && config.dropout !== null) options.dropout = readNumber(config.dropout, where, 'dropout');
  if (config.recurrent_dropout !== undefined && config.recurrent_dropout !== null) options.recurrentDropout = readNumber(config.recurrent_dropout, where, 'recurrent_dropout');
  const inits = [
    ['kernel_initializer', 'kernelInitializer'],
    ['recurrent_initializer', 'recurrentInitializer'],
    ['bias_initializer', 'biasInitializer'],
  ] as const;
  for (const [key, option] of inits) {
    const init = readInitializer(config[key], where, key);
    if (init !== undefined) options[option] = init;
  }
  const regs = [
    ['kernel_regularizer', 'kernelRegularizer'],
    ['recurrent_regularizer', 'recurrentRegularizer'],
    ['bias_regularizer', 'biasRegularizer'],
  ] as const;
  for (const [key, option] of regs) {
    const reg = readRegularizer(config[key], where, key);
    if (reg !== undefined) options[option] = reg;
  }
  if (cell === 'lstm') options.unitForgetBias = readBool(config.unit_forget_bias, where, 'unit_forget_bias', true);
  // Keras 2 and tfjs-layers default to reset_after false; Keras 3 to true.
  if (cell === 'gru') options.resetAfter = readBool(config.reset_after, where, 'reset_after', ctx.keras3);
  const seed = readSeed(config.seed);
  if (seed !== undefined) options.seed = seed;
  if (typeof config.name === 'string') options.name = config.name;
  return new RecurrentLayer(cell, options);
}

function readLayer(entry: unknown, ctx: ReadContext, where: string): Layer | null {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ModelIOError(`${where}: expected { class_name, config }, received ${describeShort(entry)}`);
  const { class_name: className, config, ...rest } = entry as KerasLayerJSON;
  for (const key of Object.keys(rest)) {
    if (!ENTRY_INERT.includes(key)) throw unsupported(where, key, rest[key], 'unknown key of a layer entry');
  }
  if (typeof className !== 'string') throw new ModelIOError(`${where}.class_name: expected a string, received ${describe(className)}`);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new ModelIOError(`${where}.config: expected an object, received ${describeShort(config)}`);
  const at = `${where} (${className}${typeof config.name === 'string' ? ` ${describe(config.name)}` : ''})`;
  if (!(className in KEY_TABLES)) {
    throw new UnsupportedConfigError(`${at}: layer class ${describe(className)} is not supported (supported: ${Object.keys(KEY_TABLES).join(', ')})`);
  }
  try {
    return readLayerConfig(className, config, ctx, at);
  } catch (e) {
    if (e instanceof ModelIOError) throw e;
    throw new ModelIOError(`${at}: ${(e as Error).message}`, { cause: e });
  }
}

function readLayerConfig(className: string, config: Record<string, unknown>, ctx: ReadContext, at: string): Layer | null {
  const name = typeof config.name === 'string' ? { name: config.name } : {};
  switch (className) {
    case 'InputLayer':
      checkKeys(className, config, at);
      return null;
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return readRecurrent(className, config, ctx, at);
    case 'Bidirectional': {
      checkKeys(className, config, at);
      const inner = config.layer as KerasLayerJSON | undefined;
      if (inner === null || typeof inner !== 'object' || !(inner.class_name in RECURRENT_CLASSES)) {
        throw new UnsupportedConfigError(`${at}: key "layer": expected a SimpleRNN, LSTM or GRU layer, received ${describeShort(inner)}`);
      }
      const layer = readRecurrent(inner.class_name, inner.config ?? {}, ctx, `${at}.layer`);
      const backward = config.backward_layer as KerasLayerJSON | undefined | null;
      if (backward !== undefined && backward !== null) {
        // Keras 3 writes the backward copy out; it must be the forward layer run backwards, as we build it.
        const b = readRecurrent(backward.class_name, backward.config ?? {}, ctx, `${at}.backward_layer`);
        if (b.cell !== layer.cell || b.config.units !== layer.config.units || b.config.goBackwards === layer.config.goBackwards) {
          throw unsupported(at, 'backward_layer', backward, 'only the forward layer run backwards is supported');
        }
      }
      const mergeMode = config.merge_mode === undefined ? 'concat' : (config.merge_mode as MergeMode);
      return new Bidirectional({ layer, mergeMode, ...name });
    }
    case 'Dense': {
      checkKeys(className, config, at);
      const kernelInitializer = readInitializer(config.kernel_initializer, at, 'kernel_initializer');
      const biasInitializer = readInitializer(config.bias_initializer, at, 'bias_initializer');
      const kernelRegularizer = readRegularizer(config.kernel_regularizer, at, 'kernel_regularizer');
      const biasRegularizer = readRegularizer(config.bias_regularizer, at, 'bias_regularizer');
      const activation = config.activation === undefined || config.activation === null ? 'linear' : readActivation(config.activation, ctx, at, 'activation');
      if (activation === 'hardSigmoid' || activation === 'hardSigmoidKeras2' || activation === 'softsign') {
        throw unsupported(at, 'activation', config.activation, 'a Dense layer here takes linear, sigmoid, softmax, tanh or relu');
      }
      return new Dense({
        units: readNumber(config.units, at, 'units'),
        activation,
        useBias: readBool(config.use_bias, at, 'use_bias', true),
        ...(kernelInitializer === undefined ? {} : { kernelInitializer }),
        ...(biasInitializer === undefined ? {} : { biasInitializer }),
        ...(kernelRegularizer === undefined ? {} : { kernelRegularizer }),
        ...(biasRegularizer === undefined ? {} : { biasRegularizer }),
        ...name,
      });
    }
    case 'Masking':
      checkKeys(className, config, at);
      return new Masking({ maskValue: config.mask_value === undefined ? 0 : readNumber(config.mask_value, at, 'mask_value'), ...name });
    case 'Embedding': {
      checkKeys(className, config, at);
      const embeddingsInitializer = readInitializer(config.embeddings_initializer, at, 'embeddings_initializer');
      const embeddingsRegularizer = readRegularizer(config.embeddings_regularizer, at, 'embeddings_regularizer');
      const seed = readSeed(config.seed);
      return new Embedding({
        inputDim: readNumber(config.input_dim, at, 'input_dim'),
        outputDim: readNumber(config.output_dim, at, 'output_dim'),
        maskZero: readBool(config.mask_zero, at, 'mask_zero', false),
        ...(embeddingsInitializer === undefined ? {} : { embeddingsInitializer }),
        ...(embeddingsRegularizer === undefined ? {} : { embeddingsRegularizer }),
        ...(seed === undefined ? {} : { seed }),
        ...name,
      });
    }
    case 'Dropout': {
      checkKeys(className, config, at);
      const seed = readSeed(config.seed);
      return new Dropout({ rate: readNumber(config.rate, at, 'rate'), ...(seed === undefined ? {} : { seed }), ...name });
    }
  }
  return null;
}

/** The Sequential topology read from a file: its layers, name and the input shape it declares (if any). */
export interface ReadTopology {
  name: string | undefined;
  layers: Layer[];
  /** From `batch_input_shape` / `batch_shape` / an InputLayer / Keras 3's `build_config`; null when absent. */
  inputShape: Shape | null;
}

/** Whether `modelTopology` comes from Keras 3 (by its `keras_version`). */
export function isKeras3(topology: Record<string, unknown>): boolean {
  const v = topology.keras_version;
  return typeof v === 'string' && /^3\./.test(v);
}

/** Reads a Keras / tfjs-layers `Sequential` topology into unbuilt layers. Throws {@link ModelIOError}s. */
export function readTopology(modelTopology: unknown): ReadTopology {
  if (modelTopology === null || typeof modelTopology !== 'object' || Array.isArray(modelTopology) || modelTopology instanceof ArrayBuffer) {
    throw new ModelIOError(`modelTopology: expected a Keras model JSON object, received ${describeShort(modelTopology)}`);
  }
  const top = modelTopology as Record<string, unknown>;
  // tensorflowjs_converter nests the Keras JSON under model_config.
  const model = (top.model_config ?? top) as { class_name?: unknown; config?: unknown };
  const ctx: ReadContext = { keras3: isKeras3(top) };
  if (model.class_name !== 'Sequential') {
    throw new UnsupportedConfigError(`modelTopology.class_name: expected "Sequential" (functional models are not supported), received ${describe(model.class_name)}`);
  }
  // Keras 2.2 wrote a bare array of layers as the Sequential config.
  const config = Array.isArray(model.config) ? { layers: model.config } : (model.config as { name?: unknown; layers?: unknown } | undefined);
  if (config === undefined || config === null || !Array.isArray(config.layers)) {
    throw new ModelIOError(`modelTopology.config.layers: expected an array of layers, received ${describeShort(config?.layers)}`);
  }
  let inputShape: Shape | null = null;
  const layers: Layer[] = [];
  config.layers.forEach((entry: unknown, i: number) => {
    const where = `modelTopology.config.layers[${i}]`;
    const e = entry as KerasLayerJSON;
    const c = e?.config ?? {};
    const declared = c.batch_input_shape ?? c.batch_shape ?? (e?.build_config as { input_shape?: unknown } | undefined)?.input_shape;
    if (inputShape === null && declared !== undefined && declared !== null && layers.length === 0) inputShape = readShape(declared, `${where}.config.batch_input_shape`);
    const layer = readLayer(entry, ctx, where);
    if (layer !== null) layers.push(layer);
  });
  if (layers.length === 0) throw new ModelIOError('modelTopology.config.layers: the model has no layers');
  return { name: typeof config.name === 'string' && /^[A-Za-z0-9_.-]+$/.test(config.name) ? config.name : undefined, layers, inputShape };
}

function readShape(value: unknown, where: string): Shape {
  if (!Array.isArray(value) || value.length < 2 || value.some((d) => d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 1))) {
    throw new ModelIOError(`${where}: expected [batch, steps, features] with positive integers or null, received ${describeShort(value)}`);
  }
  return value as Shape;
}

// ---- writing ----

function base(layer: Layer, inputShape: Shape | null): Record<string, unknown> {
  return { name: layer.name, trainable: true, dtype: 'float32', ...(inputShape === null ? {} : { batch_input_shape: [...inputShape] }) };
}

function writeRecurrent(layer: RecurrentLayer, inputShape: Shape | null): KerasLayerJSON {
  const c = layer.config;
  const config: Record<string, unknown> = {
    ...base(layer, inputShape),
    units: c.units,
    activation: writeActivation(c.activation),
    ...(layer.cell === 'simpleRNN' ? {} : { recurrent_activation: writeActivation(c.recurrentActivation) }),
    use_bias: c.useBias,
    kernel_initializer: writeInitializer(c.kernelInitializer),
    recurrent_initializer: writeInitializer(c.recurrentInitializer),
    bias_initializer: writeInitializer(c.biasInitializer),
    ...(layer.cell === 'lstm' ? { unit_forget_bias: c.unitForgetBias } : {}),
    kernel_regularizer: writeRegularizer(c.kernelRegularizer),
    recurrent_regularizer: writeRegularizer(c.recurrentRegularizer),
    bias_regularizer: writeRegularizer(c.biasRegularizer),
    activity_regularizer: null,
    kernel_constraint: null,
    recurrent_constraint: null,
    bias_constraint: null,
    dropout: c.dropout,
    recurrent_dropout: c.recurrentDropout,
    ...(layer.cell === 'gru' ? { reset_after: c.resetAfter } : {}),
    return_sequences: c.returnSequences,
    return_state: c.returnState,
    go_backwards: c.goBackwards,
    stateful: c.stateful,
    unroll: false,
    ...(layer.seed === undefined ? {} : { seed: layer.seed }),
  };
  return { class_name: layer.className, config };
}

/** Keras config of one layer (tfjs-layers' spelling); `inputShape` is written on the first layer only. */
export function writeLayer(layer: Layer, inputShape: Shape | null): KerasLayerJSON {
  if (layer instanceof RecurrentLayer) return writeRecurrent(layer, inputShape);
  if (layer instanceof Bidirectional) {
    const inner = writeRecurrent(layer.forwardLayer, null);
    // The inner layer's name without the forward_ prefix Bidirectional gives it (Keras adds it again on load).
    inner.config.name = layer.forwardLayer.name.replace(/^forward_/, '');
    delete inner.config.seed;
    return { class_name: 'Bidirectional', config: { ...base(layer, inputShape), layer: inner, merge_mode: layer.mergeMode } };
  }
  if (layer instanceof Dense) {
    const o = (layer as unknown as { options: { kernelInitializer?: Initializer; biasInitializer?: Initializer; kernelRegularizer?: Regularizer; biasRegularizer?: Regularizer } }).options;
    return {
      class_name: 'Dense',
      config: {
        ...base(layer, inputShape),
        units: layer.units,
        activation: writeActivation(layer.activation),
        use_bias: layer.useBias,
        kernel_initializer: writeInitializer(o.kernelInitializer ?? 'glorotUniform'),
        bias_initializer: writeInitializer(o.biasInitializer ?? 'zeros'),
        kernel_regularizer: writeRegularizer(o.kernelRegularizer),
        bias_regularizer: writeRegularizer(o.biasRegularizer),
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      },
    };
  }
  if (layer instanceof Masking) return { class_name: 'Masking', config: { ...base(layer, inputShape), mask_value: layer.maskValue } };
  if (layer instanceof Embedding) {
    const o = (layer as unknown as { options: { embeddingsInitializer?: Initializer; embeddingsRegularizer?: Regularizer } }).options;
    return {
      class_name: 'Embedding',
      config: {
        ...base(layer, inputShape),
        input_dim: layer.inputDim,
        output_dim: layer.outputDim,
        embeddings_initializer: writeInitializer(o.embeddingsInitializer ?? 'randomUniform'),
        embeddings_regularizer: writeRegularizer(o.embeddingsRegularizer),
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: layer.maskZero,
        ...(layer.seed === undefined ? {} : { seed: layer.seed }),
      },
    };
  }
  if (layer instanceof Dropout) {
    return { class_name: 'Dropout', config: { ...base(layer, inputShape), rate: layer.rate, noise_shape: null, seed: layer.seed ?? null } };
  }
  throw new ModelIOError(`save: layer ${describe(layer.name)} (${layer.className}) cannot be written in the Layers format`);
}

/** Which hard sigmoids a set of layers uses (a file can say only one meaning of `hard_sigmoid`). */
export function hardSigmoidKinds(layers: readonly Layer[]): Set<'keras2' | 'keras3'> {
  const kinds = new Set<'keras2' | 'keras3'>();
  const visit = (l: RecurrentLayer) => {
    const used = l.cell === 'simpleRNN' ? [l.config.activation] : [l.config.activation, l.config.recurrentActivation];
    for (const a of used) {
      if (a === 'hardSigmoid') kinds.add('keras3');
      if (a === 'hardSigmoidKeras2') kinds.add('keras2');
    }
  };
  for (const layer of layers) {
    if (layer instanceof RecurrentLayer) visit(layer);
    if (layer instanceof Bidirectional) visit(layer.forwardLayer);
  }
  return kinds;
}
