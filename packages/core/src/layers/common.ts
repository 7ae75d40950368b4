import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, describe } from '../errors.js';
import { SeededRandom, glorotUniform, orthogonal } from '../initializers.js';
import { assertOneOf } from '../validate.js';

/** A shape with unknown (any) dimensions as null, as Keras writes `None`. */
export type Shape = readonly (number | null)[];

/** Initialiser names accepted by layers (Keras names in tfjs-layers' camelCase). */
export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunUniform'
  | 'orthogonal'
  | 'zeros'
  | 'ones'
  | 'randomUniform';
/** Every initialiser name, for validation. */
export const INITIALIZER_NAMES: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'orthogonal',
  'zeros',
  'ones',
  'randomUniform',
];

/** An initialiser by name, or with its own seed (otherwise one is derived from the layer's seed). */
export type Initializer = InitializerName | { name: InitializerName; seed?: number };

/** An L1/L2 penalty on a weight, added to the training loss (Keras: `l1·Σ|w| + l2·Σw²`). */
export type Regularizer = 'l1' | 'l2' | 'l1l2' | { l1?: number; l2?: number };

/** Checks an {@link Initializer} option. */
export function assertInitializer(value: unknown, argument: string): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { name, seed, ...rest } = value as { name?: unknown; seed?: unknown };
    if (Object.keys(rest).length > 0) {
      throw new ConfigError(`${argument}: expected { name, seed? }, received unknown keys ${describe(Object.keys(rest))}`);
    }
    assertOneOf(name, INITIALIZER_NAMES, `${argument}.name`);
    if (seed !== undefined) assertSeed(seed, `${argument}.seed`);
    return;
  }
  assertOneOf(value, INITIALIZER_NAMES, argument);
}

/** Checks a {@link Regularizer} option. */
export function assertRegularizer(value: unknown, argument: string): void {
  if (typeof value === 'string') {
    assertOneOf(value, ['l1', 'l2', 'l1l2'] as const, argument);
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${argument}: expected 'l1', 'l2', 'l1l2' or { l1?, l2? }, received ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'l1' && key !== 'l2') throw new ConfigError(`${argument}: expected keys l1, l2, received ${describe(key)}`);
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
      throw new ConfigError(`${argument}.${key}: expected a non-negative finite number, received ${describe(v)}`);
    }
  }
}

/** Checks an integer seed. */
export function assertSeed(value: unknown, argument: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigError(`${argument}: expected an integer, received ${describe(value)}`);
  }
}

/** Checks a rate in [0, 1) (dropout). */
export function assertRate(value: unknown, argument: string): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ConfigError(`${argument}: expected a number in [0, 1), received ${describe(value)}`);
  }
}

/** Checks a finite number. */
export function assertFiniteNumber(value: unknown, argument: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(`${argument}: expected a finite number, received ${describe(value)}`);
  }
}

/** Checks a layer or model name. */
export function assertName(value: unknown, argument: string): void {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(value)) {
    throw new ConfigError(`${argument}: expected letters, digits, '_', '.', '-', received ${describe(value)}`);
  }
}

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

function uniform(n: number, limit: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  return out;
}

/** Keras's truncated normal (resampled beyond two standard deviations), with its variance correction. */
function truncatedNormal(n: number, scale: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const std = Math.sqrt(scale) / 0.8796256610342398;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal();
    while (Math.abs(v) > 2) v = rng.normal();
    out[i] = v * std;
  }
  return out;
}

/** Initial values of a weight, computed in JS from the seed (bit-identical on every backend). */
export function initialValues(init: Initializer, shape: readonly number[], seed: number): Float32Array {
  const name = typeof init === 'string' ? init : init.name;
  const s = typeof init === 'string' ? seed : (init.seed ?? seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const [fanIn, fanOut] = fans(shape);
  switch (name) {
    case 'zeros':
      return new Float32Array(n);
    case 'ones':
      return new Float32Array(n).fill(1);
    case 'glorotUniform':
      return shape.length === 2 ? glorotUniform(fanIn, fanOut, s) : uniform(n, Math.sqrt(6 / (fanIn + fanOut)), s);
    case 'glorotNormal':
      return truncatedNormal(n, 2 / (fanIn + fanOut), s);
    case 'heUniform':
      return uniform(n, Math.sqrt(6 / fanIn), s);
    case 'heNormal':
      return truncatedNormal(n, 2 / fanIn, s);
    case 'lecunUniform':
      return uniform(n, Math.sqrt(3 / fanIn), s);
    case 'randomUniform':
      return uniform(n, 0.05, s);
    case 'orthogonal': {
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      return orthogonal(rows, shape[shape.length - 1]!, s);
    }
  }
}

/** The penalty of `w` (a scalar), or null when the regularizer adds nothing. */
export function penalty(reg: Regularizer, w: tf.Tensor): tf.Scalar | null {
  const { l1, l2 } =
    reg === 'l1' ? { l1: 0.01, l2: 0 } : reg === 'l2' ? { l1: 0, l2: 0.01 } : reg === 'l1l2' ? { l1: 0.01, l2: 0.01 } : { l1: reg.l1 ?? 0, l2: reg.l2 ?? 0 };
  if (l1 === 0 && l2 === 0) return null;
  return tf.tidy(() => {
    let p: tf.Scalar = tf.scalar(0);
    if (l1 !== 0) p = tf.add(p, tf.mul(l1, tf.sum(tf.abs(w))));
    if (l2 !== 0) p = tf.add(p, tf.mul(l2, tf.sum(tf.square(w))));
    return p;
  });
}

/**
 * A dropout keep-mask scaled by 1/(1 − rate) (Keras's inverted dropout), drawn in JS from a seeded stream so
 * training runs repeat on every backend.
 */
export function dropoutMask(shape: readonly number[], rate: number, rng: SeededRandom): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const keep = 1 / (1 - rate);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform() < rate ? 0 : keep;
  return tf.tensor(values, [...shape], 'float32');
}

const layerNames = new Map<string, number>();
/** Keras-style unique names: `lstm`, `lstm_1`, `lstm_2`, … */
export function uniqueLayerName(base: string): string {
  const n = layerNames.get(base) ?? 0;
  layerNames.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}
