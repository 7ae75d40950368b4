import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError, describe } from '../errors.js';
import { SeededRandom, deriveSeed } from '../initializers.js';
import { checkOptions } from '../options.js';
import { assertBoolean, assertOneOf, assertPositiveInt } from '../validate.js';
import {
  type Initializer,
  type Regularizer,
  type Shape,
  assertFiniteNumber,
  assertInitializer,
  assertName,
  assertRate,
  assertRegularizer,
  assertSeed,
  dropoutMask,
} from './common.js';
import { Layer, type LayerCallArgs, type LayerOutput, type WeightSpec } from './layer.js';
import { DenseForward } from '../kernel_names.js';
import { useFusedKernel } from '../ops/fused_flag.js';

/** Activations of a Dense layer. */
export type DenseActivation = 'linear' | 'sigmoid' | 'softmax' | 'tanh' | 'relu';
/** Every Dense activation, for validation. */
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['linear', 'sigmoid', 'softmax', 'tanh', 'relu'];

/** Options of `layers.dense`. */
export interface DenseLayerOptions {
  units: number;
  /** Default 'linear' (cross-entropy losses then read the outputs as logits). */
  activation?: DenseActivation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: Initializer;
  /** Default 'zeros'. */
  biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  name?: string;
  seed?: number;
}

function checkRankAtLeast(layer: Layer, shape: Shape, rank: number, argument: string): void {
  if (shape.length < rank) {
    throw new ShapeError(`${argument}: layer ${describe(layer.name)} (${layer.className}) expects rank ≥ ${rank}, received ${describe(shape)}`);
  }
  assertPositiveInt(shape[shape.length - 1], `${argument}[${shape.length - 1}] features`);
}

function checkFloat(x: tf.Tensor, argument: string): void {
  if (x.dtype !== 'float32') throw new DTypeError(`${argument.replace(/, args\)$/, ')')}: expected dtype float32, received ${x.dtype}`);
}

/** A fully connected layer on the last axis (applied per timestep to sequences, as Keras does). */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  private readonly options: DenseLayerOptions;

  constructor(options: DenseLayerOptions) {
    checkOptions(
      options,
      {
        units: assertPositiveInt,
        activation: (v, a) => assertOneOf(v, DENSE_ACTIVATIONS, a),
        useBias: assertBoolean,
        kernelInitializer: assertInitializer,
        biasInitializer: assertInitializer,
        kernelRegularizer: assertRegularizer,
        biasRegularizer: assertRegularizer,
        name: assertName,
        seed: assertSeed,
      },
      'layers.dense(options)',
      ['units'],
    );
    super('dense', options.name, options.seed);
    this.options = options;
    this.units = options.units;
    this.activation = options.activation ?? 'linear';
    this.useBias = options.useBias ?? true;
  }

  protected weightSpecs(inputShape: Shape): WeightSpec[] {
    const inputSize = inputShape[inputShape.length - 1] as number;
    const o = this.options;
    const specs: WeightSpec[] = [
      { name: 'kernel', shape: [inputSize, this.units], initializer: o.kernelInitializer ?? 'glorotUniform', seedIndex: 0, ...(o.kernelRegularizer ? { regularizer: o.kernelRegularizer } : {}) },
    ];
    if (this.useBias) {
      specs.push({ name: 'bias', shape: [this.units], initializer: o.biasInitializer ?? 'zeros', seedIndex: 1, ...(o.biasRegularizer ? { regularizer: o.biasRegularizer } : {}) });
    }
    return specs;
  }

  checkInputShape(shape: Shape, argument: string): void {
    checkRankAtLeast(this, shape, 2, argument);
  }

  override checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    checkFloat(x, argument);
    super.checkCallArgs(x, args, argument);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  forward(x: tf.Tensor, args: LayerCallArgs): LayerOutput {
    const [kernel, bias] = this.variables as [tf.Variable, tf.Variable | undefined];
    const inputSize = x.shape[x.rank - 1]!;
    const a = x.rank === 2 ? x : tf.reshape(x, [-1, inputSize]);
    let out: tf.Tensor;
    if (!tf.engine().isTapeOn() && useFusedKernel(DenseForward)) {
      // Inference on a backend with a fused kernel: x·W + b in one dispatch (kernel_names.ts).
      const inputs: tf.NamedTensorMap = bias === undefined ? { x: a, kernel } : { x: a, kernel, bias };
      out = tf.engine().runKernel(DenseForward, inputs, {}) as tf.Tensor;
    } else {
      out = tf.matMul(a, kernel);
      if (bias !== undefined) out = tf.add(out, bias);
    }
    out = denseActivation(out, this.activation);
    if (x.rank !== 2) out = tf.reshape(out, [...x.shape.slice(0, -1), this.units]);
    return { outputs: [out], mask: args.mask ?? null };
  }
}

function denseActivation(z: tf.Tensor, activation: DenseActivation): tf.Tensor {
  switch (activation) {
    case 'linear':
      return z;
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'softmax':
      return tf.softmax(z);
    case 'tanh':
      return tf.tanh(z);
    case 'relu':
      return tf.relu(z);
  }
}

/** Options of `layers.masking`. */
export interface MaskingLayerOptions {
  /** Steps whose every feature equals this value are masked. Default 0. */
  maskValue?: number;
  name?: string;
}

/**
 * Masks the timesteps whose features all equal `maskValue` (padding) for the layers after it, and zeroes them
 * (Keras 3).
 */
