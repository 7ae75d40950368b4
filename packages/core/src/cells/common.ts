import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_TABLE, type ActivationSpec, type RecurrentActivationName } from '../activations.js';
import type { CellType } from '../kernel_names.js';
import { batchMajor, maskColumns, timeMajor } from '../ops/sequence_layout.js';

/** What a cell's composite forward reads. Optional tensors may be absent (no key) or undefined. */
export interface CellInputs {
  /** [B, T, I] float32 */
  x: tf.Tensor;
  /** [I, G·H] */
  kernel: tf.Tensor;
  /** [H, G·H] */
  recurrentKernel: tf.Tensor;
  /** [G·H]; GRU with resetAfter: [2, 3H] */
  bias?: tf.Tensor | undefined;
  /** [B, H] */
  h0: tf.Tensor;
  /** [B, H], LSTM only; zeros when absent */
  c0?: tf.Tensor | undefined;
  /** [B, T] bool or float32; 0 = step skipped, state carried over */
  mask?: tf.Tensor | undefined;
  /** [B, H]: multiplies h_{t−1} where it enters ·U (Keras 3 recurrent dropout), never the carried state */
  recurrentDropoutMask?: tf.Tensor | undefined;
}

/** Attributes shared by every cell (`recurrentActivation` and `resetAfter` are ignored where they do not apply). */
export interface CellAttrs {
  activation: RecurrentActivationName;
  recurrentActivation: RecurrentActivationName;
  goBackwards: boolean;
  resetAfter: boolean;
}

/** What a cell's composite backward reads: its forward inputs, outputs and the gradients reaching them. */
export interface CellGradInputs extends CellInputs {
  /** [B, T, H], processing order */
  hiddenStates: tf.Tensor;
  /** [B, T, H], LSTM */
  cellStates?: tf.Tensor | undefined;
  /** [B, T, H] ∂loss/∂hiddenStates; absent = zeros */
  dh?: tf.Tensor | null | undefined;
  /** [B, T, H] ∂loss/∂cellStates (LSTM); absent = zeros */
  dc?: tf.Tensor | null | undefined;
}

/** A cell sequence's outputs. */
export interface CellOutputs {
  /** [B, T, H] in processing order */
  hiddenStates: tf.Tensor3D;
  /** [B, T, H], LSTM only */
  cellStates?: tf.Tensor3D;
}

/** Gradients of a cell sequence with respect to each input. `dBias` has the bias's shape (computed even without one). */
export interface CellGrads {
  dx: tf.Tensor3D;
  dKernel: tf.Tensor2D;
  dRecurrentKernel: tf.Tensor2D;
  dBias: tf.Tensor;
  dh0: tf.Tensor2D;
  /** LSTM only */
  dc0?: tf.Tensor2D;
  /** ∂loss/∂h_t, the total gradient reaching each hidden state [B, T, H] (processing order), when asked for */
  dHiddenStates?: tf.Tensor3D;
}

/** Weight shapes of one cell, Keras layout. */
export interface CellWeightShapes {
  kernel: [number, number];
  recurrentKernel: [number, number];
  bias: number[];
}

/**
 * A recurrent cell as a small spec: its gates, its weight shapes and its composite sequence in tfjs ops (forward
 * and BPTT). The sequence op of each cell (ops/sequence_op.ts) dispatches between this composite and fused
 * kernels; adding a cell means one file here plus one kernel file per backend.
 */
export interface CellSpec {
  cell: CellType;
  /** Gate names in weight-column order (Keras): [h] for SimpleRNN, [i, f, c, o] for LSTM, [z, r, h] for GRU. */
  gates: readonly string[];
  /** Whether the cell carries a second state (LSTM's c). */
  hasCellState: boolean;
  /** Keras weight shapes for input size I and H units. */
  weightShapes(inputSize: number, units: number, resetAfter: boolean): CellWeightShapes;
  /** The composite forward: input projection for all steps in one matmul, then the recurrent loop. */
  forward(inputs: CellInputs, attrs: CellAttrs): CellOutputs;
  /** The composite BPTT: gate values recomputed in batched matmuls from the saved states, then the backward loop. */
  backward(inputs: CellGradInputs, attrs: CellAttrs, hiddenStateGrads: boolean): CellGrads;
}

