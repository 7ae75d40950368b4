import type { TrainingMirror } from './training/mirror.js';
/**
 * The brand every basicrnn error carries on its prototype, `Symbol.for('basicrnn.error')`: a registered symbol, so
 * packages that do not import core (`@basicrnn/viz`) can mark their errors as library errors, and two copies of
 * core loaded at once still recognise each other's errors.
 */
export const BASICRNN_ERROR_BRAND: unique symbol = Symbol.for('basicrnn.error') as never;

/**
 * Whether `value` is an error thrown by a basicrnn package: core's {@link BasicRNNError} family, and the errors of
 * packages that carry the brand without importing core (`@basicrnn/viz`'s `VizError` family).
 */
export function isBasicRNNError(value: unknown): value is Error {
  return (
    typeof value === 'object' && value !== null && (value as { [BASICRNN_ERROR_BRAND]?: unknown })[BASICRNN_ERROR_BRAND] === true
  );
}

/**
 * Every error thrown by basicrnn packages extends {@link BasicRNNError}, so `catch (e) { if (e instanceof
 * BasicRNNError) … }` separates our validation from anything else. `instanceof BasicRNNError` is also true for the
 * errors of `@basicrnn/viz`, which carry the same brand without importing core (see {@link isBasicRNNError}).
 * Messages name the argument, what was expected and what was received.
 *
 * Each class sets its `name` as a string literal, so names survive minifiers that rename classes.
 */
export class BasicRNNError extends Error {
  override name = 'BasicRNNError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** `e instanceof BasicRNNError` checks the brand; subclasses keep the ordinary prototype check. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === BasicRNNError) return isBasicRNNError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
Object.defineProperty(BasicRNNError.prototype, BASICRNN_ERROR_BRAND, { value: true });

/** A tensor or array has the wrong rank or shape. */
export class ShapeError extends BasicRNNError {
  override name = 'ShapeError';
}

/** A tensor has the wrong dtype (for example int32 where float32 is required). */
export class DTypeError extends BasicRNNError {
  override name = 'DTypeError';
}

/** An option or argument has a value outside what is accepted (sizes, names, ranges). */
export class ConfigError extends BasicRNNError {
  override name = 'ConfigError';
}

/** An operation needs the model's weights, and the model has not been built yet. */
export class NotBuiltError extends BasicRNNError {
  override name = 'NotBuiltError';
}

/** `setWeights` got the wrong number of arrays, or arrays of the wrong shapes. */
export class WeightsError extends ShapeError {
  override name = 'WeightsError';
}

/** A backend name is unknown, or the backend failed to initialise. The previous backend stays active. */
export class BackendError extends BasicRNNError {
  override name = 'BackendError';
}

/** The operation cannot run now (for example `setBackend` while `fit` is running). */
export class BusyError extends BasicRNNError {
  override name = 'BusyError';
}

/** A model, or a tensor passed in, was used after `dispose()`. */
export class DisposedError extends BasicRNNError {
  override name = 'DisposedError';
}

/** An operation would allocate more than the allocation limit (see `setAllocationLimit`); nothing was allocated. */
export class ResourceLimitError extends BasicRNNError {
  override name = 'ResourceLimitError';

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
export class NotCompiledError extends BasicRNNError {
  override name = 'NotCompiledError';
}

/** Training produced a NaN or infinite loss or gradient; the weights of the last finite step are kept. */
export class NonFiniteError extends BasicRNNError {
  override name = 'NonFiniteError';

  constructor(
    message: string,
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(message);
  }
}

/**
 * A training step failed inside tfjs (a kernel or the optimizer threw). The step's tensors were freed and the
 * error tfjs threw is the `cause`; the checks that run before each update (model not busy, optimizer not disposed,
 * loss and gradients finite) make such a failure rare.
 */
export class TrainingError extends BasicRNNError {
  override name = 'TrainingError';
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
    if (Array.isArray(shape)) {
      const disposed = (value as { isDisposed?: unknown }).isDisposed === true ? 'disposed ' : '';
      return `${disposed}${String(dtype ?? 'tensor')} tensor of shape ${describe(shape)}`;
    }
    return Object.prototype.toString.call(value);
  }
  return String(value);
}

/**
 * Saving or loading a model failed: a destination or source that cannot be used, a file that is missing,
 * truncated or corrupt, or an artifact that does not match what it claims. The previous saved model and the
 * model in memory are unchanged.
 */
export class ModelIOError extends BasicRNNError {
  override name = 'ModelIOError';
}

/**
 * A saved model's layer config holds a key this library cannot honour (a constraint, an activity regulariser, an
 * unknown initialiser or option): it would change the numbers, so it is refused, naming the layer and the key.
 */
export class UnsupportedConfigError extends ModelIOError {
  override name = 'UnsupportedConfigError';
}

/**
 * The device of the active backend was lost while training ran (a lost WebGL context, which tfjs-webgl 4.22 never
 * restores). The model's weights have been restored from {@link DeviceLostError.mirror} (when one was taken);
 * switch to another backend (`setBackend('wasm')` or `'cpu'`) and train again to continue from there.
 */
export class DeviceLostError extends BackendError {
  override name = 'DeviceLostError';

  constructor(
    message: string,
    /** The copy the weights and optimizer state were restored from, or null when none had been taken. */
    readonly mirror: TrainingMirror | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
