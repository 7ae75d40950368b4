import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DTypeError, ShapeError, describe } from '../errors.js';
import { SeededRandom, deriveSeed } from '../initializers.js';
import { checkOptions, type OptionSchema } from '../options.js';
import { assertBoolean, assertOneOf, assertPositiveInt } from '../validate.js';
import {
  type Initializer,
  type Regularizer,
  type Shape,
  assertInitializer,
  assertName,
  assertRate,
  assertRegularizer,
  assertSeed,
  dropoutMask,
  initialValues,
} from './common.js';
import { Layer, type LayerCallArgs, type LayerOutput, type WeightSpec } from './layer.js';
import { type CellType, RECURRENT_ACTIVATIONS, type RecurrentActivationName, gateCount, recurrence } from './recurrence.js';
import { type RecurrenceAttrs, type RecurrenceInputs, recurrenceFinalStates } from '../ops/recurrence.js';
import { lastStep } from '../ops/sequence_layout.js';

/** Options shared by `layers.simpleRNN`, `layers.lstm` and `layers.gru` (tfjs-layers names, Keras 3 defaults). */
export interface RecurrentLayerOptions {
  /** Size of the state. */
  units: number;
  /** Activation of the state / candidate. Default 'tanh'. */
  activation?: RecurrentActivationName;
  /** Biases. Default true. */
  useBias?: boolean;
  /** Return every step's output [B, T, units] instead of the last [B, units]. Default false. */
  returnSequences?: boolean;
  /** Also return the final states ([h], or [h, c] for LSTM) after the output. Default false. */
  returnState?: boolean;
  /** Process the sequence last step first; sequences come back in processing order (Keras). Default false. */
  goBackwards?: boolean;
  /** Keep the final states as the next call's initial states (needs a fixed batch size). Default false. */
  stateful?: boolean;
  /** Fraction of the inputs dropped in training, one mask per sequence (Keras). Default 0. */
  dropout?: number;
  /** Fraction of the recurrent state dropped in training, one mask per sequence. Default 0. */
  recurrentDropout?: number;
  /** Default 'glorotUniform'. */
  kernelInitializer?: Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: Initializer;
  /** Default 'zeros'. */
  biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer;
  recurrentRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  /** Layer name; Keras-style unique names by default. */
  name?: string;
  /** Seed of the initial weights and dropout masks; the model derives one when absent. */
  seed?: number;
}

/** Options of `layers.lstm`. */
export interface LSTMLayerOptions extends RecurrentLayerOptions {
  /** Gate activation. Default 'sigmoid' (Keras 3). */
  recurrentActivation?: RecurrentActivationName;
  /** Forget-gate bias initialised to 1 (Keras). Default true. */
  unitForgetBias?: boolean;
}

/** Options of `layers.gru`. */
export interface GRULayerOptions extends RecurrentLayerOptions {
  /** Gate activation. Default 'sigmoid' (Keras 3). */
  recurrentActivation?: RecurrentActivationName;
  /** Reset gate after the recurrent matmul, with separate input and recurrent biases [2, 3·units] (Keras 3 default, CuDNN/PyTorch form). Default true. */
  resetAfter?: boolean;
}

/** Options of `layers.simpleRNN`. */
export type SimpleRNNLayerOptions = RecurrentLayerOptions;

const COMMON_SCHEMA: OptionSchema = {
  units: assertPositiveInt,
  activation: (v, a) => assertOneOf(v, RECURRENT_ACTIVATIONS, a),
  useBias: assertBoolean,
  returnSequences: assertBoolean,
  returnState: assertBoolean,
  goBackwards: assertBoolean,
  stateful: assertBoolean,
  dropout: assertRate,
  recurrentDropout: assertRate,
  kernelInitializer: assertInitializer,
  recurrentInitializer: assertInitializer,
  biasInitializer: assertInitializer,
  kernelRegularizer: assertRegularizer,
  recurrentRegularizer: assertRegularizer,
  biasRegularizer: assertRegularizer,
  name: assertName,
  seed: assertSeed,
};