/** The activation's forms (tensor, scalar, slope). */
export function activationOf(name: RecurrentActivationName): ActivationSpec {
  return ACTIVATION_TABLE[name];
}

/** a ⊙ b where b may be "ones" (null). */
export function mulMaybe(a: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  return b === null ? a : tf.mul(a, b);
}

/**
 * x [B, T, I] in processing order, time-major and flattened to [T·B, I]. With a mask, the steps it skips (mask
 * exactly 0) read as zeros: nothing computed from them reaches a state, but the composites still compute a
 * masked step's values and then discard them, and a gradient that reaches them as 0 times a NaN or ±∞ computed
 * from such an input would be NaN (and xᵀ·dZ would carry it into dKernel).
 */
export function inputRows(x: tf.Tensor, goBackwards: boolean, mask?: tf.Tensor): tf.Tensor2D {
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const read = mask === undefined ? x : tf.where(tf.expandDims(tf.equal(mask, 0), 2), tf.zeros(x.shape), x);
  return tf.reshape(timeMajor(read, goBackwards), [steps * batch, inputSize]);
}

/** x_t·W (+ b) for every step, in one matmul: [B, G·H] per step in processing order (masked steps read x as 0). */
export function projectedSteps(inputs: CellInputs, goBackwards: boolean, inputBias: tf.Tensor | undefined): tf.Tensor[] {
  const { x, kernel, mask } = inputs;
  const [batch, steps] = x.shape as [number, number, number];
  return perStep(projectInputs(inputRows(x, goBackwards, mask ?? undefined), kernel, inputBias), steps, batch);
}

