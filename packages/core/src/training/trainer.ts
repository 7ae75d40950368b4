import * as tf from '@tensorflow/tfjs-core';
import { holdBackend } from '../backend_registry.js';
import { holdModel } from '../busy.js';
import { ConfigError, DTypeError, DisposedError, NonFiniteError, ShapeError, TrainingError, describe, isBasicRNNError } from '../errors.js';
import { SeededRandom, deriveSeed } from '../initializers.js';
import { assertAllocation, float32Bytes } from '../limits.js';
import { checkOptions, type OptionSchema } from '../options.js';
import {
  assertBoolean,
  assertFloatTensor,
  assertInteger,
  assertLive,
  assertNonEmptySequence,
  assertOneOf,
  assertPositiveInt,
  assertPositiveNumber,
  oneOf,
} from '../validate.js';
import { type Callback, normalizeCallbacks } from './callbacks.js';
import { finiteProbe } from './finite_probe.js';
import { DeviceLossGuard, readUnlessLost } from './mirror.js';
import { LOSS_NAMES, type LossName, computeLoss, isSparse, trainingLoss } from './losses.js';
import { METRIC_NAMES, type MetricName, computeMetric, metricKind } from './metrics.js';
import { OPTIMIZER_NAMES, type OptimizerName, createOptimizer, disposeOptimizer } from './optimizers.js';
import type { TrainableModel } from './trainable.js';

/** Options of `model.compile`. */
export interface CompileConfig {
  /** An optimizer name (Keras defaults, epsilon pinned to 1e-7) or a tfjs `Optimizer` you own. */
  optimizer: OptimizerName | tf.Optimizer;
  /** Learning rate for a named optimizer; Keras's default for that optimizer when absent. */
  learningRate?: number;
  /** Loss name. With a linear head the cross-entropies take logits. */
  loss: LossName;
  /** Metrics to report; History keys use these names (and `val_` + name). */
  metrics?: MetricName[];
  /** Clip each gradient to this L2 norm (Keras `clipnorm`). */
  clipNorm?: number;
  /** Clip each gradient element to [−clipValue, clipValue] (Keras `clipvalue`). */
  clipValue?: number;
}

/** The loss, or [loss, ...metrics] when metrics are compiled (Keras). */
export type TrainResult = number | number[];

/** Options of `model.fit`. */
export interface FitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Examples per gradient step. Default 32. */
  batchSize?: number;
  /** Shuffle the training examples before each epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling; defaults to one derived from the model's seed, so runs repeat. */
  seed?: number;
  /** Hold out this fraction (0 < f < 1) of the examples, taken from the end before shuffling (Keras). */
  validationSplit?: number;
  /** Held-out [x, y]; takes precedence over `validationSplit`. */
  validationData?: [tf.Tensor, tf.Tensor];
  /** Callback objects (Keras-style hooks, awaited), e.g. `earlyStopping(...)`. */
  callbacks?: Callback | Callback[];
  /** Aborting stops training at the next batch boundary; fit resolves with the History of finished epochs. */
  signal?: AbortSignal;
  /**
   * Copy the weights and optimizer state to JavaScript memory every this many steps (and once when fit starts).
   * If the device is lost (a lost WebGL context), fit rejects with `DeviceLostError` and the model continues from
   * the last copy on another backend. Default: once per epoch.
   */
  mirrorEvery?: number;
}

/** Options of `model.evaluate`. */
export interface EvaluateOptions {
  /** Examples per forward pass. Default 32. */
  batchSize?: number;
}

/** What `fit` resolves to (Keras `History`). */
export interface History {
  /** Indices of the finished epochs. */
  epoch: number[];
  /** Per-epoch values: `loss`, each metric, and `val_loss` / `val_<metric>` with validation data. */
  history: Record<string, number[]>;
}

/** Schema of `compile(config)` (`optimizer` and `loss` are required; the optimizer and metrics are checked below). */
export const COMPILE_OPTIONS: OptionSchema = {
  optimizer: null,
  learningRate: null,
  loss: oneOf(LOSS_NAMES),
  metrics: null,
  clipNorm: assertPositiveNumber,
  clipValue: assertPositiveNumber,
};