const SCHEMAS: Record<CellType, OptionSchema> = {
  simpleRNN: COMMON_SCHEMA,
  lstm: { ...COMMON_SCHEMA, recurrentActivation: (v, a) => assertOneOf(v, RECURRENT_ACTIVATIONS, a), unitForgetBias: assertBoolean },
  gru: { ...COMMON_SCHEMA, recurrentActivation: (v, a) => assertOneOf(v, RECURRENT_ACTIVATIONS, a), resetAfter: assertBoolean },
};

const NAMES: Record<CellType, { factory: string; base: string; className: string }> = {
  simpleRNN: { factory: 'layers.simpleRNN', base: 'simple_rnn', className: 'SimpleRNN' },
  lstm: { factory: 'layers.lstm', base: 'lstm', className: 'LSTM' },
  gru: { factory: 'layers.gru', base: 'gru', className: 'GRU' },
};

/** Resolved options of a recurrent layer. */
export type ResolvedRecurrentOptions = Required<Omit<LSTMLayerOptions & GRULayerOptions, 'name' | 'seed' | 'kernelRegularizer' | 'recurrentRegularizer' | 'biasRegularizer'>> &
  Pick<RecurrentLayerOptions, 'kernelRegularizer' | 'recurrentRegularizer' | 'biasRegularizer'>;

/** The raw sequence run of a recurrent layer, before Keras's output masking. */
export interface RecurrentRun {
  /** Every hidden state [B, T, units], in processing order (state carried over masked steps). */
  hiddenStates: tf.Tensor3D;
  /** LSTM only: every cell state [B, T, units]. */
  cellStates?: tf.Tensor3D;
  /** The final states: [h] or [h, c]. */
  finalStates: tf.Tensor2D[];
}

/**
 * One recurrent layer driving any cell (SimpleRNN, LSTM, GRU), with Keras 3 semantics: masks carry the state
 * over padded steps and repeat the previous output (zeros before the first real step), `goBackwards`,
 * `returnSequences` / `returnState`, initial states, stateful streaming, per-sequence dropout masks,
 * initialisers by name, L1/L2 regularisers. Create one with `layers.simpleRNN`, `layers.lstm` or `layers.gru`.
 */
export class RecurrentLayer extends Layer {
  readonly className: string;
  /** The cell this layer runs. */
  readonly cell: CellType;
  /** Resolved options (defaults filled in). */
  readonly config: ResolvedRecurrentOptions;
  /** @internal Set by `bidirectional` with `returnSequences`: masked steps output zeros instead of repeating. */
  zeroOutputForMask = false;
  private states: tf.Tensor2D[] | null = null;
  private dropoutRng: SeededRandom | null = null;
  private recurrentDropoutRng: SeededRandom | null = null;
  private readonly options: LSTMLayerOptions & GRULayerOptions;

  constructor(cell: CellType, options: LSTMLayerOptions & GRULayerOptions) {
    const names = NAMES[cell];
    if (names === undefined) {
      throw new ConfigError(`recurrent layer cell: expected one of 'simpleRNN', 'lstm', 'gru', received ${describe(cell)}`);
    }
    const where = `${names.factory}(options)`;
    checkOptions(options, SCHEMAS[cell], where, ['units']);
    super(names.base, options.name, options.seed);
    this.cell = cell;
    this.className = names.className;
    this.options = { ...options };
    this.config = {
      units: options.units,
      activation: options.activation ?? 'tanh',
      recurrentActivation: options.recurrentActivation ?? 'sigmoid',
      useBias: options.useBias ?? true,
      returnSequences: options.returnSequences ?? false,
      returnState: options.returnState ?? false,
      goBackwards: options.goBackwards ?? false,
      stateful: options.stateful ?? false,
      dropout: options.dropout ?? 0,
      recurrentDropout: options.recurrentDropout ?? 0,
      kernelInitializer: options.kernelInitializer ?? 'glorotUniform',
      recurrentInitializer: options.recurrentInitializer ?? 'orthogonal',
      biasInitializer: options.biasInitializer ?? 'zeros',
      unitForgetBias: options.unitForgetBias ?? true,
      resetAfter: options.resetAfter ?? true,
      ...(options.kernelRegularizer === undefined ? {} : { kernelRegularizer: options.kernelRegularizer }),
      ...(options.recurrentRegularizer === undefined ? {} : { recurrentRegularizer: options.recurrentRegularizer }),
      ...(options.biasRegularizer === undefined ? {} : { biasRegularizer: options.biasRegularizer }),
    };
  }