/** x·W (+ b) for every step and every gate in one matmul: [T·B, G·H]. */
export function projectInputs(rows: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor2D {
  const projected = tf.matMul(rows, kernel);
  return (bias === undefined ? projected : tf.add(projected, bias)) as tf.Tensor2D;
}

/** Columns [from, from + width) of a [rows, cols] matrix. */
export function columns(m: tf.Tensor, from: number, width: number): tf.Tensor2D {
  return tf.slice(m, [0, from], [m.shape[0]!, width]) as tf.Tensor2D;
}

/** [T·B, C] rows as T tensors of [B, C]. */
export function perStep(rows: tf.Tensor, steps: number, batch: number): tf.Tensor[] {
  return tf.unstack(tf.reshape(rows, [steps, batch, rows.shape[1]!]));
}

/**
 * One step of the mask, in processing order, broadcast to a state's shape [B, H]: where it takes the step (m = 1)
 * and, only when some mask value is fractional, its value m and where it skips the step (m = 0); and zeros (what
 * a skipped step lets into its own gradient).
 */
interface StepMask {
  taken: tf.Tensor;
  zeros: tf.Tensor;
  fractional: { weight: tf.Tensor; skipped: tf.Tensor } | null;
}

/**
 * The mask's steps in processing order, broadcast to [B, units] once for the loop, or null without a mask. Reads
 * the mask once to know whether it is binary (the common case: one select per state and step).
 */
function maskSteps(mask: tf.Tensor | undefined, goBackwards: boolean, units: number): StepMask[] | null {
  if (mask === undefined) return null;
  const values = mask.dataSync();
  let isFractional = false;
  for (let k = 0; k < values.length && !isFractional; k++) isFractional = values[k] !== 0 && values[k] !== 1;
  const weights = tf.tile(tf.stack(maskColumns(mask, goBackwards)), [1, 1, units]);
  const taken = tf.unstack(tf.equal(weights, 1));
  const zeros = tf.zeros(weights.shape.slice(1));
  if (!isFractional) return taken.map((t) => ({ taken: t, zeros, fractional: null }));
  const skipped = tf.unstack(tf.equal(weights, 0));
  return tf.unstack(weights).map((weight, t) => ({ taken: taken[t]!, zeros, fractional: { weight, skipped: skipped[t]! } }));
}

/**
 * tf.where for a condition and operands of one shape, without the three broadcasts (clones) tf.where adds: the
 * step loops select several times a step.
 */
function select(condition: tf.Tensor, ifTrue: tf.Tensor, ifFalse: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(tf.Select, { condition, t: ifTrue, e: ifFalse }) as tf.Tensor;
}

/**
 * Keras masking as a select, never a blend: exactly `ifSkipped` where the step's mask is 0 and exactly `ifTaken`
 * where it is 1, so nothing computed from a masked step (a NaN or ±∞ input there) can reach the result, as it
 * would through m·v (0·NaN is NaN). Fractional mask values, an extension (Keras masks are boolean), take
 * `ifFractional(m)`.
 */
function selectByMask(
  m: StepMask | undefined,
  ifSkipped: tf.Tensor,
  ifTaken: tf.Tensor,
  ifFractional: (weight: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  if (m === undefined) return ifTaken;
  if (m.fractional === null) return select(m.taken, ifTaken, ifSkipped);
  return select(m.fractional.skipped, ifSkipped, select(m.taken, ifTaken, ifFractional(m.fractional.weight)));
}

/** Keras masking: a skipped step carries the previous state over unchanged (a fractional m blends s + m·(next − s)). */
function carry(previous: tf.Tensor, next: tf.Tensor, m: StepMask | undefined): tf.Tensor {
  return selectByMask(m, previous, next, (weight) => tf.add(previous, tf.mul(weight, tf.sub(next, previous))));
}

/** The part of a step's incoming gradient g that enters the step: g where it was taken, 0 where skipped, m⊙g between. */
function enteringGradient(g: tf.Tensor, m: StepMask | undefined): tf.Tensor {
  return selectByMask(m, m?.zeros ?? g, g, (weight) => tf.mul(g, weight));
}

/**
 * What a step passes back to the previous state: `through` (the gradient through the step's computation) where
 * it was taken, exactly its incoming gradient g where it was skipped, `through` + (1 − m)⊙g between.
 */
function passedBack(through: tf.Tensor, g: tf.Tensor, m: StepMask | undefined): tf.Tensor {
  return selectByMask(m, g, through, (weight) => tf.add(through, tf.mul(g, tf.sub(1, weight))));
}

/**
 * The forward loop of every cell, in processing order: `step(t, states)` computes step t's new states (h, and c for
 * LSTM) from the previous ones; masking then keeps the previous ones where the step is skipped ({@link carry}).
 * Returns each state's sequence [B, T, H].
 */
export function forwardLoop(
  initial: tf.Tensor[],
  steps: number,
  mask: tf.Tensor | null | undefined,
  goBackwards: boolean,
  step: (t: number, states: tf.Tensor[]) => tf.Tensor[],
): tf.Tensor3D[] {
  const masks = maskSteps(mask ?? undefined, goBackwards, initial[0]!.shape[1]!);
  const sequences: tf.Tensor[][] = initial.map(() => []);
  let states = initial;
  for (let t = 0; t < steps; t++) {
    const next = step(t, states);
    states = next.map((s, k) => carry(states[k]!, s, masks?.[t]));
    states.forEach((s, k) => sequences[k]!.push(s));
  }
  return sequences.map(sequenceOf);
}

/**
 * The BPTT loop of every cell, last step first. For each state (h, and c for LSTM) the gradient reaching it at step
 * t is its upstream gradient plus what step t + 1 passed back; the part of it that enters the step
 * ({@link enteringGradient}) goes to `step(t, entering)`, which records the step's parameter gradients and returns
 * what passes back through its computation to each previous state; masking adds the part that skipped the step
 * ({@link passedBack}). Returns the gradients of the initial states and, per step, the gradient reaching h_t.
 * `upstream` holds each state's per-step upstream gradients ({@link upstreamSteps}).
 */
export function backwardLoop(
  upstream: tf.Tensor[][],
  steps: number,
  mask: tf.Tensor | null | undefined,
  goBackwards: boolean,
  step: (t: number, entering: tf.Tensor[]) => tf.Tensor[],
): { initial: tf.Tensor2D[]; reaching: tf.Tensor[] } {
  const masks = maskSteps(mask ?? undefined, goBackwards, upstream[0]![0]!.shape[1]!);
  const reaching = new Array<tf.Tensor>(steps);
  let passed: tf.Tensor[] | null = null;
  for (let t = steps - 1; t >= 0; t--) {
    const later: tf.Tensor[] | null = passed;
    const g: tf.Tensor[] = upstream.map((up, k) => (later === null ? up[t]! : tf.add(up[t]!, later[k]!)));
    reaching[t] = g[0]!;
    const m = masks?.[t];
    const through = step(t, g.map((gk) => enteringGradient(gk, m)));
    passed = through.map((d, k) => passedBack(d, g[k]!, m));
  }
  return { initial: passed as tf.Tensor2D[], reaching };
}

/** Per-step states [T] of [B, H] → [B, T, H]. */
export function sequenceOf(states: tf.Tensor[]): tf.Tensor3D {
  return batchMajor(tf.stack(states)) as tf.Tensor3D;
}

/**
 * The state each step started from, time-major [T·B, H]: s0 then the saved states of steps 0..T−2.
 * `states` is [B, T, H] in processing order.
 */
export function previousStates(s0: tf.Tensor, states: tf.Tensor): tf.Tensor2D {
  const [batch, steps, hidden] = states.shape as [number, number, number];
  const tm = batchMajor(states);
  const first = tf.expandDims(s0, 0);
  const prev = steps === 1 ? first : tf.concat([first, tf.slice(tm, [0, 0, 0], [steps - 1, batch, hidden])]);
  return tf.reshape(prev, [steps * batch, hidden]);
}

/** Gradients per step (processing order, [B, ·] each) → dx [B, T, I] via one matmul with Wᵀ. */
export function inputGradient(dProjected: tf.Tensor2D, kernel: tf.Tensor, batch: number, steps: number, goBackwards: boolean): tf.Tensor3D {
  const inputSize = kernel.shape[0]!;
  const ordered = tf.reshape(matMulTransposeB(dProjected, kernel), [steps, batch, inputSize]);
  return batchMajor(goBackwards ? tf.reverse(ordered, 0) : ordered) as tf.Tensor3D;
}

/** The upstream gradient per step (time-major [B, H] tensors), zeros when absent. */
export function upstreamSteps(d: tf.Tensor | null | undefined, like: tf.Tensor): tf.Tensor[] {
  return tf.unstack(batchMajor(d ?? tf.zerosLike(like)));
}

/** A step's h (or the gradient reaching it) times the recurrent-dropout mask d [B, H], where there is one. */
export function dropped(t: tf.Tensor, drop: tf.Tensor | null | undefined): tf.Tensor {
  return drop == null ? t : tf.mul(t, drop);
}

/** Time-major state rows [T·B, H] times the recurrent-dropout mask [B, H] (the same mask every step). */
export function droppedRows(rows: tf.Tensor2D, drop: tf.Tensor | undefined, steps: number): tf.Tensor2D {
  return drop === undefined ? rows : (tf.mul(rows, tf.tile(drop, [steps, 1])) as tf.Tensor2D);
}

/**
 * The gate blocks of a [R, G·H] matrix as G tensors [R, H] (Keras column order). One transpose then contiguous
 * row blocks: per-gate column slices are strided gathers, which tfjs's cpu backend runs element by element
 * (they dominated the composite's time, ~15× a transpose per element).
 */
export function gateBlocks(m: tf.Tensor, count: number): tf.Tensor2D[] {
  if (count === 1) return [m as tf.Tensor2D];
  const [rows, cols] = m.shape as [number, number];
  const width = cols / count;
  const blocks = rows === 1 ? tf.reshape(m, [count, 1, width]) : tf.transpose(tf.reshape(m, [rows, count, width]), [1, 0, 2]);
  return tf.unstack(blocks) as tf.Tensor2D[];
}

/**
 * aᵀ·b with the transpose as its own op: wasm's XNNPACK matmul takes no transposed operand and falls back to a
 * scalar path 20–70× slower (DESIGN.md), and a transpose costs one pass over a.
 */
export function matMulTransposeA(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.matMul(tf.transpose(a), b) as tf.Tensor2D;
}

/** a·bᵀ, the transpose as its own op (see {@link matMulTransposeA}). */
export function matMulTransposeB(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.matMul(a, tf.transpose(b)) as tf.Tensor2D;
}
