import * as Plot from '@observablehq/plot';
import { VizEnvironmentError } from './errors.js';
import {
  BACKGROUND,
  FIGURE_TITLE_SIZE,
  FONT_SIZE,
  FONT_STACK,
  GRID_COLOR,
  MUTED_COLOR,
  NOTE_COLOR,
  TEXT_COLOR,
  TITLE_SIZE,
  formatNumber,
  textWidth,
  wrapText,
  type DivergingScheme,
} from './theme.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAD = 16;
const PANEL_GAP = 28;
const ROW_GAP = 22;
const TITLE_LINE = 18;
const NOTE_SIZE = 11;
const NOTE_LINE = 15;
const RAMP_HEIGHT = 32;
const SWATCH_LINE = 17;

/** What a panel's plot function gets: the document to build in and the fill that marks missing values. */
export interface RenderContext {
  readonly document: Document;
  /** `url(#…)` of the hatch pattern for NaN / non-finite cells, defined once per figure. */
  readonly missingFill: string;
}

/** A legend drawn above a panel's plot. */
export type LegendSpec =
  | {
      readonly kind: 'ramp';
      readonly label: string;
      readonly extent: number;
      readonly scheme: DivergingScheme;
      /** Adds a hatched "NaN" swatch after the ramp. */
      readonly missing?: boolean;
    }
  | { readonly kind: 'swatches'; readonly items: readonly SwatchItem[] };

/** One entry of a swatch legend: a line (series), a square, or the hatch used for missing values. */
export interface SwatchItem {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  readonly shape: 'line' | 'square' | 'missing';
}

/** One titled plot of a figure. */
export interface PanelSpec {
  /** Written to `data-panel`; tests and styles find panels by it. */
  readonly key: string;
  readonly title: string;
  readonly notes?: readonly string[];
  /** Notes about bad values (NaN, ∞), set in a warning colour. */
  readonly warnings?: readonly string[];
  readonly legend?: LegendSpec;
  /** Relative width within its row (default 1). */
  readonly weight?: number;
  /** Height of the plot area in pixels, margins and axes included. */
  readonly height: number;
  /** Builds the panel's Observable Plot SVG at the given outer width. */
  plot(ctx: RenderContext, width: number): Element;
}

/** Panels in rows under an optional title. */
export interface FigureSpec {
  readonly width: number;
  readonly title?: string | undefined;
  readonly subtitle?: string | undefined;
  readonly rows: readonly (readonly PanelSpec[])[];
  /** `basicrnn-viz-…` class naming the view. */
  readonly view: string;
}

let figureCounter = 0;

/** The document to render into: the one given, else the global one, else a typed error. */
export function resolveDocument(document: Document | undefined, caller: string): Document {
  if (document) return document;
  const global = (globalThis as { document?: Document }).document;
  if (global) return global;
  throw new VizEnvironmentError(
    `${caller}: no DOM document here; pass { document } (e.g. from linkedom) or, in Node, use the functions of '@basicrnn/viz/node'`,
  );
}

