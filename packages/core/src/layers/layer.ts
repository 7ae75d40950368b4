import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DTypeError, DisposedError, NotBuiltError, ShapeError, WeightsError, describe } from '../errors.js';
import { deriveSeed } from '../initializers.js';
import { assertAllocation, float32Bytes } from '../limits.js';
import { checkOptions } from '../options.js';
import { assertBoolean } from '../validate.js';
import { type Initializer, type Regularizer, type Shape, initialValues, penalty, uniqueLayerName } from './common.js';

/** How a layer's weight is made: its name (Keras's), shape, initialiser and optional penalty. */
export interface WeightSpec {
  name: string;
  shape: number[];
  initializer: Initializer;
  /** Index of the seed stream derived from the layer's seed. */
  seedIndex: number;
  regularizer?: Regularizer;
  /** Values to use instead of the initialiser (e.g. LSTM's unit forget bias). */
  values?: (seed: number) => Float32Array;
}

/** Per-call arguments a layer may use. */
export interface LayerCallArgs {
  /** [B, T] mask (bool or float): 0 = padded step. */
  mask?: tf.Tensor | null;
  /** Training mode (dropout active). Default false. */
  training?: boolean;
  /** Initial states of a recurrent layer: [h] or [h, c] (LSTM), each [B, units]. */
  initialState?: tf.Tensor | tf.Tensor[];
}

/** What one layer hands to the next inside a model. */
export interface LayerOutput {
  outputs: tf.Tensor[];
  mask: tf.Tensor | null;
}

let variableCounter = 0;

/**
 * The base of every layer: a name, weights created from a seed at `build`, Keras-order `getWeights` /
 * `setWeights`, `countParams`, regularisation penalties, and `apply` (build on first use, then run).
 */
export abstract class Layer {
  /** The layer's name (unique, Keras style: `lstm`, `lstm_1`, …). */
  readonly name: string;
  /** Keras class name shown by `summary()` (`LSTM`, `Dense`, …). */
  abstract readonly className: string;
  /** Seed of the initial weights (and dropout); assigned by the model when absent. */
  seed: number | undefined;
  protected builtShape: Shape | null = null;
  protected variables: tf.Variable[] = [];
  protected specs: WeightSpec[] = [];
  private disposed = false;

  protected constructor(baseName: string, name: string | undefined, seed: number | undefined) {
    this.name = name ?? uniqueLayerName(baseName);
    this.seed = seed;
  }

  /** Whether the weights exist. */
  get built(): boolean {
    return this.builtShape !== null;
  }

  /** The input shape the layer was built for, or null. */
  get inputShape(): Shape | null {
    return this.builtShape;
  }

  /** The weights this layer needs for `inputShape` (Keras order). */
  protected abstract weightSpecs(inputShape: Shape): WeightSpec[];

  /** The output shape for `inputShape` (the first output when the layer returns several). */
  abstract computeOutputShape(inputShape: Shape): Shape;

  /** Shapes of every output (more than one for a recurrent layer with `returnState`). */
  computeOutputShapes(inputShape: Shape): Shape[] {
    return [this.computeOutputShape(inputShape)];
  }

  /** Runs the layer (weights exist, input validated). Returns every output and the mask for the next layer. */
  abstract forward(x: tf.Tensor, args: LayerCallArgs): LayerOutput;

  /** Checks an input shape for this layer; throws a typed error naming `argument`. */
  abstract checkInputShape(shape: Shape, argument: string): void;

  /**
   * Creates the weights for `inputShape` from the seed. Building again with a compatible shape is a no-op
   * (Keras); an incompatible one throws.
   */
  build(inputShape: Shape): void {
    this.assertUsable();
    const argument = `${this.name}.build(inputShape)`;
    if (!Array.isArray(inputShape)) throw new ShapeError(`${argument}: expected an array shape, received ${describe(inputShape)}`);
    this.checkInputShape(inputShape, argument);
    if (this.builtShape !== null) {
      if (!compatible(this.builtShape, inputShape)) {
        throw new ShapeError(`${argument}: the layer is already built for ${describe(this.builtShape)}, received ${describe(inputShape)}`);
      }
      return;
    }
    const specs = this.weightSpecs(inputShape);
    const total = specs.reduce((n, s) => n + float32Bytes(s.shape), 0);
    assertAllocation(total, `the weights of layer ${describe(this.name)}`, argument);
    const seed = (this.seed ??= Math.floor(Math.random() * 2 ** 31));
    const tensors = specs.map((s) => {
      const stream = deriveSeed(seed, s.seedIndex);
      const values = s.values ? s.values(stream) : initialValues(s.initializer, s.shape, stream);
      return tf.tensor(values, s.shape, 'float32');
    });
    this.adopt(inputShape, specs, tensors);
  }

