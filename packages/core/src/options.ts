import { ConfigError, describe } from './errors.js';

/**
 * Checks one option's value. Throws a typed library error naming `argument`, what was expected and what came.
 * Called only for keys that are present with a value other than `undefined`. The `assert…` functions of
 * `validate.ts` have this shape.
 */
export type OptionCheck = (value: unknown, argument: string) => void;

/** A schema: every accepted key with the check of its value (`null` accepts any value: checked elsewhere). */
export type OptionSchema = Readonly<Record<string, OptionCheck | null>>;

/** An option name that the entry point does not know (a misspelling, or an option of another entry point). */
export class UnknownOptionError extends ConfigError {
  override name = 'UnknownOptionError';

  constructor(
    message: string,
    /** The key that was not recognised. */
    readonly option: string,
    /** The closest valid key, when one is close enough to be a likely misspelling. */
    readonly suggestion: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Validates an options object against its schema — the one mechanism every entry point that takes options
 * uses. Unknown keys are refused with {@link UnknownOptionError} ("did you mean `returnSequences`?"); each
 * present key is checked by its schema entry; keys in `required` must be present. `where` names the entry
 * point as the user wrote it, e.g. `'BasicRNN(config)'` or `'fit(x, y, options)'`; each key is reported as
 * `where` with the key appended (`fit(x, y, options).epochs`). `undefined` and a missing key are the same
 * (defaults apply), so spreading `{ ...defaults, key: undefined }` works as in Keras.
 *
 * Returns the same object, typed as `T` (the entry point's options interface).
 *
 * @example
 * ```ts
 * const schema = { epochs: assertPositiveInt, shuffle: assertBoolean };
 * checkOptions<FitOptions>({ epoch: 3 }, schema, 'fit(x, y, options)');
 * // UnknownOptionError: fit(x, y, options): unknown option "epoch"; did you mean "epochs"? …
 * ```
 */
export function checkOptions<T extends object>(
  options: unknown,
  schema: OptionSchema,
  where: string,
  required: readonly string[] = [],
): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options) || isTensorLike(options)) {
    throw new ConfigError(`${where}: expected an options object, received ${describe(options)}`);
  }
  const keys = Object.keys(schema);
  for (const key of Object.keys(options)) {
    if (!Object.prototype.hasOwnProperty.call(schema, key)) {
      const suggestion = closestName(key, keys);
      throw new UnknownOptionError(
        `${where}: unknown option ${JSON.stringify(key)}` +
          (suggestion === undefined ? '.' : `; did you mean ${JSON.stringify(suggestion)}?`) +
          ` Valid options: ${keys.join(', ')}`,
        key,
        suggestion,
      );
    }
  }
  const record = options as Record<string, unknown>;
  for (const key of required) {
    if (record[key] === undefined) {
      throw new ConfigError(`${where}: the option ${JSON.stringify(key)} is required, received ${describe(record[key])}`);
    }
  }
  for (const key of keys) {
    const value = record[key];
    const check = schema[key];
    if (value !== undefined && check) check(value, optionPath(where, key));
  }
  return options as T;
}

/** `fit(x, y, options)` + `epochs` → `fit(x, y, options).epochs`. */
export function optionPath(where: string, key: string): string {
  return `${where}.${key}`;
}

/**
 * The candidate closest to `name` when it is a plausible misspelling: same letters in another case, or an
 * edit distance (insertions, deletions, substitutions, adjacent swaps) of at most a third of the name's length
 * (at least 1, at most 3). Ties go to the earlier candidate.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameLetters = candidates.find((c) => c.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

function isTensorLike(value: object): boolean {
  return Array.isArray((value as { shape?: unknown }).shape) && typeof (value as { dtype?: unknown }).dtype === 'string';
}