function el(document: Document, name: string, attrs: Record<string, string | number> = {}): SVGElement {
  const node = document.createElementNS(SVG_NS, name) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function textEl(
  document: Document,
  content: string,
  attrs: Record<string, string | number>,
): SVGElement {
  const node = el(document, 'text', attrs);
  node.textContent = content;
  return node;
}

/** Strips what Plot adds for stand-alone use so a Plot SVG nests cleanly inside a figure in every renderer. */
function adoptPlot(svg: Element, x: number, y: number, className: string): Element {
  // Plot's <style> targets its shared class with `height: auto`, which would stretch a nested <svg> to 100%
  // in browsers; the font attributes would override the figure's font.
  for (const child of Array.from(svg.children)) if (child.tagName.toLowerCase() === 'style') child.remove();
  svg.removeAttribute('class');
  svg.removeAttribute('font-family');
  svg.setAttribute('font-size', String(FONT_SIZE));
  svg.setAttribute('class', className);
  svg.setAttribute('x', String(x));
  svg.setAttribute('y', String(y));
  svg.setAttribute('overflow', 'visible');
  return svg;
}

function rampLegend(ctx: RenderContext, spec: Extract<LegendSpec, { kind: 'ramp' }>, width: number): Element {
  const e = spec.extent;
  const n = 96;
  const samples = Array.from({ length: n }, (_, i) => {
    const lo = -e + (2 * e * i) / n;
    return { lo, hi: lo + (2 * e) / n, mid: lo + e / n };
  });
  return Plot.plot({
    document: ctx.document,
    width,
    height: RAMP_HEIGHT,
    marginTop: 2,
    marginBottom: 18,
    marginLeft: 12,
    marginRight: 12,
    x: {
      domain: [-e, e],
      ticks: [-e, -e / 2, 0, e / 2, e],
      tickFormat: formatNumber,
      tickSize: 4,
      label: null,
    },
    y: { axis: null, domain: [0, 1] },
    color: { type: 'diverging', scheme: spec.scheme, domain: [-e, e], pivot: 0 },
    marks: [
      Plot.rect(samples, {
        x1: 'lo',
        x2: 'hi',
        y1: 0,
        y2: 1,
        fill: 'mid',
        shapeRendering: 'crispEdges',
        className: 'viz-legend-ramp',
      }),
      Plot.frame({ stroke: GRID_COLOR }),
    ],
  });
}

interface PlacedSwatch extends SwatchItem {
  readonly x: number;
  readonly y: number;
}

function layoutSwatches(items: readonly SwatchItem[], width: number): { placed: PlacedSwatch[]; height: number } {
  const placed: PlacedSwatch[] = [];
  let x = 0;
  let row = 0;
  for (const item of items) {
    const w = 22 + textWidth(item.label, FONT_SIZE) + 14;
    if (x > 0 && x + w > width) {
      row++;
      x = 0;
    }
    placed.push({ ...item, x, y: row * SWATCH_LINE + SWATCH_LINE / 2 });
    x += w;
  }
  return { placed, height: (row + 1) * SWATCH_LINE };
}

function swatchLegend(ctx: RenderContext, placed: readonly PlacedSwatch[], width: number, height: number): Element {
  const marks: Plot.Markish[] = placed.map((s) => {
    if (s.shape === 'line') {
      return Plot.link([s], {
        x1: (d: PlacedSwatch) => d.x + 1,
        x2: (d: PlacedSwatch) => d.x + 19,
        y1: 'y',
        y2: 'y',
        stroke: s.color,
        strokeWidth: 2,
        strokeDasharray: s.dash && s.dash !== 'none' ? s.dash : undefined,
        className: 'viz-legend-swatch',
      });
    }
    return Plot.rect([s], {
      x1: (d: PlacedSwatch) => d.x + 5,
      x2: (d: PlacedSwatch) => d.x + 15,
      y1: (d: PlacedSwatch) => d.y - 5,
      y2: (d: PlacedSwatch) => d.y + 5,
      fill: s.shape === 'missing' ? ctx.missingFill : s.color,
      stroke: s.shape === 'missing' ? MUTED_COLOR : 'none',
      className: 'viz-legend-swatch',
    });
  });
  marks.push(
    Plot.text(placed, {
      x: (d: PlacedSwatch) => d.x + 23,
      y: 'y',
      text: 'label',
      textAnchor: 'start',
      fill: TEXT_COLOR,
      className: 'viz-legend-label',
    }),
  );
  return Plot.plot({
    document: ctx.document,
    width,
    height,
    margin: 0,
    x: { type: 'identity', axis: null },
    y: { type: 'identity', axis: null },
    marks,
  });
}

/** Height a legend takes at this width. */
function legendHeight(legend: LegendSpec | undefined, width: number): number {
  if (!legend) return 0;
  if (legend.kind === 'ramp') return RAMP_HEIGHT + 4;
  return layoutSwatches(legend.items, width).height + 4;
}

function renderLegend(ctx: RenderContext, legend: LegendSpec, width: number, y: number): SVGElement {
  const group = el(ctx.document, 'g', { class: 'viz-legend', transform: `translate(0,${y})` });
  if (legend.kind === 'swatches') {
    const { placed, height } = layoutSwatches(legend.items, width);
    group.append(adoptPlot(swatchLegend(ctx, placed, width, height), 0, 0, 'viz-legend-plot'));
    return group;
  }
  const labelWidth = textWidth(legend.label, FONT_SIZE);
  group.append(
    textEl(ctx.document, legend.label, { class: 'viz-legend-title', x: 0, y: 13, 'text-anchor': 'start' }),
  );
  const missingWidth = legend.missing ? 50 : 0;
  const rampWidth = Math.max(120, Math.min(260, width - labelWidth - 8 - missingWidth));
  group.append(adoptPlot(rampLegend(ctx, legend, rampWidth), labelWidth + 4, 0, 'viz-legend-plot'));
  if (legend.missing) {
    const x = labelWidth + 4 + rampWidth + 6;
    group.append(
      el(ctx.document, 'rect', {
        class: 'viz-legend-swatch',
        x,
        y: 3,
        width: 12,
        height: 12,
        fill: ctx.missingFill,
        stroke: MUTED_COLOR,
      }),
      textEl(ctx.document, 'NaN', { class: 'viz-legend-label', x: x + 16, y: 13, 'text-anchor': 'start' }),
    );
  }
  return group;
}

function hatchPattern(document: Document, id: string): SVGElement {
  const pattern = el(document, 'pattern', {
    id,
    width: 6,
    height: 6,
    patternUnits: 'userSpaceOnUse',
    patternTransform: 'rotate(45)',
  });
  pattern.append(
    el(document, 'rect', { width: 6, height: 6, fill: '#eaeef2' }),
    el(document, 'line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#57606a', 'stroke-width': 2 }),
  );
  return pattern;
}

