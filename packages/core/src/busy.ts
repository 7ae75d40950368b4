import { BusyError } from './errors.js';

/** What holds each model now (`fit`, `trainOnBatch`, `evaluate`); absent when the model is free. */
const holders = new WeakMap<object, string>();

/**
 * Takes a model for an operation that must run alone on it (training reads and writes the weights and the
 * optimizer state across awaits). Throws {@link BusyError} naming the holder when the model is taken; returns the
 * function that releases it.
 * @internal
 */
export function holdModel(model: object, holder: string, where: string): () => void {
  assertModelFree(model, where);
  holders.set(model, holder);
  return () => {
    if (holders.get(model) === holder) holders.delete(model);
  };
}

/**
 * Throws {@link BusyError} when an operation holds `model`: for calls that would change what the holder is
 * using (`compile`, `setWeights`, a second `fit`, `dispose`).
 * @internal
 */
export function assertModelFree(model: object, where: string): void {
  const holder = holders.get(model);
  if (holder !== undefined) {
    throw new BusyError(
      `${where}: the model is busy: ${holder} is running on it; wait until it resolves (abort fit() with its signal to stop early)`,
    );
  }
}

/** The operation holding `model`, or undefined. @internal */
export function modelHolder(model: object): string | undefined {
  return holders.get(model);
}