  /** Builds from existing values (no initialisers run); takes ownership of `tensors`. */
  protected adopt(inputShape: Shape, specs: WeightSpec[], tensors: tf.Tensor[]): void {
    const id = variableCounter++;
    this.variables = tensors.map((t, i) => {
      const v = tf.variable(t, true, `${this.name}#${id}/${specs[i]!.name}`);
      t.dispose();
      return v;
    });
    this.specs = specs;
    this.builtShape = [...inputShape];
    this.onBuilt(inputShape);
  }

  /** Hook for layers that build sub-layers or state after their own weights. */
  protected onBuilt(_inputShape: Shape): void {}

  /**
   * Runs the layer on `x`, building it from `x`'s shape on first use. Returns the output, or every output
   * (recurrent layers with `returnState`: [output, ...states]). The caller owns the returned tensors.
   */
  apply(x: tf.Tensor, args: LayerCallArgs = {}): tf.Tensor | tf.Tensor[] {
    this.assertUsable();
    const argument = `${this.name}.apply(x)`;
    if (!(x instanceof tf.Tensor) || x.isDisposed) throw new ShapeError(`${argument}: expected a tensor, received ${describe(x)}`);
    checkOptions(args, { mask: null, training: assertBoolean, initialState: null }, `${this.name}.apply(x, args)`);
    this.checkInputShape(x.shape, argument);
    if (this.built && !compatible(this.builtShape!, x.shape)) {
      throw new ShapeError(`${argument}: the layer was built for ${describe(this.builtShape)}, received shape ${describe(x.shape)}`);
    }
    // Every argument is checked before the first call builds anything: a failed call changes nothing.
    this.checkCallArgs(x, args, `${this.name}.apply(x, args)`);
    if (!this.built) this.build(this.buildShapeFor(x.shape));
    const result = tf.tidy(() => {
      const { outputs } = this.forward(x, args);
      return outputs;
    });
    return result.length === 1 ? result[0]! : result;
  }

  /** The shape to build for when the first call sees `shape` (batch and time left open). */
  buildShapeFor(shape: readonly number[]): Shape {
    return [null, ...shape.slice(1)];
  }

