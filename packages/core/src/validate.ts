import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DTypeError, DisposedError, ShapeError, describe } from './errors.js';
import type { OptionCheck } from './options.js';

/** Throws {@link ConfigError} unless `value` is a positive integer. */
export function assertPositiveInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name}: expected a positive integer, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is an integer ≥ 0. */
export function assertNonNegativeInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name}: expected a non-negative integer, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is an integer (any sign). */
export function assertInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigError(`${name}: expected an integer, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is a finite number. */
export function assertFiniteNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(`${name}: expected a finite number, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is a finite number > 0. */
export function assertPositiveNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new ConfigError(`${name}: expected a positive finite number, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is a string. */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new ConfigError(`${name}: expected a string, received ${describe(value)}`);
}

/** Throws {@link ConfigError} unless `value` is a function. */
export function assertFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new ConfigError(`${name}: expected a function, received ${describe(value)}`);
}

/** Throws {@link ConfigError} unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, received ${describe(value)}`);
  }
}

/** The schema entry for an option that takes one of `allowed` (see `checkOptions`). */
export function oneOf(allowed: readonly string[]): OptionCheck {
  return (value, argument) => assertOneOf(value, allowed, argument);
}

/** Throws {@link ConfigError} unless `value` is a boolean (or undefined when optional). */
export function assertBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new ConfigError(`${name}: expected a boolean, received ${describe(value)}`);
  }
}

/**
 * Throws unless `value` is a live tfjs tensor of the given rank and dtype float32: {@link ShapeError} for
 * something else or another rank, {@link DisposedError} for a disposed tensor, {@link DTypeError} for another dtype.
 */
export function assertFloatTensor(value: unknown, rank: number, name: string): asserts value is tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new ShapeError(`${name}: expected a rank-${rank} float32 tensor, received ${describe(value)}`);
  }
  assertLive(value, name);
  if (value.rank !== rank) {
    throw new ShapeError(`${name}: expected rank ${rank}, received rank ${value.rank} (shape ${describe(value.shape)})`);
  }
  if (value.dtype !== 'float32') {
    throw new DTypeError(`${name}: expected dtype float32, received ${value.dtype} (cast with tf.cast(x, 'float32'))`);
  }
}

/** Throws {@link DisposedError} when a tensor passed in has been disposed (its values are gone). */
export function assertLive(value: tf.Tensor, name: string): void {
  if (value.isDisposed) {
    throw new DisposedError(`${name}: the tensor has been disposed (a ${describe(value.shape)} ${value.dtype} tensor); pass a live one`);
  }
}

/** Throws {@link ShapeError} unless a [batch, steps, …] tensor has at least one example and one timestep. */
export function assertNonEmptySequence(x: tf.Tensor, name: string): void {
  if (!(x.shape[0]! >= 1 && x.shape[1]! >= 1)) {
    throw new ShapeError(`${name}: expected at least one example and one timestep, received shape ${describe(x.shape)}`);
  }
}

/** `(None, 20, 64)` as Keras prints shapes. */
export function formatShape(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}
