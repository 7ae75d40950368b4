import type * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_TABLE, type RecurrentActivationName } from '../activations.js';
import type { CpuBackend } from './cpu_rnn_sequence.js';
import { checkGatedSequenceInputs } from './gated_sequence_shapes.js';

/**
 * z[zOffset + j] += Σ_k v[vOffset + k] · m[k, col0 + j] for j < width, over a row-major m with `cols` columns.
 * Four rows of m per pass over z (a quarter of the loads and stores of z), as addVectorTimesMatrix.
 */
export function addRowTimesColumns(
  z: Float64Array,
  zOffset: number,
  v: ArrayLike<number>,
  vOffset: number,
  rows: number,
  m: ArrayLike<number>,
  cols: number,
  col0: number,
  width: number,
): void {
  let k = 0;
  for (; k + 3 < rows; k += 4) {
    const a = v[vOffset + k]!;
    const b = v[vOffset + k + 1]!;
    const c = v[vOffset + k + 2]!;
    const d = v[vOffset + k + 3]!;
    const r0 = k * cols + col0;
    const r1 = r0 + cols;
    const r2 = r1 + cols;
    const r3 = r2 + cols;
    for (let j = 0; j < width; j++) z[zOffset + j]! += a * m[r0 + j]! + b * m[r1 + j]! + c * m[r2 + j]! + d * m[r3 + j]!;
  }
  for (; k < rows; k++) {
    const a = v[vOffset + k]!;
    const r = k * cols + col0;
    for (let j = 0; j < width; j++) z[zOffset + j]! += a * m[r + j]!;
  }
}

/**
 * out[outOffset + k] = Σ_j g[j] · m[k, col0 + j] (g times the transpose of a column block of m), for k < rows.
 */
export function rowTimesColumnsTransposed(
  out: Float64Array | Float32Array,
  outOffset: number,
  g: Float64Array,
  gOffset: number,
  rows: number,
  m: ArrayLike<number>,
  cols: number,
  col0: number,
  width: number,
  accumulate: boolean,
): void {
  for (let k = 0; k < rows; k++) {
    const r = k * cols + col0;
    let acc = 0;
    for (let j = 0; j < width; j++) acc += g[gOffset + j]! * m[r + j]!;
    out[outOffset + k] = accumulate ? out[outOffset + k]! + acc : acc;
  }
}

/** dM[k, col0 + j] += v[vOffset + k] · g[gOffset + j]: the outer-product update of a weight gradient. */
export function addOuter(
  dM: Float64Array,
  v: ArrayLike<number>,
  vOffset: number,
  rows: number,
  g: Float64Array,
  gOffset: number,
  cols: number,
  col0: number,
  width: number,
): void {
  for (let k = 0; k < rows; k++) {
    const a = v[vOffset + k]!;
    if (a === 0) continue;
    const r = k * cols + col0;
    for (let j = 0; j < width; j++) dM[r + j]! += a * g[gOffset + j]!;
  }
}

/** The typed inputs and attrs every gated cpu kernel reads. */
export interface GatedKernelContext {
  cpu: CpuBackend;
  B: number;
  T: number;
  I: number;
  H: number;
  xs: ArrayLike<number>;
  w: ArrayLike<number>;
  u: ArrayLike<number>;
  bias: ArrayLike<number>;
  h0: ArrayLike<number>;
  mask: ArrayLike<number>;
  act: (z: number) => number;
  actSlope: (a: number) => number;
  gate: (z: number) => number;
  gateSlope: (a: number) => number;
  goBackwards: boolean;
  resetAfter: boolean;
  hiddenStateGrads: boolean;
}

/** The data of an input, or `fill` repeated `size` times when the input is absent (a forward's h0, c0, mask). */
export function readOr(cpu: CpuBackend, t: tf.TensorInfo | undefined, size: number, fill: number): ArrayLike<number> {
  return t === undefined ? new Float32Array(size).fill(fill) : cpu.readSync(t.dataId);
}

/** Checks and reads the common inputs of a gated kernel (an absent h0 reads as zeros, an absent mask as ones). */
export function gatedContext(kernelName: string, gates: number, inputs: tf.NamedTensorInfoMap, backend: unknown, attrs: tf.NamedAttrMap): GatedKernelContext {
  const cpu = backend as CpuBackend;
  const { x, kernel, recurrentKernel, bias, h0, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
  const a = attrs as unknown as {
    activation: RecurrentActivationName;
    recurrentActivation: RecurrentActivationName;
    goBackwards: boolean;
    resetAfter: boolean;
    hiddenStateGrads?: boolean;
  };
  const { batch: B, steps: T, inputSize: I, units: H } = checkGatedSequenceInputs(kernelName, 'cpu', inputs, gates, a.resetAfter);
  const act = ACTIVATION_TABLE[a.activation];
  const gate = ACTIVATION_TABLE[a.recurrentActivation];
  return {
    cpu,
    B,
    T,
    I,
    H,
    xs: cpu.readSync(x!.dataId),
    w: cpu.readSync(kernel!.dataId),
    u: cpu.readSync(recurrentKernel!.dataId),
    bias: cpu.readSync(bias!.dataId),
    h0: readOr(cpu, h0, B * H, 0),
    mask: readOr(cpu, mask, B * T, 1),
    act: act.scalar,
    actSlope: act.scalarSlope,
    gate: gate.scalar,
    gateSlope: gate.scalarSlope,
    goBackwards: a.goBackwards,
    resetAfter: a.resetAfter,
    hiddenStateGrads: a.hiddenStateGrads === true,
  };
}