interface PanelHeader {
  titleLines: string[];
  notes: string[];
  warnings: string[];
  legendHeight: number;
  height: number;
}

function measureHeader(panel: PanelSpec, width: number): PanelHeader {
  const titleLines = wrapText(panel.title, TITLE_SIZE, width, 'semibold');
  const notes = (panel.notes ?? []).flatMap((n) => wrapText(n, NOTE_SIZE, width));
  const warnings = (panel.warnings ?? []).flatMap((n) => wrapText(n, NOTE_SIZE, width));
  const lh = legendHeight(panel.legend, width);
  const height = titleLines.length * TITLE_LINE + (notes.length + warnings.length) * NOTE_LINE + (lh ? lh + 4 : 0) + 6;
  return { titleLines, notes, warnings, legendHeight: lh, height };
}

/** Narrowest a panel may be drawn; a row that would squeeze its panels below this wraps (phones). */
export const MIN_PANEL_WIDTH = 150;

/**
 * Splits a row whose panels would be narrower than {@link MIN_PANEL_WIDTH} into rows that fit, in order, so a
 * narrow figure stacks its panels instead of shrinking their text. Rows that fit are returned unchanged.
 */
export function wrapRow(row: readonly PanelSpec[], innerWidth: number): PanelSpec[][] {
  const fits = (panels: readonly PanelSpec[]) => {
    const total = panels.reduce((s, p) => s + (p.weight ?? 1), 0);
    const available = innerWidth - PANEL_GAP * (panels.length - 1);
    return panels.every((p) => (available * (p.weight ?? 1)) / total >= MIN_PANEL_WIDTH);
  };
  if (row.length <= 1 || fits(row)) return [[...row]];
  const rows: PanelSpec[][] = [];
  let current: PanelSpec[] = [];
  for (const panel of row) {
    if (current.length > 0 && !fits([...current, panel])) {
      rows.push(current);
      current = [];
    }
    current.push(panel);
  }
  if (current.length > 0) rows.push(current);
  return rows;
}

/**
 * Lays panels out in rows under an optional figure title, and returns ONE standalone SVG element. The same
 * element is mounted in the browser and serialised in Node, so both show the same picture.
 */
