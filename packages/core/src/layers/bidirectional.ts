import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, WeightsError, describe } from '../errors.js';
import { deriveSeed } from '../initializers.js';
import { checkOptions } from '../options.js';
import type { Shape } from './common.js';
import { assertName } from './common.js';
import { Layer, type LayerCallArgs, type LayerOutput, type WeightSpec } from './layer.js';
import { RecurrentLayer } from './recurrent.js';

/** How `bidirectional` joins the forward and backward outputs; null returns both. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
/** Every merge mode, for validation. */
export const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/** Options of `layers.bidirectional`. */
export interface BidirectionalLayerOptions {
  /** The recurrent layer run forwards; a copy with `goBackwards` flipped runs backwards. */
  layer: RecurrentLayer;
  /** Default 'concat'. */
  mergeMode?: MergeMode;
  name?: string;
}

/**
 * Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the two outputs
 * (Keras `Bidirectional`). Weights: the forward layer's, then the backward layer's. With `returnSequences` the
 * backward outputs are put back in input order, and masked steps output zeros.
 */
export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(options: BidirectionalLayerOptions) {
    checkOptions(
      options,
      {
        layer: (v, a) => {
          if (!(v instanceof RecurrentLayer)) throw new ConfigError(`${a}: expected a recurrent layer (layers.simpleRNN, lstm or gru), received ${describe(v)}`);
          if (v.built) throw new ConfigError(`${a}: expected an unbuilt layer (bidirectional builds it), received the built layer ${describe(v.name)}`);
        },
        mergeMode: (v, a) => {
          if (!MERGE_MODES.includes(v as MergeMode)) {
            throw new ConfigError(`${a}: expected one of 'concat', 'sum', 'mul', 'ave', null, received ${describe(v)}`);
          }
        },
        name: assertName,
      },
      'layers.bidirectional(options)',
      ['layer'],
    );
    const inner = options.layer;
    super('bidirectional', options.name, inner.seed);
    this.mergeMode = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    this.forwardLayer = inner.cloneWith({ name: `forward_${inner.name}`, seed: undefined });
    this.backwardLayer = inner.cloneWith({ name: `backward_${inner.name}`, goBackwards: !inner.config.goBackwards, seed: undefined });
    // Keras: inside a bidirectional layer that returns sequences, masked steps output zeros.
    this.forwardLayer.zeroOutputForMask = inner.config.returnSequences;
    this.backwardLayer.zeroOutputForMask = inner.config.returnSequences;
  }

  /** Whether the merged result is one tensor (false with mergeMode null or returnState). */
  get singleOutput(): boolean {
    return this.mergeMode !== null && !this.forwardLayer.config.returnState;
  }

  protected weightSpecs(inputShape: Shape): WeightSpec[] {
    const prefix = (layer: RecurrentLayer) => (s: WeightSpec) => ({ ...s, name: `${layer.name}/${s.name}` });
    return [
      ...this.forwardLayer['weightSpecs'](inputShape).map(prefix(this.forwardLayer)),
      ...this.backwardLayer['weightSpecs'](inputShape).map(prefix(this.backwardLayer)),
    ];
  }

  checkInputShape(shape: Shape, argument: string): void {
    this.forwardLayer.checkInputShape(shape, argument);
  }

  override buildShapeFor(shape: readonly number[]): Shape {
    return this.forwardLayer.buildShapeFor(shape);
  }

  override build(inputShape: Shape): void {
    this.assertUsable();
    const seed = (this.seed ??= Math.floor(Math.random() * 2 ** 31));
    this.forwardLayer.seed ??= deriveSeed(seed, 0);
    this.backwardLayer.seed ??= deriveSeed(seed, 1);
    this.checkInputShape(inputShape, `${this.name}.build(inputShape)`);
    this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
    this.builtShape = [...inputShape];
  }

  override buildWithWeights(inputShape: Shape, weights: readonly tf.Tensor[]): void {
    const n = this.forwardLayer.weightCount(inputShape);
    this.forwardLayer.buildWithWeights(inputShape, weights.slice(0, n));
    this.backwardLayer.buildWithWeights(inputShape, weights.slice(n));
    this.builtShape = [...inputShape];
  }

  override checkCallArgs(x: tf.Tensor, args: LayerCallArgs, argument: string): void {
    const { initialState, ...rest } = args;
    this.forwardLayer.checkCallArgs(x, rest, argument);
    if (initialState !== undefined) {
      const list = Array.isArray(initialState) ? initialState : [initialState];
      const n = this.forwardLayer.stateCount;
      if (list.length !== 2 * n) {
        throw new ConfigError(`${argument}.initialState: expected ${2 * n} tensors (the forward layer's states, then the backward layer's), received ${list.length}`);
      }
      this.forwardLayer.checkInitialState(list.slice(0, n), x.shape[0]!, `${argument}.initialState`);
      this.backwardLayer.checkInitialState(list.slice(n), x.shape[0]!, `${argument}.initialState`);
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    const single = this.forwardLayer.computeOutputShape(inputShape);
    if (this.mergeMode !== 'concat') return single;
    return [...single.slice(0, -1), (single[single.length - 1] as number) * 2];
  }

  override computeOutputShapes(inputShape: Shape): Shape[] {
    const single = this.forwardLayer.computeOutputShape(inputShape);
    const outputs = this.mergeMode === null ? [single, single] : [this.computeOutputShape(inputShape)];
    if (this.forwardLayer.config.returnState) {
      const states = this.forwardLayer.computeOutputShapes(inputShape).slice(1);
      outputs.push(...states, ...states);
    }
    return outputs;
  }

  forward(x: tf.Tensor, args: LayerCallArgs): LayerOutput {
    const n = this.forwardLayer.stateCount;
    const states = args.initialState === undefined ? null : Array.isArray(args.initialState) ? args.initialState : [args.initialState];
    const common = { ...(args.mask === undefined ? {} : { mask: args.mask }), ...(args.training === undefined ? {} : { training: args.training }) };
    const fwd = this.forwardLayer.forward(x, { ...common, ...(states ? { initialState: states.slice(0, n) } : {}) });
    const bwd = this.backwardLayer.forward(x, { ...common, ...(states ? { initialState: states.slice(n) } : {}) });
    const [yf, ...statesF] = fwd.outputs as [tf.Tensor, ...tf.Tensor[]];
    let [yb, ...statesB] = bwd.outputs as [tf.Tensor, ...tf.Tensor[]];
    if (this.forwardLayer.config.returnSequences) yb = tf.reverse(yb, 1);
    let merged: tf.Tensor[];
    switch (this.mergeMode) {
      case 'concat':
        merged = [tf.concat([yf, yb], -1)];
        break;
      case 'sum':
        merged = [tf.add(yf, yb)];
        break;
      case 'mul':
        merged = [tf.mul(yf, yb)];
        break;
      case 'ave':
        merged = [tf.mul(tf.add(yf, yb), 0.5)];
        break;
      case null:
        merged = [yf, yb];
        break;
    }
    return { outputs: [...merged, ...statesF, ...statesB], mask: fwd.mask };
  }

  override weightNames(): string[] {
    this.requireBuilt('weightNames()');
    return [...this.forwardLayer.weightNames().map((w) => `${this.forwardLayer.name}/${w}`), ...this.backwardLayer.weightNames().map((w) => `${this.backwardLayer.name}/${w}`)];
  }

  override getWeights(): tf.Tensor[] {
    this.requireBuilt('getWeights()');
    return [...this.forwardLayer.getWeights(), ...this.backwardLayer.getWeights()];
  }

  override trainableVariables(): tf.Variable[] {
    return [...this.forwardLayer.trainableVariables(), ...this.backwardLayer.trainableVariables()];
  }

  override setWeights(weights: readonly tf.Tensor[]): void {
    const shape = this.requireBuilt(`${this.name}.setWeights(weights)`);
    const total = this.weightCount(shape);
    if (!Array.isArray(weights) || weights.length !== total) {
      throw new WeightsError(`${this.name}.setWeights(weights): expected ${total} tensors (${this.weightNames().join(', ')}), received ${Array.isArray(weights) ? weights.length : describe(weights)}`);
    }
    this.checkWeights(weights, shape, 0);
    this.assignWeights(weights);
  }

  override assignWeights(weights: readonly tf.Tensor[]): void {
    const n = this.forwardLayer.trainableVariables().length;
    this.forwardLayer.assignWeights(weights.slice(0, n));
    this.backwardLayer.assignWeights(weights.slice(n));
  }

  override regularizationLoss(): tf.Scalar | null {
    const terms = [this.forwardLayer.regularizationLoss(), this.backwardLayer.regularizationLoss()].filter((t): t is tf.Scalar => t !== null);
    if (terms.length < 2) return terms[0] ?? null;
    const sum = tf.add(terms[0]!, terms[1]!) as tf.Scalar;
    tf.dispose(terms);
    return sum;
  }

  /** Resets both directions' states (stateful layers). */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override dispose(): void {
    this.forwardLayer.dispose();
    this.backwardLayer.dispose();
    super.dispose();
  }
}