  /** A new, unbuilt layer with the same options and some changed (used by `bidirectional`). */
  cloneWith(changes: Partial<LSTMLayerOptions & GRULayerOptions>): RecurrentLayer {
    const options: LSTMLayerOptions & GRULayerOptions = { ...this.options, ...changes };
    for (const key of Object.keys(options) as (keyof typeof options)[]) if (options[key] === undefined) delete options[key];
    return new RecurrentLayer(this.cell, options);
  }

  /** Number of states: 2 for LSTM (h, c), else 1. */
  get stateCount(): number {
    return this.cell === 'lstm' ? 2 : 1;
  }

  protected weightSpecs(inputShape: Shape): WeightSpec[] {
    const { units: h, useBias, kernelInitializer, recurrentInitializer, biasInitializer, resetAfter, unitForgetBias } = this.config;
    const g = gateCount(this.cell);
    const inputSize = inputShape[inputShape.length - 1] as number;
    const specs: WeightSpec[] = [
      { name: 'kernel', shape: [inputSize, g * h], initializer: kernelInitializer, seedIndex: 0, ...reg(this.config.kernelRegularizer) },
      { name: 'recurrent_kernel', shape: [h, g * h], initializer: recurrentInitializer, seedIndex: 1, ...reg(this.config.recurrentRegularizer) },
    ];
    if (useBias) {
      const bias: WeightSpec = {
        name: 'bias',
        shape: this.cell === 'gru' && resetAfter ? [2, 3 * h] : [g * h],
        initializer: biasInitializer,
        seedIndex: 2,
        ...reg(this.config.biasRegularizer),
      };
      if (this.cell === 'lstm' && unitForgetBias) {
        // Keras: [init(units), ones(units), init(2·units)].
        bias.values = (seed) => {
          const out = new Float32Array(4 * h);
          out.set(initialValues(biasInitializer, [h], seed), 0);
          out.fill(1, h, 2 * h);
          out.set(initialValues(biasInitializer, [2 * h], deriveSeed(seed, 1)), 2 * h);
          return out;
        };
      }
      specs.push(bias);
    }
    return specs;
  }

  checkInputShape(shape: Shape, argument: string): void {
    if (shape.length !== 3) {
      throw new ShapeError(`${argument}: layer ${describe(this.name)} (${this.className}) expects [batch, steps, features] (rank 3), received ${describe(shape)}`);
    }
    const [b, t, i] = shape;
    if (b !== null) assertPositiveInt(b, `${argument}[0] batch`);
    if (t !== null) assertPositiveInt(t, `${argument}[1] steps`);
    assertPositiveInt(i, `${argument}[2] features`);
    if (this.config.stateful && b === null) {
      throw new ConfigError(
        `${argument}: layer ${describe(this.name)} is stateful and needs a fixed batch size (its states are [batch, units]); build with a number as inputShape[0], e.g. [4, null, ${i}], received ${describe(shape)}`,
      );
    }
  }

  override buildShapeFor(shape: readonly number[]): Shape {
    return [this.config.stateful ? shape[0]! : null, null, shape[2]!];
  }

  computeOutputShape(inputShape: Shape): Shape {
    const [b, t] = inputShape;
    return this.config.returnSequences ? [b ?? null, t ?? null, this.config.units] : [b ?? null, this.config.units];
  }

  override computeOutputShapes(inputShape: Shape): Shape[] {
    const out = [this.computeOutputShape(inputShape)];
    if (this.config.returnState) for (let i = 0; i < this.stateCount; i++) out.push([inputShape[0] ?? null, this.config.units]);
    return out;
  }

