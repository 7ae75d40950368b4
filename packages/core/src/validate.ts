import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DTypeError, ShapeError, describe } from './errors.js';

/** Throws {@link ConfigError} unless `value` is a positive integer. */
export function assertPositiveInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name}: expected a positive integer, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, received ${describe(value)}`);
  }
}

/** Throws {@link ConfigError} unless `value` is a boolean (or undefined when optional). */
export function assertBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new ConfigError(`${name}: expected a boolean, received ${describe(value)}`);
  }
}

/** Throws unless `value` is a live tfjs tensor of the given rank and a float dtype. */
export function assertFloatTensor(value: unknown, rank: number, name: string): asserts value is tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new ShapeError(`${name}: expected a rank-${rank} float32 tensor, received ${describe(value)}`);
  }
  if (value.isDisposed) {
    throw new ShapeError(`${name}: the tensor has been disposed`);
  }
  if (value.rank !== rank) {
    throw new ShapeError(`${name}: expected rank ${rank}, received rank ${value.rank} (shape ${describe(value.shape)})`);
  }
  if (value.dtype !== 'float32') {
    throw new DTypeError(`${name}: expected dtype float32, received ${value.dtype} (cast with tf.cast(x, 'float32'))`);
  }
}

/** `(None, 20, 64)` as Keras prints shapes. */
export function formatShape(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}
