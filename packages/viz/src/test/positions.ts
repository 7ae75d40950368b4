// Reading back WHERE a value landed in a rendered view: pixel positions of marks turned into data coordinates
// through the plot's own tick labels (the numbers a reader sees), so a test can say "the hot cell sits at
// timestep 5, unit 2" without trusting the code that placed it.
import { expect } from 'vitest';

/** The plot (Observable Plot SVG) of a panel, without its legend. */
export function plotOf(doc: Document, panelKey: string): Element {
  const found = doc.querySelector(`[data-panel="${panelKey}"] > svg.viz-plot`);
  if (!found) throw new Error(`no plot in panel ${panelKey}`);
  return found;
}

function translate(el: Element | null): [number, number] {
  const m = /translate\(\s*([-\d.e]+)\s*,?\s*([-\d.e]+)?\s*\)/.exec(el?.getAttribute('transform') ?? '');
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : [0, 0];
}

/** Parses a tick label as drawn (U+2212 minus, thin spaces, "k" never used here). */
export function labelNumber(text: string): number {
  return Number(text.replace(/\u2212/g, '-').replace(/[\s\u2009]/g, ''));
}

/** Tick labels of one axis of `plot`: [pixel position along the axis, label text]. */
export function ticks(plot: Element, axis: 'x' | 'y'): [number, string][] {
  const group = Array.from(plot.children).find((c) => c.getAttribute('aria-label') === `${axis}-axis tick label`);
  if (!group) throw new Error(`no ${axis}-axis tick labels`);
  const [gx, gy] = translate(group);
  return Array.from(group.querySelectorAll('text'), (t) => {
    const [tx, ty] = translate(t);
    return [axis === 'x' ? gx + tx : gy + ty, t.textContent ?? ''];
  });
}

/**
 * A linear axis read from its numeric tick labels: pixel → data value. Checks the ticks are themselves linear
 * (to 0.5 px), so a wrong label anywhere fails here.
 */
export function linearAxis(plot: Element, axis: 'x' | 'y'): (pixel: number) => number {
  const t = ticks(plot, axis).map(([p, s]) => [p, labelNumber(s)] as const);
  expect(t.length).toBeGreaterThanOrEqual(2);
  const [p0, v0] = t[0]!;
  const [p1, v1] = t[t.length - 1]!;
  const toValue = (pixel: number): number => v0 + ((pixel - p0) * (v1 - v0)) / (p1 - p0);
  const toPixel = (value: number): number => p0 + ((value - v0) * (p1 - p0)) / (v1 - v0);
  for (const [p, v] of t) expect(Math.abs(toPixel(v) - p)).toBeLessThan(0.5);
  return toValue;
}

/** Numeric attribute of a mark. */
export function attr(el: Element, name: string): number {
  const v = Number(el.getAttribute(name));
  if (!Number.isFinite(v)) throw new Error(`${name}=${el.getAttribute(name)} on ${el.outerHTML.slice(0, 120)}`);
  return v;
}

/** Centre of a rect: [x, y] in plot pixels. */
export function rectCentre(rect: Element): [number, number] {
  return [attr(rect, 'x') + attr(rect, 'width') / 2, attr(rect, 'y') + attr(rect, 'height') / 2];
}

/** `rgb(r, g, b)` or `#rrggbb` as [r, g, b]. */
export function rgb(fill: string | null): [number, number, number] {
  const s = fill ?? '';
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
  if (h) return [parseInt(h[1]!, 16), parseInt(h[2]!, 16), parseInt(h[3]!, 16)];
  throw new Error(`not a colour: ${s}`);
}

/** Cells of a heatmap with their data coordinates read from the axes: { col, row, fill, title }. */
export interface PlacedCell {
  col: number;
  row: number;
  fill: string;
  title: string;
}

/**
 * Every cell of the heatmap in `plot` drawn with class `cellClass`, placed by the axes. `rowAxis: false` for a
 * one-row strip (no row axis; row is 0).
 */
export function placedCells(plot: Element, cellClass: string, rowAxis = true): PlacedCell[] {
  const x = linearAxis(plot, 'x');
  const y = rowAxis ? linearAxis(plot, 'y') : () => 0;
  return Array.from(plot.querySelectorAll(`g.${cellClass} rect`), (r) => {
    const [cx, cy] = rectCentre(r);
    return { col: x(cx), row: y(cy), fill: r.getAttribute('fill') ?? '', title: r.querySelector('title')?.textContent ?? '' };
  });
}

/** The cells whose fill differs from the most common fill (the neutral background of a mostly-zero input). */
export function standOut(cells: PlacedCell[]): PlacedCell[] {
  const counts = new Map<string, number>();
  for (const c of cells) counts.set(c.fill, (counts.get(c.fill) ?? 0) + 1);
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  return cells.filter((c) => c.fill !== common);
}

/** Expects `cell` at data coordinates (col, row), to a tenth of a cell. */
export function expectAt(cell: PlacedCell | undefined, col: number, row: number): void {
  expect(cell, 'cell').toBeDefined();
  expect(Math.abs(cell!.col - col), `column ${cell!.col} for ${col}`).toBeLessThan(0.1);
  expect(Math.abs(cell!.row - row), `row ${cell!.row} for ${row}`).toBeLessThan(0.1);
}

/** Warm (orange/red: red above blue) or cool (purple/blue: blue above red) — the sign a diverging fill shows. */
export function warmth(fill: string): 'warm' | 'cool' | 'neutral' {
  const [r, , b] = rgb(fill);
  if (Math.abs(r - b) < 12) return 'neutral';
  return r > b ? 'warm' : 'cool';
}
