import { ConfigError, ResourceLimitError, describe } from './errors.js';

/**
 * The most bytes one allocation the library is asked to make may take (weights of a layer, the activations a
 * forward or training pass keeps, a training data set's batches), checked from the shapes before anything is
 * allocated. The default, 2 GiB, is above what a browser tab can hold for one model and far below what kills
 * one; raise it in Node with {@link setAllocationLimit} when you mean it.
 */
export const DEFAULT_ALLOCATION_LIMIT_BYTES = 2 * 1024 ** 3;

let limitBytes = DEFAULT_ALLOCATION_LIMIT_BYTES;

/** Sets the limit checked by {@link assertAllocation} (bytes, a positive number; `Infinity` turns it off). */
export function setAllocationLimit(bytes: number): void {
  if (typeof bytes !== 'number' || !(bytes > 0) || Number.isNaN(bytes)) {
    throw new ConfigError(`setAllocationLimit(bytes): expected a positive number of bytes (or Infinity), received ${describe(bytes)}`);
  }
  limitBytes = bytes;
}

/** The limit in force (bytes). */
export function getAllocationLimit(): number {
  return limitBytes;
}

/** Bytes of a float32 tensor of this shape (4 per element), as a float64 estimate that cannot overflow. */
export function float32Bytes(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 4);
}

/**
 * Throws {@link ResourceLimitError} when `bytes` exceeds the limit, naming `argument` and what the bytes are
 * for, before anything is allocated.
 */
export function assertAllocation(bytes: number, what: string, argument: string): void {
  if (!(bytes <= limitBytes)) {
    throw new ResourceLimitError(
      `${argument}: ${what} would take ${formatBytes(bytes)} (${bytes.toExponential(3)} bytes), above the allocation limit of ` +
        `${formatBytes(limitBytes)}; use smaller sizes, or raise the limit with setAllocationLimit(bytes)`,
      bytes,
      limitBytes,
    );
  }
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
