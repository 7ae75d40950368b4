/**
 * The brand of basicrnn errors, `Symbol.for('basicrnn.error')`, the same registered symbol `@basicrnn/core` puts on
 * `BasicRNNError`. viz does not import core, so it marks its errors with the symbol: core's `isBasicRNNError(e)` and
 * `e instanceof BasicRNNError` are true for every {@link VizError}.
 */
const BASICRNN_ERROR_BRAND = Symbol.for('basicrnn.error');

/**
 * Every error thrown by `@basicrnn/viz` extends {@link VizError}, so `catch (e) { if (e instanceof VizError) … }`
 * separates bad plot input from anything else; they are basicrnn library errors too (`isBasicRNNError(e)` and
 * `e instanceof BasicRNNError` from `@basicrnn/core` are true). Messages name the argument, what was expected and
 * what was received. Each class sets its `name` as a string literal, so names survive minification.
 *
 * @example
 * ```ts
 * try {
 *   await rnnWorkingSvg({ input, output, state, example: 99 });
 * } catch (e) {
 *   if (e instanceof VizValueError) console.error(e.message); // "example: expected an integer in [0, 31] …"
 * }
 * ```
 */
export class VizError extends Error {
  override name = 'VizError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
Object.defineProperty(VizError.prototype, BASICRNN_ERROR_BRAND, { value: true });

/** An array or tensor has the wrong rank or shape, or two arguments disagree on a dimension (batch, timesteps). */
export class VizShapeError extends VizError {
  override name = 'VizShapeError';
}

/**
 * A value is outside what is accepted: an index out of range, a non-numeric entry, a disposed tensor, bad options,
 * a missing data argument, an unknown option or data key.
 */
export class VizValueError extends VizError {
  override name = 'VizValueError';
}

/** The environment lacks something the call needs, for example a DOM `document` to mount a plot into. */
export class VizEnvironmentError extends VizError {
  override name = 'VizEnvironmentError';
}

/** A plot handle was used after `dispose()`. */
export class VizDisposedError extends VizError {
  override name = 'VizDisposedError';
}

/** Formats a shape for messages: `[32,20,10]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Formats any received value briefly for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}