  override checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    if (x.dtype !== 'float32') throw new DTypeError(`${argument.replace(/, args\)$/, ')')}: expected dtype float32, received ${x.dtype}`);
    this.checkBatch(x.shape[0]!, argument);
    super.checkCallArgs(x, { ...args, initialState: undefined }, argument);
    if (args.initialState !== undefined) this.checkInitialState(args.initialState, x.shape[0]!, `${argument}.initialState`);
  }

  /** A stateful layer runs only the batch size it was built for. */
  checkBatch(batch: number, argument: string): void {
    const built = this.builtShape;
    if (this.config.stateful && built !== null && built[0] !== batch) {
      throw new ShapeError(`${argument}: stateful layer ${describe(this.name)} was built for batch size ${built[0]}, received batch size ${batch}`);
    }
  }

  /** Checks initial states: `stateCount` float32 tensors of shape [batch, units]. */
  checkInitialState(state: tf.Tensor | tf.Tensor[], batch: number, argument: string): void {
    const list = Array.isArray(state) ? state : [state];
    if (list.length !== this.stateCount) {
      throw new ConfigError(
        `${argument}: layer ${describe(this.name)} (${this.className}) expects ${this.stateCount} initial state${this.stateCount > 1 ? 's ([h, c])' : ''}, received ${list.length}`,
      );
    }
    const want = [batch, this.config.units];
    list.forEach((s, i) => {
      const what = `${argument}[${i}]`;
      if (!(s instanceof tf.Tensor) || s.isDisposed || s.rank !== 2 || s.shape[0] !== want[0] || s.shape[1] !== want[1]) {
        throw new ShapeError(`${what}: expected a tensor of shape ${describe(want)} ([batch, units]), received ${describe(s)}`);
      }
      if (s.dtype !== 'float32') throw new DTypeError(`${what}: expected dtype float32, received ${s.dtype}`);
    });
  }

  /** Sets the stored states of a stateful layer back to zeros (Keras `reset_states`). */
  resetStates(): void {
    this.assertUsable();
    if (!this.config.stateful) {
      throw new ConfigError(`${this.name}.resetStates(): layer ${describe(this.name)} is not stateful (create it with stateful: true)`);
    }
    if (this.states !== null) tf.dispose(this.states);
    this.states = null;
  }

  /** The current states of a stateful layer (copies the caller owns), or null before the first call. */
  getStates(): tf.Tensor2D[] | null {
    return this.states === null ? null : this.states.map((s) => tf.clone(s));
  }

  /**
   * Runs the cell over the sequence: every hidden (and cell) state in processing order, and the final states.
   * Applies dropout in training and updates a stateful layer's states. `finalCellState` false: an LSTM's
   * finalStates hold only h (no slice of the cell states for a caller that does not return them; a stateful layer
   * still keeps both).
   */
  run(x: tf.Tensor, args: LayerCallArgs, finalCellState = true): RecurrentRun {
    const { inputs, attrs } = this.recurrenceCall(x, args);
    const { hiddenStates, cellStates } = recurrence(inputs, attrs);
    const finalStates = [lastStep(hiddenStates)];
    if (cellStates !== undefined && (finalCellState || this.config.stateful)) finalStates.push(lastStep(cellStates));
    this.keepStates(finalStates);
    return { hiddenStates, ...(cellStates === undefined ? {} : { cellStates }), finalStates };
  }

  /**
   * {@link run} for a caller that needs no sequence: the final states only ([h], or [h, c] for LSTM), which a
   * backend's final-states kernel computes without making the [B, T, H] sequences (outside a gradient tape).
   */
  runFinalStates(x: tf.Tensor, args: LayerCallArgs, finalCellState = true): tf.Tensor2D[] {
    const { inputs, attrs } = this.recurrenceCall(x, args);
    const finalStates = recurrenceFinalStates(inputs, attrs, finalCellState || this.config.stateful);
    this.keepStates(finalStates);
    if (finalStates.length > 1 && !finalCellState) tf.dispose(finalStates.splice(1));
    return finalStates;
  }

  /** A stateful layer keeps copies of its final states as the next call's initial states. */
  private keepStates(finalStates: tf.Tensor2D[]): void {
    if (!this.config.stateful) return;
    const previous = this.states;
    this.states = finalStates.map((s) => tf.keep(tf.clone(s)) as tf.Tensor2D);
    if (previous !== null) tf.dispose(previous);
  }

  /** The inputs and attrs of this layer's recurrence for a call: dropout applied, initial states, mask. */
  private recurrenceCall(x: tf.Tensor, args: LayerCallArgs): { inputs: RecurrenceInputs; attrs: RecurrenceAttrs } {
    const [batch, , inputSize] = x.shape as [number, number, number];
    const { units, dropout, recurrentDropout, useBias } = this.config;
    const training = args.training === true;
    const [kernel, recurrentKernel, bias] = this.variables as [tf.Variable, tf.Variable, tf.Variable | undefined];
    let input = x;
    if (training && dropout > 0) {
      this.dropoutRng ??= new SeededRandom(deriveSeed(this.seed ?? 0, 10));
      input = tf.mul(x, tf.reshape(dropoutMask([batch, inputSize], dropout, this.dropoutRng), [batch, 1, inputSize]));
    }
    const given = args.initialState === undefined ? null : Array.isArray(args.initialState) ? args.initialState : [args.initialState];
    // Without given or stored states every initial state is zeros: left out, the op reads zeros (no tensor made).
    const initial: (tf.Tensor | undefined)[] = given ?? this.states ?? [];
    const mask = args.mask === undefined || args.mask === null ? undefined : args.mask.dtype === 'float32' ? args.mask : tf.cast(args.mask, 'float32');
    let recurrentDropoutMask: tf.Tensor | undefined;
    if (training && recurrentDropout > 0) {
      this.recurrentDropoutRng ??= new SeededRandom(deriveSeed(this.seed ?? 0, 11));
      recurrentDropoutMask = dropoutMask([batch, units], recurrentDropout, this.recurrentDropoutRng);
    }
    const inputs: RecurrenceInputs = {
      x: input,
      kernel,
      recurrentKernel,
      ...(initial[0] === undefined ? {} : { h0: initial[0] }),
      ...(useBias ? { bias: bias! } : {}),
      ...(this.cell === 'lstm' && initial[1] !== undefined ? { c0: initial[1] } : {}),
      ...(mask === undefined ? {} : { mask }),
      ...(recurrentDropoutMask === undefined ? {} : { recurrentDropoutMask }),
    };
    const attrs: RecurrenceAttrs = {
      cell: this.cell,
      activation: this.config.activation,
      recurrentActivation: this.config.recurrentActivation,
      goBackwards: this.config.goBackwards,
      resetAfter: this.config.resetAfter,
    };
    return { inputs, attrs };
  }

  forward(x: tf.Tensor, args: LayerCallArgs): LayerOutput {
    // Without sequences to return, only the final states are computed (no [B, T, H] outputs where a backend has
    // a final-states kernel).
    const { hiddenStates, finalStates } = this.config.returnSequences
      ? this.run(x, args, this.config.returnState)
      : { hiddenStates: null, finalStates: this.runFinalStates(x, args, this.config.returnState) };
    const mask = args.mask ?? null;
    let output: tf.Tensor;
    if (mask === null) {
      output = this.config.returnSequences ? hiddenStates! : finalStates[0]!;
    } else {
      // Keras 3: a masked step repeats the previous output, zeros before the first real step (processing order);
      // inside a bidirectional layer with sequences, masked steps output zeros.
      let m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
      if (this.config.goBackwards) m = tf.reverse(m, 1);
      const keep = this.zeroOutputForMask ? m : tf.cast(tf.greater(tf.cumsum(m, 1), 0), 'float32');
      const steps = x.shape[1]!;
      output = this.config.returnSequences
        ? keptOutput(hiddenStates!, tf.expandDims(keep, 2))
        : keptOutput(finalStates[0]!, tf.reshape(tf.slice(keep, [0, steps - 1], [-1, 1]), [-1, 1]));
    }
    const outputs = this.config.returnState ? [output, ...finalStates] : [output];
    return { outputs, mask: this.config.returnSequences ? mask : null };
  }

  override dispose(): void {
    if (this.states !== null) tf.dispose(this.states);
    this.states = null;
    super.dispose();
  }
}

/**
 * `value` where `keep` (broadcast over units) is not 0, else exactly 0: a select, so a NaN in a state does not
 * reach an output that masking zeroes (0·NaN is NaN), nor its gradient. A fractional keep scales the value.
 */
function keptOutput(value: tf.Tensor, keep: tf.Tensor): tf.Tensor {
  return tf.where(tf.equal(keep, 0), tf.zeros(value.shape), tf.mul(value, keep));
}

function reg(r: Regularizer | undefined): { regularizer?: Regularizer } {
  return r === undefined ? {} : { regularizer: r };
}
