/** Hidden-state options that put the words of a sentence on the time axis (sentiment), when there are words. */
export function wordAxis(words: readonly string[] | undefined): { stepLabels?: readonly string[] } {
  if (words === undefined) return {};
  return { stepLabels: words.map((w) => (w === '' ? '·' : w)) };
}
