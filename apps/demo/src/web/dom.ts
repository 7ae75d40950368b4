/** The element with this id; a missing one is a bug in index.html, so it throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`index.html has no element #${id}`);
  return el as T;
}

/** Creates an element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** Shows a message in an element that is hidden while empty. */
export function showMessage(target: HTMLElement, message: string | null): void {
  target.textContent = message ?? '';
  target.hidden = message === null || message === '';
}

/** "(32, 20, 10)", as Keras prints shapes. */
export function shapeText(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;
}

/** Milliseconds with sensible precision. */
export function msText(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** A small number the way the parity table shows it: 0, or 1.2e-7. */
export function diffText(value: number): string {
  return value === 0 ? '0' : value.toExponential(1);
}

/** The message of a thrown value, whatever was thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Builds an element from trusted markup written in this app (a panel's template; never user text). */
export function fromHtml<T extends HTMLElement = HTMLElement>(markup: string): T {
  // A <div>, not a <template>: template content belongs to an inert document, and plots need this one.
  const wrapper = document.createElement('div');
  wrapper.innerHTML = markup.trim();
  const node = wrapper.firstElementChild;
  if (node === null) throw new Error('fromHtml: empty markup');
  return node as T;
}

/** The element matching `selector` inside `root`; a missing one is a bug in the panel's markup, so it throws. */
export function $<T extends Element = HTMLElement>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (found === null) throw new Error(`panel markup has no ${selector}`);
  return found;
}

/** "1 epoch", "3 epochs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