export function renderFigure(spec: FigureSpec, document: Document): SVGSVGElement {
  const id = `basicrnn-viz-${++figureCounter}`;
  const ctx: RenderContext = { document, missingFill: `url(#${id}-missing)` };
  const innerWidth = spec.width - 2 * PAD;
  const root = el(document, 'svg', {
    xmlns: SVG_NS,
    class: `basicrnn-viz basicrnn-viz-${spec.view}`,
    id,
    role: 'img',
    'font-family': FONT_STACK,
    'font-size': FONT_SIZE,
    color: TEXT_COLOR,
    fill: 'currentColor',
    'text-anchor': 'start',
  }) as SVGSVGElement;

  const children: SVGElement[] = [];
  const defs = el(document, 'defs');
  defs.append(hatchPattern(document, `${id}-missing`));
  children.push(defs);

  let y = PAD;
  const labels: string[] = [];
  if (spec.title) {
    for (const line of wrapText(spec.title, FIGURE_TITLE_SIZE, innerWidth, 'semibold')) {
      y += 20;
      children.push(
        textEl(document, line, {
          class: 'viz-title',
          x: PAD,
          y: y - 4,
          'font-size': FIGURE_TITLE_SIZE,
          'font-weight': 600,
        }),
      );
    }
    labels.push(spec.title);
  }
  if (spec.subtitle) {
    for (const line of wrapText(spec.subtitle, 12, innerWidth)) {
      y += 16;
      children.push(
        textEl(document, line, { class: 'viz-subtitle', x: PAD, y: y - 3, 'font-size': 12, fill: MUTED_COLOR }),
      );
    }
  }
  if (spec.title || spec.subtitle) y += 10;

  spec.rows.flatMap((row) => wrapRow(row, innerWidth)).forEach((row, rowIndex) => {
    if (rowIndex > 0) y += ROW_GAP;
    const totalWeight = row.reduce((s, p) => s + (p.weight ?? 1), 0);
    const available = innerWidth - PANEL_GAP * (row.length - 1);
    const widths = row.map((p) => Math.floor((available * (p.weight ?? 1)) / totalWeight));
    const headers = row.map((p, i) => measureHeader(p, widths[i] as number));
    const headerHeight = Math.max(...headers.map((h) => h.height));
    let x = PAD;
    row.forEach((panel, i) => {
      const width = widths[i] as number;
      const header = headers[i] as PanelHeader;
      labels.push(panel.title);
      const group = el(document, 'g', {
        class: 'viz-panel',
        'data-panel': panel.key,
        transform: `translate(${x},${y})`,
      });
      let hy = 0;
      for (const line of header.titleLines) {
        hy += TITLE_LINE;
        group.append(
          textEl(document, line, {
            class: 'viz-panel-title',
            x: 0,
            y: hy - 5,
            'font-size': TITLE_SIZE,
            'font-weight': 600,
          }),
        );
      }
      for (const line of header.notes) {
        hy += NOTE_LINE;
        group.append(
          textEl(document, line, { class: 'viz-panel-note', x: 0, y: hy - 4, 'font-size': NOTE_SIZE, fill: MUTED_COLOR }),
        );
      }
      for (const line of header.warnings) {
        hy += NOTE_LINE;
        group.append(
          textEl(document, line, {
            class: 'viz-panel-warning',
            x: 0,
            y: hy - 4,
            'font-size': NOTE_SIZE,
            fill: NOTE_COLOR,
          }),
        );
      }
      if (panel.legend) group.append(renderLegend(ctx, panel.legend, width, hy + 4));
      group.append(adoptPlot(panel.plot(ctx, width), 0, headerHeight, 'viz-plot'));
      children.push(group);
      x += width + PANEL_GAP;
    });
    y += headerHeight + Math.max(...row.map((p) => p.height));
  });

  const height = Math.ceil(y + PAD);
  root.setAttribute('width', String(spec.width));
  root.setAttribute('height', String(height));
  root.setAttribute('viewBox', `0 0 ${spec.width} ${height}`);
  root.setAttribute('aria-label', labels.join('; '));
  const title = el(document, 'title');
  title.textContent = labels.join('; ');
  root.append(title, el(document, 'rect', { class: 'viz-background', width: spec.width, height, fill: BACKGROUND }));
  for (const child of children) root.append(child);
  return root;
}
