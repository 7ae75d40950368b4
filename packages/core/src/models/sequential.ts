import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DTypeError, NotBuiltError, ShapeError, WeightsError, describe } from '../errors.js';
import { assertModelFree } from '../busy.js';
import { deriveSeed } from '../initializers.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { type Shape, assertName, assertSeed, uniqueLayerName } from '../layers/common.js';
import { Dense, Embedding } from '../layers/core_layers.js';
import { Layer, checkMask, compatible } from '../layers/layer.js';
import { RecurrentLayer } from '../layers/recurrent.js';
import { gateCount } from '../layers/recurrence.js';
import { float32Bytes } from '../limits.js';
import { checkOptions } from '../options.js';
import { formatSummary, type SummaryOptions } from '../summary.js';
import type { OutputActivation } from '../training/losses.js';
import type { CompileConfig } from '../training/trainer.js';
import { assertBoolean, assertPositiveInt } from '../validate.js';
import { loadWeightsInto, saveModel, type SaveOptions } from '../io/model_io.js';
import { ModelBase } from './model_base.js';

/** Options of {@link sequential}. */
export interface SequentialConfig {
  /** The layers, applied in order; each must return one tensor (no `returnState`, no `mergeMode: null`). */
  layers: Layer[];
  /** Model name shown by `summary()`; Keras-style unique names by default. */
  name?: string;
  /** Seed from which every layer without its own seed derives one (and `fit` its shuffling). */
  seed?: number;
}

/** Options of {@link Sequential.call}. */
export interface SequentialCallOptions {
  /** [B, T] (bool or float): 0 marks a padded step, for the layers that take masks. */
  mask?: tf.Tensor;
  /** Training mode: dropout on. Default false. */
  training?: boolean;
}

/** Options of {@link Sequential.predict}. */
export interface SequentialPredictOptions {
  /** Examples per forward pass. Default 32 (Keras). */
  batchSize?: number;
}

/**
 * Layers applied one after another (Keras `Sequential`), with the model surface of `BasicRNN`: build, call,
 * predict, Keras-order weights, countParams, summary, compile / trainOnBatch / fit / evaluate, dispose; plus
 * `resetStates()` for stateful layers.
 */
export class Sequential extends ModelBase {
  readonly layers: readonly Layer[];
  override readonly name: string;
  override readonly seed: number;
  private builtShape: Shape | null = null;