export class Masking extends Layer {
  readonly className = 'Masking';
  readonly maskValue: number;

  constructor(options: MaskingLayerOptions = {}) {
    checkOptions(options, { maskValue: assertFiniteNumber, name: assertName }, 'layers.masking(options)');
    super('masking', options.name, undefined);
    this.maskValue = options.maskValue ?? 0;
  }

  protected weightSpecs(): WeightSpec[] {
    return [];
  }

  checkInputShape(shape: Shape, argument: string): void {
    if (shape.length !== 3) throw new ShapeError(`${argument}: layer ${describe(this.name)} (Masking) expects [batch, steps, features], received ${describe(shape)}`);
    assertPositiveInt(shape[2], `${argument}[2] features`);
  }

  override checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    checkFloat(x, argument);
    super.checkCallArgs(x, args, argument);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: tf.Tensor, args: LayerCallArgs): LayerOutput {
    const keep = tf.any(tf.notEqual(x, this.maskValue), -1);
    const output = tf.mul(x, tf.expandDims(tf.cast(keep, 'float32'), 2));
    const given = args.mask ?? null;
    return { outputs: [output], mask: given === null ? keep : tf.logicalAnd(keep, tf.cast(given, 'bool')) };
  }
}

/** Options of `layers.embedding`. */
export interface EmbeddingLayerOptions {
  /** Vocabulary size: token ids are in [0, inputDim). */
  inputDim: number;
  /** Size of each token's vector. */
  outputDim: number;
  /** Default 'randomUniform' (U(−0.05, 0.05), Keras's 'uniform'). */
  embeddingsInitializer?: Initializer;
  embeddingsRegularizer?: Regularizer;
  /** Token 0 is padding: masked for the layers after it. Default false. */
  maskZero?: boolean;
  name?: string;
  seed?: number;
}

/** Token ids [B, T] (int32, or float32 holding integers) → vectors [B, T, outputDim]. */
export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  private readonly options: EmbeddingLayerOptions;

  constructor(options: EmbeddingLayerOptions) {
    checkOptions(
      options,
      {
        inputDim: assertPositiveInt,
        outputDim: assertPositiveInt,
        embeddingsInitializer: assertInitializer,
        embeddingsRegularizer: assertRegularizer,
        maskZero: assertBoolean,
        name: assertName,
        seed: assertSeed,
      },
      'layers.embedding(options)',
      ['inputDim', 'outputDim'],
    );
    super('embedding', options.name, options.seed);
    this.options = options;
    this.inputDim = options.inputDim;
    this.outputDim = options.outputDim;
    this.maskZero = options.maskZero ?? false;
  }

  protected weightSpecs(): WeightSpec[] {
    const o = this.options;
    return [
      {
        name: 'embeddings',
        shape: [this.inputDim, this.outputDim],
        initializer: o.embeddingsInitializer ?? 'randomUniform',
        seedIndex: 0,
        ...(o.embeddingsRegularizer ? { regularizer: o.embeddingsRegularizer } : {}),
      },
    ];
  }

  checkInputShape(shape: Shape, argument: string): void {
    if (shape.length !== 2) throw new ShapeError(`${argument}: layer ${describe(this.name)} (Embedding) expects token ids [batch, steps], received ${describe(shape)}`);
  }

  override checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    if (x.dtype !== 'int32' && x.dtype !== 'float32') {
      throw new DTypeError(`${argument.replace(/, args\)$/, ')')}: expected token ids as int32 or float32, received ${x.dtype}`);
    }
    super.checkCallArgs(x, args, argument);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.outputDim];
  }

  forward(x: tf.Tensor, _args: LayerCallArgs): LayerOutput {
    const ids = x.dtype === 'int32' ? x : tf.cast(x, 'int32');
    const [batch, steps] = x.shape as [number, number];
    const output = tf.reshape(tf.gather(this.variables[0]!, tf.reshape(ids, [-1])), [batch, steps, this.outputDim]);
    return { outputs: [output], mask: this.maskZero ? tf.notEqual(ids, 0) : null };
  }
}

/** Options of `layers.dropout`. */
export interface DropoutLayerOptions {
  /** Fraction of the inputs set to zero in training (the rest scaled by 1/(1 − rate)). */
  rate: number;
  name?: string;
  seed?: number;
}

/** Inverted dropout in training (seeded masks), the identity otherwise. */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  private rng: SeededRandom | null = null;

  constructor(options: DropoutLayerOptions) {
    checkOptions(options, { rate: assertRate, name: assertName, seed: assertSeed }, 'layers.dropout(options)', ['rate']);
    super('dropout', options.name, options.seed);
    this.rate = options.rate;
  }

  protected weightSpecs(): WeightSpec[] {
    return [];
  }

  checkInputShape(shape: Shape, argument: string): void {
    checkRankAtLeast(this, shape, 2, argument);
  }

  override checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    checkFloat(x, argument);
    super.checkCallArgs(x, args, argument);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: tf.Tensor, args: LayerCallArgs): LayerOutput {
    if (args.training !== true || this.rate === 0) return { outputs: [tf.clone(x)], mask: args.mask ?? null };
    this.rng ??= new SeededRandom(deriveSeed(this.seed ?? 0, 0));
    return { outputs: [tf.mul(x, dropoutMask(x.shape, this.rate, this.rng))], mask: args.mask ?? null };
  }
}
