/**
 * Every error thrown by basicrnn packages extends {@link BasicRNNError}, so `catch (e) { if (e instanceof
 * BasicRNNError) … }` separates our validation from anything else. Messages name the argument, what was expected
 * and what was received.
 */
export class BasicRNNError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A tensor or array has the wrong rank or shape. */
export class ShapeError extends BasicRNNError {}

/** A tensor has the wrong dtype (for example int32 where float32 is required). */
export class DTypeError extends BasicRNNError {}

/** An option or argument has a value outside what is accepted (sizes, names, ranges). */
export class ConfigError extends BasicRNNError {}

/** An operation needs the model's weights, and the model has not been built yet. */
export class NotBuiltError extends BasicRNNError {}

/** `setWeights` got the wrong number of arrays, or arrays of the wrong shapes. */
export class WeightsError extends ShapeError {}

/** A backend name is unknown, or the backend failed to initialise. The previous backend stays active. */
export class BackendError extends BasicRNNError {}

/** The operation cannot run now (for example `setBackend` while `fit` is running). */
export class BusyError extends BasicRNNError {}

/** A model was used after `dispose()`. */
export class DisposedError extends BasicRNNError {}

/** An operation would allocate more than the allocation limit (see `setAllocationLimit`); nothing was allocated. */
export class ResourceLimitError extends BasicRNNError {
  constructor(
    message: string,
    /** Bytes the operation asked for. */
    readonly bytes: number,
    /** The limit in force. */
    readonly limit: number,
  ) {
    super(message);
  }
}

/** Training needs `compile()` first. */
export class NotCompiledError extends BasicRNNError {}

/** Training produced a NaN or infinite loss or gradient; the weights of the last finite step are kept. */
export class NonFiniteError extends BasicRNNError {
  constructor(
    message: string,
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(message);
  }
}

/** Formats a value for an error message: shapes as [a,b,c], strings quoted, long arrays shortened. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => (v === null ? 'null' : describe(v)));
    return `[${items.join(',')}${value.length > 8 ? ',…' : ''}]`;
  }
  if (typeof value === 'object') {
    const shape = (value as { shape?: unknown }).shape;
    const dtype = (value as { dtype?: unknown }).dtype;
    if (Array.isArray(shape)) return `${String(dtype ?? 'tensor')} tensor of shape ${describe(shape)}`;
    return Object.prototype.toString.call(value);
  }
  return String(value);
}

/**
 * Saving or loading a model failed: a destination or source that cannot be used, a file that is missing,
 * truncated or corrupt, or an artifact that does not match what it claims. The previous saved model and the
 * model in memory are unchanged.
 */
export class ModelIOError extends BasicRNNError {}