/** Schema of `fit(x, y, options)`: one entry per {@link FitOptions} key (add a key here when adding an option). */
export const FIT_OPTIONS: OptionSchema = {
  epochs: assertPositiveInt,
  batchSize: assertPositiveInt,
  shuffle: assertBoolean,
  seed: assertInteger,
  validationSplit: (value, argument) => {
    if (typeof value !== 'number' || !(value > 0 && value < 1)) {
      throw new ConfigError(`${argument}: expected a number in (0, 1), received ${describe(value)}`);
    }
  },
  validationData: null,
  callbacks: null,
  signal: (value, argument) => {
    if (!(typeof value === 'object' && value !== null && 'aborted' in value)) {
      throw new ConfigError(`${argument}: expected an AbortSignal, received ${describe(value)}`);
    }
  },
  mirrorEvery: assertPositiveInt,
};

/** Schema of `evaluate(x, y, options)`. */
export const EVALUATE_OPTIONS: OptionSchema = { batchSize: assertPositiveInt };

/** Compiled training state of one model: optimizer, loss, metrics. */
export class Trainer {
  private readonly optimizer: tf.Optimizer;
  private readonly ownsOptimizer: boolean;
  private readonly loss: LossName;
  private readonly metrics: { name: MetricName; kind: ReturnType<typeof metricKind> }[];
  private readonly clipNorm: number | undefined;
  private readonly clipValue: number | undefined;
  private epochSeed = 0;
  /** Keeps the last copy of the weights and ends a step on a lost device (training/mirror.ts). */
  private readonly guard: DeviceLossGuard;
  /** Optimizer steps applied so far (the mirror records which one it copied). */
  private steps = 0;

  constructor(
    private readonly model: TrainableModel,
    config: CompileConfig,
  ) {
    checkOptions<CompileConfig>(config, COMPILE_OPTIONS, 'compile(config)', ['optimizer', 'loss']);
    const metrics = config.metrics ?? [];
    if (!Array.isArray(metrics)) {
      throw new ConfigError(`compile({ metrics }): expected an array of metric names, received ${describe(metrics)}`);
    }
    metrics.forEach((m, i) => assertOneOf(m, METRIC_NAMES, `compile({ metrics[${i}] })`));
    if (new Set(metrics).size !== metrics.length) {
      throw new ConfigError(`compile({ metrics }): each metric may appear once, received ${describe(metrics)}`);
    }
    // tfjs's Optimizer[Symbol.hasInstance] reads `.minimize` of whatever it is given: null would throw a TypeError.
    if (typeof config.optimizer === 'object' && config.optimizer !== null && config.optimizer instanceof tf.Optimizer) {
      assertOptimizerUsable(config.optimizer, 'compile(config).optimizer');
      if (config.learningRate !== undefined) {
        throw new ConfigError('compile({ learningRate }): set the learning rate on the Optimizer instance you pass, not here');
      }
      this.optimizer = config.optimizer;
      this.ownsOptimizer = false;
    } else {
      assertOneOf(config.optimizer, OPTIMIZER_NAMES, 'compile({ optimizer })');
      this.optimizer = createOptimizer(config.optimizer, config.learningRate);
      this.ownsOptimizer = true;
    }
    this.loss = config.loss;
    this.metrics = metrics.map((name) => ({ name, kind: metricKind(name, config.loss, model.outputSize) }));
    this.clipNorm = config.clipNorm;
    this.clipValue = config.clipValue;
    this.guard = new DeviceLossGuard(() => model.trainableVariables(), this.optimizer);
  }

  /** One gradient step. Checks loss and gradients before the update, so a non-finite step changes nothing. */
  async trainOnBatch(x: tf.Tensor, y: tf.Tensor): Promise<TrainResult> {
    this.checkPair(x, y, 'trainOnBatch');
    this.checkTrainingSize(x, x.shape[0], 'trainOnBatch(x, y)');
    const releaseModel = holdModel(this.model, 'trainOnBatch()', 'trainOnBatch(x, y)');
    const release = holdBackend('trainOnBatch');
    try {
      this.ensureBuilt(x, 'trainOnBatch');
      const values = await this.guard.run('trainOnBatch', { epoch: -1, batch: -1 }, () => this.step(x, y, 0, 0, 'trainOnBatch(x, y)'));
      this.steps++;
      return this.format(values);
    } finally {
      release();
      releaseModel();
    }
  }

