import { VizValueError, describeValue } from './errors.js';

/**
 * The keys one view reads: from its data object and from its options. Checked by {@link checkViewArgs} so a misspelt
 * key (`exmple`, `colourExtent`) is an error naming it, not a silently different picture.
 */
export interface ViewKeys {
  readonly data: readonly string[];
  readonly options: readonly string[];
}

/** Options of every view ({@link ViewOptions}) and of the diverging ones ({@link DivergingOptions}). */
export const VIEW_OPTION_KEYS: readonly string[] = ['width', 'title', 'subtitle', 'document'];
export const DIVERGING_OPTION_KEYS: readonly string[] = ['scheme', 'colorExtent'];
/** Options the `plot…` functions add ({@link MountOptions}). */
export const MOUNT_OPTION_KEYS: readonly string[] = ['font'];

/**
 * Throws {@link VizValueError} unless `value` is an object whose own keys are all in `keys`; an unknown key is named
 * with the closest known one when it looks like a misspelling. `where` is the argument as the user wrote it, e.g.
 * `rnnWorkingSvg(data, options)`. With `misspellingsOnly`, other keys are let through and only near-misses of a known
 * key are refused: data objects are often bundles that carry more (`{ ...model.call(x), input: x }`).
 * Values are checked by each view.
 */
export function checkKeys(value: unknown, keys: readonly string[], where: string, misspellingsOnly = false): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new VizValueError(`${where}: expected an object { ${keys.join(', ')} }, received ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (keys.includes(key)) continue;
    const suggestion = closestKey(key, keys);
    if (misspellingsOnly && suggestion === undefined) continue;
    throw new VizValueError(
      `${where}: unknown key ${JSON.stringify(key)}` +
        (suggestion === undefined ? '' : `; did you mean ${JSON.stringify(suggestion)}?`) +
        ` Valid keys: ${keys.join(', ')}`,
    );
  }
}

/** Checks a view's data object and options (options may be absent); `extraOptions` are the caller's own (`font`). */
export function checkViewArgs(
  keys: ViewKeys,
  data: unknown,
  options: unknown,
  caller: string,
  extraOptions: readonly string[] = [],
): void {
  checkKeys(data, keys.data, `${caller}(data)`, true);
  if (options !== undefined) checkKeys(options, [...keys.options, ...extraOptions], `${caller}(data, options)`);
}

/**
 * The known key nearest to `key` when it is a plausible misspelling: the same letters in another case, or an edit
 * distance (insertions, deletions, substitutions, adjacent swaps) of at most a third of its length, 1 to 3 — the rule
 * of core's option check, which viz does not import.
 */
function closestKey(key: string, keys: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of keys) {
    const d = candidate.toLowerCase() === lower ? 0 : typoDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance with adjacent swaps counted as one edit, over three rolling rows. */
function typoDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
    }
    [before, previous] = [previous, current];
  }
  return previous[b.length]!;
}