  /** Validates per-call arguments against `x` (masks, initial states). Throws before anything runs. */
  checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    if (args.mask !== undefined && args.mask !== null) checkMask(args.mask, x, `${argument}.mask`);
    if (args.initialState !== undefined) {
      throw new ConfigError(`${argument}.initialState: layer ${describe(this.name)} (${this.className}) takes no initial state`);
    }
  }

  /** The weights' names in Keras order (`kernel`, `recurrent_kernel`, `bias`, …). */
  weightNames(): string[] {
    this.requireBuilt('weightNames()');
    return this.specs.map((s) => s.name);
  }

  /** Copies of the weights in Keras order; the caller owns them. */
  getWeights(): tf.Tensor[] {
    this.requireBuilt('getWeights()');
    return this.variables.map((v) => tf.clone(v));
  }

  /** The live variables in Keras order (for training). */
  trainableVariables(): tf.Variable[] {
    return this.built ? [...this.variables] : [];
  }

  /** Number of weight arrays this layer holds (or will hold for `inputShape`). */
  weightCount(inputShape: Shape): number {
    return this.weightSpecs(inputShape).length;
  }

  /**
   * Validates `weights` (Keras order) for this layer without changing anything; `offset` is their index in
   * the model's list (for messages).
   */
  checkWeights(weights: readonly tf.Tensor[], inputShape: Shape, offset: number, method = 'setWeights'): void {
    const specs = this.weightSpecs(inputShape);
    specs.forEach((s, i) => {
      const w = weights[i];
      const what = `${method}(weights[${offset + i}] ${this.name}/${s.name})`;
      if (!(w instanceof tf.Tensor) || w.isDisposed) throw new WeightsError(`${what}: expected a tensor of shape ${describe(s.shape)}, received ${describe(w)}`);
      if (w.dtype !== 'float32') throw new WeightsError(`${what}: expected dtype float32, received ${w.dtype}`);
      if (w.shape.length !== s.shape.length || w.shape.some((d, k) => d !== s.shape[k])) {
        throw new WeightsError(`${what}: expected shape ${describe(s.shape)}, received ${describe(w.shape)}`);
      }
    });
  }

  /** Replaces the weights (Keras order). Validates everything before changing anything. */
  setWeights(weights: readonly tf.Tensor[]): void {
    const argument = `${this.name}.setWeights(weights)`;
    const shape = this.requireBuilt(argument);
    const names = this.specs.map((s) => s.name);
    if (!Array.isArray(weights) || weights.length !== names.length) {
      throw new WeightsError(
        `${argument}: expected ${names.length} tensors (${names.join(', ')}), received ${Array.isArray(weights) ? weights.length : describe(weights)}`,
      );
    }
    this.checkWeights(weights, shape, 0);
    this.assignWeights(weights);
  }

  /** Assigns already-validated weights (Keras order). */
  assignWeights(weights: readonly tf.Tensor[]): void {
    this.variables.forEach((v, i) => v.assign(weights[i]!));
  }

  /** Builds with the given (validated) weights instead of running the initialisers; copies them. */
  buildWithWeights(inputShape: Shape, weights: readonly tf.Tensor[]): void {
    this.adopt(inputShape, this.weightSpecs(inputShape), weights.map((w) => tf.clone(w)));
  }

  /** Parameters of this layer for `inputShape` (its built shape by default). */
  countParams(inputShape?: Shape): number {
    const shape = inputShape ?? this.requireBuilt(`${this.name}.countParams()`);
    return this.weightSpecs(shape).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Σ of the weight penalties (L1/L2), or null when the layer has none. */
  regularizationLoss(): tf.Scalar | null {
    const terms: tf.Scalar[] = [];
    this.specs.forEach((s, i) => {
      if (s.regularizer === undefined) return;
      const p = penalty(s.regularizer, this.variables[i]!);
      if (p !== null) terms.push(p);
    });
    if (terms.length === 0) return null;
    if (terms.length === 1) return terms[0]!;
    const sum = tf.addN(terms) as tf.Scalar;
    tf.dispose(terms);
    return sum;
  }

  /** Frees the weights (and any state). */
  dispose(): void {
    if (this.disposed) return;
    tf.dispose(this.variables);
    this.variables = [];
    this.builtShape = null;
    this.disposed = true;
  }

  protected requireBuilt(argument: string): Shape {
    this.assertUsable();
    if (this.builtShape === null) throw new NotBuiltError(`${argument}: layer ${describe(this.name)} is not built yet; build it or call it first`);
    return this.builtShape;
  }

  protected assertUsable(): void {
    if (this.disposed) throw new DisposedError(`layer ${describe(this.name)} was disposed`);
  }
}

/** Whether a concrete or partial shape fits a built shape (null = any). */
export function compatible(built: Shape, shape: Shape): boolean {
  return built.length === shape.length && built.every((d, i) => d === null || shape[i] === null || d === shape[i]);
}

/** Checks a [B, T] mask for x [B, T, …]: a live bool/float tensor of that shape. */
export function checkMask(mask: unknown, x: tf.Tensor, argument: string): void {
  const want = [x.shape[0]!, x.shape[1]!];
  if (!(mask instanceof tf.Tensor) || mask.isDisposed || mask.rank !== 2 || mask.shape[0] !== want[0] || mask.shape[1] !== want[1]) {
    throw new ShapeError(`${argument}: expected a tensor of shape ${describe(want)} ([batch, steps]), received ${describe(mask)}`);
  }
  if (mask.dtype !== 'bool' && mask.dtype !== 'float32') {
    throw new DTypeError(`${argument}: expected dtype bool or float32, received ${mask.dtype}`);
  }
}