  async fit(x: tf.Tensor, y: tf.Tensor, options: FitOptions): Promise<History> {
    checkOptions<FitOptions>(options, FIT_OPTIONS, 'fit(x, y, options)');
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 32;
    const { validationSplit, validationData, signal } = options;
    const callbacks = normalizeCallbacks(options.callbacks);
    this.checkPair(x, y, 'fit');
    if (validationData !== undefined) {
      if (!Array.isArray(validationData) || validationData.length !== 2) {
        throw new ConfigError(`fit({ validationData }): expected [x, y], received ${describe(validationData)}`);
      }
      this.checkPair(validationData[0], validationData[1], 'fit({ validationData })');
    }

    const total = x.shape[0];
    const split = validationData === undefined && validationSplit !== undefined ? Math.floor(total * (1 - validationSplit)) : total;
    if (split === 0 || split === total && validationData === undefined && validationSplit !== undefined) {
      throw new ConfigError(
        `fit({ validationSplit: ${validationSplit} }): with ${total} examples this leaves ${split} for training and ${total - split} for validation; both need at least one`,
      );
    }

    // A validation split copies x and y once; each batch is gathered, then trained through time.
    if (split !== total) assertAllocation(float32Bytes(x.shape) + float32Bytes(y.shape), 'the training/validation split of x and y', 'fit(x, y, options).validationSplit');
    this.checkTrainingSize(x, Math.min(batchSize, split), 'fit(x, y, options).batchSize');
    const releaseModel = holdModel(this.model, 'fit()', 'fit(x, y)');
    const release = holdBackend('fit');
    const owned: tf.Tensor[] = [];
    try {
      this.ensureBuilt(x, 'fit');
      const [xTrain, yTrain] = split === total ? [x, y] : [sliceBatch(x, 0, split), sliceBatch(y, 0, split)];
      let validation: [tf.Tensor, tf.Tensor] | null = validationData ?? null;
      if (split !== total) {
        validation = [sliceBatch(x, split, total - split), sliceBatch(y, split, total - split)];
        owned.push(xTrain, yTrain, ...validation);
      }
      const mirrorEvery = options.mirrorEvery ?? Math.ceil(split / batchSize);
      let sinceMirror = 0;
      // The first mirror reads the optimizer's state: a disposed optimizer must be reported as such first.
      this.assertOptimizerUsable('fit(x, y)');
      await this.guard.run('fit', { epoch: -1, batch: -1 }, () => this.guard.snapshot({ step: this.steps, epoch: -1, batch: -1 }));
      const rng = new SeededRandom(options.seed ?? deriveSeed(this.model.seed, 1000 + this.epochSeed++));
      const history: History = { epoch: [], history: {} };
      this.model.stopTraining = false;
      for (const cb of callbacks) cb.setModel?.(this.model);
      for (const cb of callbacks) await cb.onTrainBegin?.({});

      let lastLogs: Record<string, number> = {};
      let aborted = signal?.aborted === true;
      for (let epoch = 0; epoch < epochs && !aborted && !this.model.stopTraining; epoch++) {
        for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
        const order = options.shuffle === false ? null : permutation(split, rng);
        const sums = new Float64Array(1 + this.metrics.length);
        let seen = 0;
        for (let start = 0, batch = 0; start < split; start += batchSize, batch++) {
          const size = Math.min(batchSize, split - start);
          const [xb, yb] = tf.tidy(() =>
            order === null
              ? [sliceBatch(xTrain, start, size), sliceBatch(yTrain, start, size)]
              : gatherBatch(xTrain, yTrain, order.subarray(start, start + size)),
          );
          let values: number[];
          try {
            values = await this.guard.run('fit', { epoch, batch }, () => this.step(xb, yb, epoch, batch, 'fit(x, y)'));
          } finally {
            tf.dispose([xb, yb]);
          }
          this.steps++;
          if (++sinceMirror >= mirrorEvery) {
            sinceMirror = 0;
            this.assertOptimizerUsable('fit(x, y)');
            const at = { step: this.steps, epoch, batch };
            await this.guard.run('fit', { epoch, batch }, () => this.guard.snapshot(at));
          }
          values.forEach((v, i) => (sums[i]! += v * size));
          seen += size;
          const batchLogs = { batch, size, ...this.logs(values, '') };
          for (const cb of callbacks) await cb.onBatchEnd?.(batch, batchLogs);
          await yieldToEventLoop();
          if (signal?.aborted === true) {
            aborted = true;
            break;
          }
        }
        if (aborted) break;
        const logs = this.logs(Array.from(sums, (s) => s / seen), '');
        if (validation !== null) {
          const [xv, yv] = validation;
          const values = await this.guard.run('fit (validation)', { epoch, batch: -1 }, () => this.evaluateValues(xv, yv, batchSize));
          Object.assign(logs, this.logs(values, 'val_'));
        }
        history.epoch.push(epoch);
        for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
        lastLogs = logs;
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      }
      for (const cb of callbacks) await cb.onTrainEnd?.(lastLogs);
      return history;
    } finally {
      tf.dispose(owned);
      release();
      releaseModel();
    }
  }