  constructor(config: SequentialConfig) {
    super();
    const where = 'sequential(config)';
    checkOptions(
      config,
      {
        layers: (v, a) => {
          if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${a}: expected a non-empty array of layers, received ${describe(v)}`);
          v.forEach((layer, i) => {
            if (!(layer instanceof Layer)) throw new ConfigError(`${a}[${i}]: expected a layer (from layers.*), received ${describe(layer)}`);
            if (v.indexOf(layer) !== i) throw new ConfigError(`${a}[${i}]: layer ${describe(layer.name)} appears twice`);
            const multi =
              (layer instanceof RecurrentLayer && layer.config.returnState) || (layer instanceof Bidirectional && !layer.singleOutput);
            if (multi) {
              throw new ConfigError(
                `${a}[${i}]: layer ${describe(layer.name)} returns several tensors (returnState or mergeMode: null); a sequential model needs one output per layer`,
              );
            }
            if (layer instanceof Embedding && i !== 0) throw new ConfigError(`${a}[${i}]: an embedding layer must come first (it takes token ids)`);
          });
        },
        name: assertName,
        seed: assertSeed,
      },
      where,
      ['layers'],
    );
    this.layers = [...config.layers];
    this.name = config.name ?? uniqueLayerName('sequential');
    this.seed = config.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.layers.forEach((layer, i) => {
      layer.seed ??= deriveSeed(this.seed, 100 + i);
    });
  }

  /** Whether the weights exist. */
  get isBuilt(): boolean {
    return this.builtShape !== null;
  }

  /** Input rank: 2 (token ids) when the first layer is an embedding, else 3 ([batch, steps, features]). */
  get inputRank(): number {
    return this.layers[0] instanceof Embedding ? 2 : 3;
  }

  /** The last layer's activation (a linear head makes cross-entropy losses read logits). */
  override get outputActivation(): OutputActivation {
    const last = this.layers[this.layers.length - 1];
    if (last instanceof Dense && (last.activation === 'sigmoid' || last.activation === 'softmax')) return last.activation;
    return 'linear';
  }

  /** Width of the output's last axis (from the built shapes, or the last layer's units before building). */
  override get outputSize(): number {
    if (this.builtShape !== null) return this.outputShapeOf(this.builtShape).at(-1) as number;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      if (layer instanceof Dense) return layer.units;
      if (layer instanceof RecurrentLayer) return layer.config.units;
      if (layer instanceof Bidirectional) return layer.forwardLayer.config.units * (layer.mergeMode === 'concat' ? 2 : 1);
      if (layer instanceof Embedding) return layer.outputDim;
    }
    return 1;
  }

  /**
   * Creates every layer's weights for `inputShape`: [batch, steps, features] (or [batch, steps] when the first
   * layer is an embedding); batch and steps may be null (any), except that stateful layers need a fixed batch.
   */
  build(inputShape: Shape): void {
    this.assertUsable();
    const argument = 'build(inputShape)';
    this.checkShape(inputShape, argument);
    if (this.builtShape !== null) {
      if (!compatible(this.builtShape, inputShape)) {
        throw new ShapeError(`${argument}: the model is already built for ${describe(this.builtShape)}, received ${describe(inputShape)}`);
      }
      return;
    }
    // Check every layer's shape before creating any weight, so a failed build changes nothing.
    this.outputShapeOf(inputShape, true);
    let shape: Shape = inputShape;
    for (const layer of this.layers) {
      layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
    this.builtShape = [...inputShape];
  }

  /**
   * The forward pass: the output tensor (Keras). Builds the model from `x` on first use. Synchronous and
   * differentiable; the caller owns the result.
   */
  call(x: tf.Tensor, options: SequentialCallOptions = {}): tf.Tensor {
    this.assertUsable();
    checkOptions(options, { mask: null, training: assertBoolean }, 'call(x, options)');
    this.checkInput(x, 'call(x)');
    if (options.mask !== undefined) checkMask(options.mask, x, 'call(x, options).mask');
    this.ensureBuilt(x, 'call(x)');
    this.checkLayerArgs(x, 'call(x)');
    return tf.tidy(() => this.run(x, options.mask ?? null, options.training === true));
  }

  /** The output computed `batchSize` examples at a time (Keras `predict`). */
  predict(x: tf.Tensor, options: SequentialPredictOptions = {}): tf.Tensor {
    this.assertUsable();
    checkOptions(options, { batchSize: assertPositiveInt }, 'predict(x, options)');
    const batchSize = options.batchSize ?? 32;
    this.checkInput(x, 'predict(x)');
    this.ensureBuilt(x, 'predict(x)');
    this.checkLayerArgs(x, 'predict(x)');
    const total = x.shape[0];
    if (total <= batchSize) return tf.tidy(() => this.run(x, null, false));
    if (this.layers.some(isStateful)) {
      throw new ConfigError(`predict(x, { batchSize }): a stateful model runs the whole batch at once; pass batchSize ≥ ${total}`);
    }
    return tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < total; start += batchSize) {
        const size = Math.min(batchSize, total - start);
        const begin = x.shape.map((_, i) => (i === 0 ? start : 0));
        const sizes = x.shape.map((d, i) => (i === 0 ? size : d));
        parts.push(this.run(tf.slice(x, begin, sizes), null, false));
      }
      return tf.concat(parts, 0);
    });
  }

  /** Copies of every weight in Keras order, layer by layer (bidirectional: forward layer's, then backward's). */
  override getWeights(): tf.Tensor[] {
    this.requireBuilt('getWeights()');
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** `layer/weight` names in the order of {@link getWeights}. */
  weightNames(): string[] {
    this.requireBuilt('weightNames()');
    return this.layers.flatMap((l) => l.weightNames().map((w) => `${l.name}/${w}`));
  }

  /**
   * Replaces every weight (the order of {@link getWeights}). On an unbuilt model with an input shape known
   * from a first layer's kernel this is not possible: build first. Validates everything before changing anything.
   */
  override setWeights(weights: readonly tf.Tensor[]): void {
    const shape = this.requireBuilt('setWeights(weights)');
    assertModelFree(this, 'setWeights(weights)');
    const counts = this.layerShapes(shape).map(([layer, s]) => layer.weightCount(s));
    const total = counts.reduce((a, b) => a + b, 0);
    if (!Array.isArray(weights) || weights.length !== total) {
      throw new WeightsError(
        `setWeights(weights): expected ${total} tensors (${this.weightNames().join(', ')}), received ${Array.isArray(weights) ? weights.length : describe(weights)}`,
      );
    }
    let offset = 0;
    this.layerShapes(shape).forEach(([layer, s], i) => {
      layer.checkWeights(weights.slice(offset, offset + counts[i]!), s, offset);
      offset += counts[i]!;
    });
    offset = 0;
    this.layers.forEach((layer, i) => {
      layer.assignWeights(weights.slice(offset, offset + counts[i]!));
      offset += counts[i]!;
    });
  }

  /**
   * Saves the model in the TF.js Layers format (model.json + weights) to a tfjs URL (`indexeddb://`,
   * `localstorage://`, `downloads://`, `http(s)://`, `file://` after `import '@basicrnn/core/node'`) or an
   * IOHandler. Allowed while `fit` runs: the weights of one step boundary are saved. `quantize` stores the
   * weights as float16 / uint8 / uint16.
   */
  save(destination: string | tf.io.IOHandler, options?: SaveOptions): Promise<tf.io.SaveResult> {
    return saveModel(this, destination, options);
  }

  /**
   * Replaces the weights with the ones saved at `source` (matched by name, every byte checked first). Atomic:
   * on any failure the model is unchanged. Refused with BusyError while the model trains.
   */
  loadWeights(source: string | tf.io.IOHandler): Promise<void> {
    return loadWeightsInto(this, source);
  }

  /** Total number of weights. */
  countParams(): number {
    const shape = this.requireBuilt('countParams()');
    return this.layerShapes(shape).reduce((n, [layer, s]) => n + layer.countParams(s), 0);
  }

  /** Returns the Keras-style summary table and prints it through `printFn` (default `console.log`). */
  summary(options: SummaryOptions = {}): string {
    const shape = this.requireBuilt('summary()');
    checkOptions(
      options,
      {
        printFn: (v, a) => {
          if (typeof v !== 'function') throw new ConfigError(`${a}: expected a function, received ${describe(v)}`);
        },
        lineLength: assertPositiveInt,
      },
      'summary(options)',
    );
    const rows = this.layerShapes(shape).map(([layer, s]) => ({
      name: layer.name,
      type: layer.className,
      outputShape: layer.computeOutputShape(s),
      params: layer.countParams(s),
    }));
    const text = formatSummary(this.name, rows, options.lineLength);
    const printFn = options.printFn ?? ((line: string) => console.log(line));
    for (const line of text.split('\n')) printFn(line);
    return text;
  }

  /** Sets the states of every stateful layer back to zeros. */
  resetStates(): void {
    this.assertUsable();
    const stateful = this.layers.filter(isStateful);
    if (stateful.length === 0) throw new ConfigError('resetStates(): the model has no stateful layer (create one with stateful: true)');
    for (const layer of stateful) (layer as RecurrentLayer | Bidirectional).resetStates();
  }

  /** Prepares training (Keras `compile`); refused for a model without a layer that has weights. */
  override compile(config: CompileConfig): void {
    this.assertUsable();
    assertModelFree(this, 'compile(config)');
    if (!this.layers.some((l) => l instanceof RecurrentLayer || l instanceof Bidirectional || l instanceof Dense || l instanceof Embedding)) {
      throw new ConfigError(`compile(config): model ${describe(this.name)} has no layer with weights to train`);
    }
    super.compile(config);
  }

  /** @internal Frees every layer's weights (from `dispose`). */
  protected override disposeWeights(): void {
    for (const layer of this.layers) layer.dispose();
    this.builtShape = null;
  }

  // ---- TrainableModel ----

  /** @internal Validates `x`: rank, dtype, and the built input spec. */
  override checkInput(x: tf.Tensor, argument: string): void {
    this.assertUsable();
    const rank = this.inputRank;
    if (!(x instanceof tf.Tensor) || x.isDisposed) throw new ShapeError(`${argument}: expected a rank-${rank} tensor, received ${describe(x)}`);
    if (x.rank !== rank) throw new ShapeError(`${argument}: expected rank ${rank}, received rank ${x.rank} (shape ${describe(x.shape)})`);
    const ok = rank === 2 ? x.dtype === 'int32' || x.dtype === 'float32' : x.dtype === 'float32';
    if (!ok) throw new DTypeError(`${argument}: expected dtype ${rank === 2 ? 'int32 or float32 (token ids)' : 'float32'}, received ${x.dtype}`);
    if (x.shape.some((d) => d < 1)) throw new ShapeError(`${argument}: expected at least one example and one timestep, received shape ${describe(x.shape)}`);
    if (this.builtShape !== null && !compatible(this.builtShape, x.shape)) {
      throw new ShapeError(`${argument}: the model was built for ${describe(this.builtShape)}, received shape ${describe(x.shape)}`);
    }
  }

  /** @internal Builds from `x` when unbuilt (batch left open unless a layer is stateful). */
  override ensureBuilt(x: tf.Tensor, _argument: string): void {
    if (this.builtShape !== null) return;
    const fixedBatch = this.layers.some(isStateful);
    this.build([fixedBatch ? x.shape[0]! : null, null, ...x.shape.slice(2)]);
  }

  /** @internal The output shape for input `x`. */
  override outputShape(x: tf.Tensor): number[] {
    return this.outputShapeOf(x.shape) as number[];
  }

  /** @internal Output only (the trainer validated `x`). */
  override forward(x: tf.Tensor, training = false): tf.Tensor {
    return tf.tidy(() => this.run(x, null, training));
  }

  /** @internal The live variables of every layer, in weight order. */
  override trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.trainableVariables());
  }

  /**
   * @internal Bytes a pass over `inputShape` keeps alive (an estimate for the allocation limit): every layer's output,
   * and for recurrent layers their [B, T, units] states and gate pre-activations; a training step keeps about three
   * times the recurrences (the tape and the gradients flowing back through time).
   */
  override activationBytes(inputShape: readonly number[], training: boolean): number {
    let shape: Shape = [...inputShape];
    let bytes = float32Bytes(inputShape);
    const [batch, steps] = inputShape as [number, number];
    for (const layer of this.layers) {
      const recurrent = layer instanceof RecurrentLayer ? layer : layer instanceof Bidirectional ? layer.forwardLayer : null;
      if (recurrent !== null) {
        const directions = layer instanceof Bidirectional ? 2 : 1;
        bytes += directions * float32Bytes([batch, steps, recurrent.config.units]) * (1 + gateCount(recurrent.cell)) * (training ? 3 : 1);
      }
      shape = layer.computeOutputShape(shape);
      bytes += float32Bytes(shape.map((d) => d ?? 1)) * (training ? 2 : 1);
    }
    return bytes;
  }

  /** @internal Σ of every layer's weight penalties, or null. */
  override regularizationLoss(): tf.Scalar | null {
    const terms = this.layers.map((l) => l.regularizationLoss()).filter((t): t is tf.Scalar => t !== null);
    if (terms.length === 0) return null;
    if (terms.length === 1) return terms[0]!;
    const sum = tf.addN(terms) as tf.Scalar;
    tf.dispose(terms);
    return sum;
  }

  private run(x: tf.Tensor, mask: tf.Tensor | null, training: boolean): tf.Tensor {
    let out = x;
    let m = mask;
    for (const layer of this.layers) {
      const result = layer.forward(out, { mask: m, training });
      out = result.outputs[0]!;
      m = result.mask;
    }
    return out;
  }

  /** Stateful layers run only the batch size they were built for. */
  private checkLayerArgs(x: tf.Tensor, argument: string): void {
    for (const layer of this.layers) {
      if (layer instanceof RecurrentLayer) layer.checkBatch(x.shape[0]!, argument);
      if (layer instanceof Bidirectional) layer.forwardLayer.checkBatch(x.shape[0]!, argument);
    }
  }

  private layerShapes(inputShape: Shape): [Layer, Shape][] {
    const out: [Layer, Shape][] = [];
    let shape = inputShape;
    for (const layer of this.layers) {
      out.push([layer, shape]);
      shape = layer.computeOutputShape(shape);
    }
    return out;
  }

  private outputShapeOf(inputShape: Shape, check = false): Shape {
    let shape = inputShape;
    for (const layer of this.layers) {
      if (check) layer.checkInputShape(shape, `build(inputShape) at layer ${describe(layer.name)}`);
      shape = layer.computeOutputShape(shape);
    }
    return shape;
  }

  private checkShape(inputShape: unknown, argument: string): asserts inputShape is Shape {
    const rank = this.inputRank;
    if (!Array.isArray(inputShape) || inputShape.length !== rank) {
      throw new ShapeError(`${argument}: expected ${rank === 2 ? '[batch, steps]' : '[batch, steps, features]'} (rank ${rank}), received ${describe(inputShape)}`);
    }
    inputShape.forEach((d, i) => {
      if (d === null && i < 2) return;
      assertPositiveInt(d, `${argument}[${i}]`);
    });
  }

  private requireBuilt(argument: string): Shape {
    this.assertUsable();
    if (this.builtShape === null) {
      throw new NotBuiltError(`${argument}: the model is not built yet; call build(inputShape) or call(x) first`);
    }
    return this.builtShape;
  }

}

function isStateful(layer: Layer): boolean {
  return (layer instanceof RecurrentLayer && layer.config.stateful) || (layer instanceof Bidirectional && layer.forwardLayer.config.stateful);
}

/**
 * A model of layers applied in order (Keras `Sequential`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { layers, sequential } from '@basicrnn/core';
 *
 * const model = sequential({ layers: [layers.lstm({ units: 16 }), layers.dense({ units: 1 })], seed: 1 });
 * model.build([null, 10, 3]);
 * model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
 * const x = tf.randomNormal([8, 10, 3]);
 * const y = tf.randomNormal([8, 1]);
 * await model.fit(x, y, { epochs: 2 });
 * model.summary();
 * ```
 */
export function sequential(config: SequentialConfig): Sequential {
  return new Sequential(config);
}
