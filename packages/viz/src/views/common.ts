import { VizValueError, describeValue } from '../errors.js';
import { DEFAULT_SCHEME, type DivergingScheme } from '../theme.js';

/** Options every view accepts. */
export interface ViewOptions {
  /** Width of the whole figure in pixels; each view has its own default. In the DOM it shrinks to fit its container. */
  readonly width?: number;
  /** A title above all panels. Panel titles always say which example is shown. */
  readonly title?: string;
  /** A line of smaller text under the title. */
  readonly subtitle?: string;
  /** The document to build the SVG in; defaults to the global `document`. Node code passes a linkedom document. */
  readonly document?: Document;
}

/** Options of views that colour values with a diverging scale centred on 0. */
export interface DivergingOptions {
  /** A colour-blind-safe diverging scheme of Observable Plot (default `'PuOr'`: purple below 0, orange above). */
  readonly scheme?: DivergingScheme;
  /**
   * Half-width of the colour domain, which is always symmetric around 0. Default: 1 when every |value| ≤ 1 (so a
   * live view keeps one key), otherwise the largest |value| rounded up.
   */
  readonly colorExtent?: number;
}

const SCHEMES: readonly DivergingScheme[] = ['PuOr', 'BuRd', 'RdBu', 'BrBG', 'PRGn', 'PiYG'];

/** Validates `options.scheme`, defaulting to {@link DEFAULT_SCHEME}. */
export function checkScheme(scheme: unknown): DivergingScheme {
  if (scheme === undefined) return DEFAULT_SCHEME;
  if (typeof scheme === 'string' && (SCHEMES as readonly string[]).includes(scheme)) return scheme as DivergingScheme;
  throw new VizValueError(`scheme: expected one of ${SCHEMES.map((s) => `'${s}'`).join(', ')}, received ${describeValue(scheme)}`);
}

/** Validates `options.width` in pixels. */
export function checkWidth(width: unknown, fallback: number, min = 240): number {
  if (width === undefined) return fallback;
  if (typeof width !== 'number' || !Number.isFinite(width) || width < min || width > 10_000) {
    throw new VizValueError(`width: expected a number of pixels in [${min}, 10000], received ${describeValue(width)}`);
  }
  return Math.round(width);
}

/** Validates a positive finite number option. */
export function checkPositive(value: unknown, name: string, fallback: number, min = 1e-300): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new VizValueError(`${name}: expected a finite number ≥ ${min}, received ${describeValue(value)}`);
  }
  return value;
}

/** Validates a string option against its allowed values. */
export function checkChoice<T extends string>(value: unknown, name: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new VizValueError(`${name}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, received ${describeValue(value)}`);
}

/** "example 3 of 32": the 0-based index the caller passed, and the batch size. */
export function exampleLabel(example: number, batchSize: number): string {
  return `example ${example} of ${batchSize}`;
}

/** "3 NaN values" / "1 NaN value and 2 infinite values". */
export function describeNonFinite(values: ArrayLike<number>): string | undefined {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
  }
  const parts: string[] = [];
  if (nan) parts.push(`${nan} NaN value${nan === 1 ? '' : 's'}`);
  if (inf) parts.push(`${inf} infinite value${inf === 1 ? '' : 's'}`);
  return parts.length ? parts.join(' and ') : undefined;
}