  async evaluate(x: tf.Tensor, y: tf.Tensor, options: EvaluateOptions): Promise<TrainResult> {
    checkOptions<EvaluateOptions>(options, EVALUATE_OPTIONS, 'evaluate(x, y, options)');
    const batchSize = options.batchSize ?? 32;
    this.checkPair(x, y, 'evaluate');
    const [examples, steps] = x.shape as [number, number, number];
    const chunk = Math.min(batchSize, examples);
    const chunkShape = [chunk, steps, ...x.shape.slice(2)];
    assertAllocation(
      float32Bytes(chunkShape) + this.model.activationBytes(chunkShape, false),
      'one batch and its forward pass',
      'evaluate(x, y, options).batchSize',
    );
    const releaseModel = holdModel(this.model, 'evaluate()', 'evaluate(x, y)');
    try {
      this.ensureBuilt(x, 'evaluate');
      return this.format(await this.guard.run('evaluate', { epoch: -1, batch: -1 }, () => this.evaluateValues(x, y, batchSize)));
    } finally {
      releaseModel();
    }
  }

  dispose(): void {
    if (this.ownsOptimizer) disposeOptimizer(this.optimizer);
  }

  private async evaluateValues(x: tf.Tensor, y: tf.Tensor, batchSize: number): Promise<number[]> {
    const total = x.shape[0];
    const sums = new Float64Array(1 + this.metrics.length);
    for (let start = 0; start < total; start += batchSize) {
      const size = Math.min(batchSize, total - start);
      const packed = tf.tidy(() => {
        const output = this.model.forward(sliceBatch(x, start, size));
        const labels = this.labels(sliceBatch(y, start, size));
        return tf.stack([
          this.withPenalty(computeLoss(this.loss, labels, output, this.model.outputActivation)),
          ...this.metrics.map((m) => computeMetric(m.kind, labels, output, this.model.outputActivation)),
        ]);
      });
      let values: ArrayLike<number>;
      try {
        values = await readUnlessLost(packed);
      } finally {
        packed.dispose();
      }
      Array.from(values).forEach((v, i) => (sums[i]! += v * size));
    }
    return Array.from(sums, (s) => s / total);
  }

  /**
   * Forward, loss, gradients, guard, update. Returns [loss, ...metrics]. All or nothing: what can fail is checked
   * before the update (optimizer usable, loss and gradients finite), and on any failure every tensor of the step is
   * freed and a typed error thrown (tfjs's own error as its `cause`).
   */
  private async step(x: tf.Tensor, y: tf.Tensor, epoch: number, batch: number, where: string): Promise<number[]> {
    this.assertOptimizerUsable(where);
    const variables = this.model.trainableVariables();
    const head = this.model.outputActivation;
    let output: tf.Tensor | null = null;
    let grads: tf.NamedTensorMap = {};
    let packed: tf.Tensor | null = null;
    let loss: tf.Scalar | null = null;
    let updating = false;
    try {
      ({ grads, packed, loss } = tf.tidy(() => {
        const labels = this.labels(y);
        const { value, grads } = tf.variableGrads(() => {
          output = tf.keep(this.model.forward(x, true));
          return this.withPenalty(trainingLoss(this.loss, labels, output, head));
        }, variables);
        const out = output as unknown as tf.Tensor;
        const clipped = this.clip(grads);
        // 0·g sums to 0 when every element is finite and to NaN otherwise: one cheap probe for all gradients.
        const probe = finiteProbe(Object.values(clipped));
        if (this.metrics.length === 0) {
          // loss + probe is the loss when every gradient is finite, and not finite otherwise: one value to read
          // (one kernel where a stack of two scalars costs a few layout conversions on webgl). The loss itself
          // is kept, read only to word the error when the sum is not finite.
          return { grads: clipped, packed: tf.add(value, probe), loss: tf.keep(value) };
        }
        const packed = tf.stack([value, probe, ...this.metrics.map((m) => computeMetric(m.kind, labels, out, head))]);
        return { grads: clipped, packed, loss: tf.keep(value) };
      }));
      // A lost device never answers a read: readUnlessLost rejects instead (DeviceLostError, a library error).
      const values = Array.from(await readUnlessLost(packed));
      const summed = this.metrics.length === 0;
      const [sum, probe, ...metrics] = (summed ? [values[0], Number.isFinite(values[0]) ? 0 : Number.NaN] : values) as [number, number, ...number[]];
      if (!Number.isFinite(sum) || probe !== 0) {
        // Without metrics the read was loss + probe: read the loss alone to say which one is not finite.
        const lossValue = summed ? (await readUnlessLost(loss))[0]! : sum;
        const what = Number.isFinite(lossValue) ? 'a gradient' : `the loss (${lossValue})`;
        throw new NonFiniteError(
          `training stopped at epoch ${epoch}, batch ${batch}: ${what} is not finite; the weights and optimizer state of the last finite step are kept (lower the learning rate, set clipNorm, or check the data)`,
          epoch,
          batch,
        );
      }
      // The await above let other code run (a callback of another model, a timer): check again before updating.
      this.assertOptimizerUsable(where);
      updating = true;
      this.optimizer.applyGradients(grads);
      return [sum, ...metrics];
    } catch (cause) {
      releaseTapeAfterFailure();
      if (isBasicRNNError(cause)) throw cause;
      const partial = updating ? ' while applying the update (the weights may be partly updated)' : ' before the update (nothing was changed)';
      throw new TrainingError(
        `${where}: the training step at epoch ${epoch}, batch ${batch} failed${partial}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    } finally {
      tf.dispose([...Object.values(grads), ...(packed === null ? [] : [packed]), ...(loss === null ? [] : [loss]), ...(output === null ? [] : [output])]);
    }
  }

  /** Throws {@link DisposedError} when the optimizer's own tensors are gone (a `tf.train` optimizer the caller disposed). */
  private assertOptimizerUsable(where: string): void {
    assertOptimizerUsable(this.optimizer, `${where}: the optimizer of compile()`);
  }

  /**
   * Refuses a training call whose data batches or activations through time would exceed the allocation limit:
   * one gathered batch of x, and a training step over `batch` examples.
   */
  private checkTrainingSize(x: tf.Tensor, batch: number, argument: string): void {
    const batchShape = [batch, ...x.shape.slice(1)];
    assertAllocation(
      float32Bytes(batchShape) + this.model.activationBytes(batchShape, true),
      'one batch and its activations through time',
      argument,
    );
  }

  /** The loss plus the model's weight penalties (Keras adds regularisation losses to the reported loss). */
  private withPenalty(loss: tf.Scalar): tf.Scalar {
    const penalty = this.model.regularizationLoss();
    return penalty === null ? loss : tf.add(loss, penalty);
  }

  private clip(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    if (this.clipNorm === undefined && this.clipValue === undefined) return grads;
    const out: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) {
      let c = g;
      if (this.clipValue !== undefined) c = tf.clipByValue(c, -this.clipValue, this.clipValue);
      if (this.clipNorm !== undefined) {
        const norm = tf.norm(c);
        c = tf.div(tf.mul(c, this.clipNorm), tf.maximum(norm, this.clipNorm));
      }
      out[name] = c;
    }
    return out;
  }

  /** Labels as float32 (int32 or bool labels are accepted; the sparse loss turns them back into indices). */
  private labels(y: tf.Tensor): tf.Tensor {
    return y.dtype === 'float32' ? y : tf.cast(y, 'float32');
  }

  private logs(values: readonly number[], prefix: string): Record<string, number> {
    const logs: Record<string, number> = { [`${prefix}loss`]: values[0]! };
    this.metrics.forEach((m, i) => (logs[`${prefix}${m.name}`] = values[i + 1]!));
    return logs;
  }

  private format(values: number[]): TrainResult {
    return this.metrics.length === 0 ? values[0]! : values;
  }

  /** Builds the model from x (Keras builds on first use); called once every argument has been validated. */
  private ensureBuilt(x: tf.Tensor, where: string): void {
    this.model.ensureBuilt(x, `${where}(x)`);
  }

  /** Validates an (x, y) pair against the model and the loss before anything runs. */
  private checkPair(x: tf.Tensor, y: tf.Tensor, where: string): void {
    this.model.checkInput(x, `${where}(x)`);
    assertNonEmptySequence(x, `${where}(x)`);
    if (!(y instanceof tf.Tensor)) {
      throw new ShapeError(`${where}(y): expected a tensor of labels, received ${describe(y)}`);
    }
    assertLive(y, `${where}(y)`);
    if (y.dtype === 'string' || y.dtype === 'complex64') {
      throw new DTypeError(`${where}(y): expected numeric labels (float32, int32 or bool), received ${y.dtype}`);
    }
    const batch = x.shape[0]!;
    if (y.shape[0] !== batch) {
      throw new ShapeError(`${where}(x, y): x has ${batch} examples but y has ${y.shape[0]} (shape ${describe(y.shape)})`);
    }
    const outputShape = this.model.outputShape(x);
    const sparse = isSparse(this.loss);
    const labelShape = sparse ? outputShape.slice(0, -1) : outputShape;
    const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
    const ok = sameShape(y.shape, labelShape) || (sparse && sameShape(y.shape, [...labelShape, 1]));
    if (!ok) {
      const hint = sparse ? ' (class indices: the output shape without its last axis)' : ' (the output shape)';
      throw new ShapeError(`${where}(y): loss '${this.loss}' expects labels of shape ${describe(labelShape)}${hint}, received ${describe(y.shape)}`);
    }
    if (sparse && this.model.outputSize < 2) {
      throw new ConfigError(`compile({ loss: '${this.loss}' }): needs outputSize ≥ 2 (one unit per class), the model has ${this.model.outputSize}`);
    }
  }
}

/**
 * Throws {@link DisposedError} when a tfjs optimizer has been disposed: its own tensors (SGD's learning-rate scalar,
 * Adam's β powers, any optimizer's moment variables) are gone, and `applyGradients` would fail half-way.
 */
function assertOptimizerUsable(optimizer: tf.Optimizer, argument: string): void {
  for (const value of Object.values(optimizer)) {
    const slots: unknown[] = Array.isArray(value) ? value.map((v: { variable?: unknown } | null) => v?.variable) : [value];
    if (slots.some((t) => t instanceof tf.Tensor && t.isDisposed)) {
      throw new DisposedError(`${argument} has been disposed; compile() again with a new optimizer`);
    }
  }
}

/**
 * While gradients are recorded, tfjs keeps a clone of every tensor a kernel saves for its backward pass, and frees
 * them only when the backward pass runs. A forward pass that throws under `tf.variableGrads` never gets there: free
 * what the abandoned tape holds (tfjs-core 4.22's engine state). Skipped when an outer `tf.grad` is still recording.
 */
function releaseTapeAfterFailure(): void {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number; activeTape?: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state === undefined || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) tf.dispose(node.saved ?? []);
  state.activeTape = null;
}

function sliceBatch(t: tf.Tensor, start: number, size: number): tf.Tensor {
  const begin = t.shape.map((_, i) => (i === 0 ? start : 0));
  const sizes = t.shape.map((d, i) => (i === 0 ? size : d));
  return tf.slice(t, begin, sizes);
}

function gatherBatch(x: tf.Tensor, y: tf.Tensor, indices: Int32Array): [tf.Tensor, tf.Tensor] {
  const idx = tf.tensor1d(indices, 'int32');
  return [tf.gather(x, idx), tf.gather(y, idx)];
}

function permutation(n: number, rng: SeededRandom): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Lets timers, rendering and input handlers run between batches (a macrotask, not a microtask). */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
