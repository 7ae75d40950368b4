import * as Plot from '@observablehq/plot';
import { VizValueError, describeValue } from '../errors.js';
import { renderFigure, resolveDocument, type PanelSpec, type RenderContext } from '../figure.js';
import { VIEW_OPTION_KEYS, checkKeys } from '../options.js';
import {
  FONT_SIZE,
  GRID_COLOR,
  MUTED_COLOR,
  NOTE_COLOR,
  formatNumber,
  logTicks,
  niceLinear,
  seriesStyle,
  textWidth,
} from '../theme.js';
import { checkPositive, checkWidth, type ViewOptions } from './common.js';

/** One backend's timings and its parity with the reference, as the demo measures them. */
export interface BackendResult {
  /** Backend name as shown, e.g. `'cpu'`, `'wasm'`, `'wasm (4 threads)'`, `'webgl'`. Unique within the chart. */
  readonly backend: string;
  /** Milliseconds per forward pass. */
  readonly forwardMs?: number;
  /** Milliseconds per training step (or per epoch: say which in `options.subtitle`). */
  readonly trainMs?: number;
  /** Largest |difference| of the outputs from the reference (0 for the reference itself). */
  readonly maxAbsDiff?: number;
}

/** How to draw {@link BackendResult}s. */
export interface BackendChartOptions extends ViewOptions {
  /** Parity tolerance, drawn as a dashed line; results above it are flagged. */
  readonly tolerance?: number;
  /** Name of the reference in the parity panel's label (default `'reference'`). */
  readonly reference?: string;
}

type Metric = 'forwardMs' | 'trainMs' | 'maxAbsDiff';

/** Keys of a {@link BackendResult} row and of {@link BackendChartOptions}. */
export const BACKEND_RESULT_KEYS: readonly string[] = ['backend', 'forwardMs', 'trainMs', 'maxAbsDiff'];
export const BACKEND_CHART_OPTION_KEYS: readonly string[] = [...VIEW_OPTION_KEYS, 'tolerance', 'reference'];

/** Validates rows: unique non-empty names, and non-negative numbers (NaN allowed, reported). */
export function checkBackendResults(data: readonly BackendResult[]): BackendResult[] {
  if (!Array.isArray(data)) {
    throw new VizValueError(`results: expected an array of { backend, forwardMs?, trainMs?, maxAbsDiff? }, received ${describeValue(data)}`);
  }
  const seen = new Set<string>();
  data.forEach((row, i) => {
    checkKeys(row, BACKEND_RESULT_KEYS, `results[${i}]`, true);
    if (typeof row.backend !== 'string' || row.backend.trim() === '') {
      throw new VizValueError(`results[${i}].backend: expected a non-empty string, received ${describeValue(row?.backend)}`);
    }
    if (seen.has(row.backend)) {
      throw new VizValueError(`results[${i}].backend: ${JSON.stringify(row.backend)} appears twice; names must be unique`);
    }
    seen.add(row.backend);
    for (const key of ['forwardMs', 'trainMs', 'maxAbsDiff'] as const) {
      const v = row[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || v < 0) {
        throw new VizValueError(`results[${i}].${key}: expected a number ≥ 0 or undefined, received ${describeValue(v)}`);
      }
    }
  });
  return [...data];
}

interface Row {
  readonly backend: string;
  readonly value: number | undefined;
  readonly color: string;
}

function rowsFor(data: readonly BackendResult[], key: Metric): Row[] {
  return data.map((r, i) => ({ backend: r.backend, value: r[key], color: seriesStyle(i).color }));
}

function barsPanel(
  ctx: RenderContext,
  rows: readonly Row[],
  width: number,
  height: number,
  xLabel: string,
  className: string,
  marginTop: number,
): Element {
  const finite = rows.filter((r): r is Row & { value: number } => r.value !== undefined && Number.isFinite(r.value));
  const other = rows.filter((r) => r.value === undefined || !Number.isFinite(r.value));
  const max = Math.max(0, ...finite.map((r) => r.value));
  // Leave room right of the longest bar for its label.
  const x = niceLinear(0, max > 0 ? max * 1.3 : 1, Math.max(2, Math.floor(width / 90)));
  const marginLeft = Math.ceil(Math.max(...rows.map((r) => textWidth(r.backend, FONT_SIZE))) + 14);
  const fastest = finite.length > 1 ? Math.min(...finite.map((r) => r.value)) : undefined;
  return Plot.plot({
    document: ctx.document,
    width,
    height,
    marginTop,
    marginRight: 12,
    marginBottom: 36,
    marginLeft,
    x: { domain: x.domain, ticks: x.ticks, tickFormat: formatNumber, grid: true, label: xLabel, labelAnchor: 'center', labelArrow: 'none' },
    y: { domain: rows.map((r) => r.backend), label: null, padding: 0.25 },
    marks: [
      Plot.barX(finite, {
        x: 'value',
        y: 'backend',
        fill: (r: Row) => r.color,
        title: (r: Row) => `${r.backend}: ${formatNumber(r.value as number)} ms`,
        className,
      }),
      Plot.text(finite, {
        x: 'value',
        y: 'backend',
        text: (r: Row) => `${formatNumber(r.value as number)} ms${r.value === fastest ? ' (fastest)' : ''}`,
        textAnchor: 'start',
        dx: 4,
        className: 'viz-value-label',
      }),
      Plot.text(other, {
        x: 0,
        y: 'backend',
        text: (r: Row) => (r.value === undefined ? 'not measured' : formatNumber(r.value)),
        textAnchor: 'start',
        dx: 4,
        fill: (r: Row) => (r.value === undefined ? MUTED_COLOR : NOTE_COLOR),
        className: 'viz-value-label viz-missing-label',
      }),
      Plot.ruleX([0], { stroke: MUTED_COLOR }),
    ],
    color: { type: 'identity' },
  });
}

function parityPanel(
  ctx: RenderContext,
  rows: readonly Row[],
  width: number,
  height: number,
  xLabel: string,
  tolerance: number | undefined,
): Element {
  const positive = rows.map((r) => r.value).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  const lo = Math.min(...positive, ...(tolerance ? [tolerance] : []), 1e-7);
  const hi = Math.max(...positive, ...(tolerance ? [tolerance] : []), lo * 10);
  // About 1.5 decades right of the largest value keep its label inside the plot.
  const x = logTicks(lo / 10, hi * 30);
  // Exact matches (0) cannot sit on a log axis: they are drawn at its left edge and labelled.
  const floor = x.domain[0];
  const drawn = rows.filter((r): r is Row & { value: number } => r.value !== undefined && Number.isFinite(r.value));
  const other = rows.filter((r) => r.value === undefined || !Number.isFinite(r.value));
  const at = (r: { value: number }) => (r.value > 0 ? r.value : floor);
  const over = (r: { value: number }) => tolerance !== undefined && r.value > tolerance;
  const marginLeft = Math.ceil(Math.max(...rows.map((r) => textWidth(r.backend, FONT_SIZE))) + 14);
  const marks: Plot.Markish[] = [
    Plot.ruleY(drawn, { y: 'backend', x1: floor, x2: at, stroke: (r: Row) => r.color, strokeWidth: 2 }),
    Plot.dot(drawn, {
      y: 'backend',
      x: at,
      r: 5,
      fill: (r: Row) => r.color,
      stroke: 'white',
      title: (r: Row & { value: number }) => `${r.backend}: max |Δ| ${formatNumber(r.value)}`,
      className: 'viz-parity-dot',
    }),
    Plot.text(drawn, {
      y: 'backend',
      x: at,
      text: (r: Row & { value: number }) => (r.value === 0 ? '0 (exact)' : formatNumber(r.value)),
      textAnchor: 'start',
      dx: 9,
      fill: (r: Row & { value: number }) => (over(r) ? NOTE_COLOR : 'currentColor'),
      className: 'viz-value-label',
    }),
    Plot.text(other, {
      x: floor,
      y: 'backend',
      text: (r: Row) => (r.value === undefined ? 'not measured' : formatNumber(r.value)),
      textAnchor: 'start',
      dx: 4,
      fill: (r: Row) => (r.value === undefined ? MUTED_COLOR : NOTE_COLOR),
      className: 'viz-value-label viz-missing-label',
    }),
  ];
  if (tolerance !== undefined) {
    marks.unshift(
      Plot.ruleX([tolerance], { stroke: NOTE_COLOR, strokeDasharray: '4,3', className: 'viz-tolerance' }),
      Plot.text([`tolerance ${formatNumber(tolerance)}`], {
        x: tolerance,
        frameAnchor: 'top',
        textAnchor: 'middle',
        dy: -4,
        lineAnchor: 'bottom',
        fill: NOTE_COLOR,
        className: 'viz-tolerance-label',
      }),
    );
  }
  return Plot.plot({
    document: ctx.document,
    width,
    height,
    marginTop: tolerance === undefined ? 6 : 20,
    marginRight: 12,
    marginBottom: 36,
    marginLeft,
    x: {
      type: 'log',
      domain: x.domain,
      ticks: x.ticks,
      tickFormat: (v: number) => `1e${Math.round(Math.log10(v))}`.replace('-', '−'),
      grid: true,
      label: xLabel,
      labelAnchor: 'center',
      labelArrow: 'none',
    },
    y: { domain: rows.map((r) => r.backend), label: null, padding: 0.25 },
    color: { type: 'identity' },
    marks,
  });
}

function emptyPlot(ctx: RenderContext, width: number, message: string): Element {
  return Plot.plot({
    document: ctx.document,
    width,
    height: 60,
    x: { axis: null },
    y: { axis: null },
    marks: [
      Plot.frame({ stroke: GRID_COLOR }),
      Plot.text([message], { frameAnchor: 'middle', fill: MUTED_COLOR, fontSize: 12, className: 'viz-empty-note' }),
    ],
  });
}

/**
 * Builds the demo's per-backend chart as a standalone SVG element: forward and training time as bars, and the
 * largest difference from the reference on a log axis (0 drawn as "exact"), with the tolerance line if given.
 * Panels appear for the measurements present in `data`.
 *
 * @example
 * ```ts
 * document.body.append(renderBackendChart([
 *   { backend: 'cpu', forwardMs: 41.2, trainMs: 160, maxAbsDiff: 0 },
 *   { backend: 'wasm', forwardMs: 6.3, trainMs: 31, maxAbsDiff: 2.4e-7 },
 * ], { tolerance: 1e-5 }));
 * ```
 */
export function renderBackendChart(data: readonly BackendResult[], options: BackendChartOptions = {}): SVGSVGElement {
  checkKeys(options, BACKEND_CHART_OPTION_KEYS, 'renderBackendChart(data, options)');
  const document = resolveDocument(options.document, 'renderBackendChart');
  const results = checkBackendResults(data);
  const width = checkWidth(options.width, 980, 360);
  const tolerance = options.tolerance === undefined ? undefined : checkPositive(options.tolerance, 'tolerance', 1);
  const reference = options.reference ?? 'reference';
  // The tolerance label needs a top margin; every panel gets it so the axes line up.
  const marginTop = tolerance === undefined ? 6 : 20;
  const height = Math.max(1, results.length) * 30 + 46 + marginTop;
  const has = (key: Metric) => results.some((r) => r[key] !== undefined);
  const bad = (key: Metric) =>
    results.filter((r) => r[key] !== undefined && !Number.isFinite(r[key])).map((r) => `${r.backend} reports ${formatNumber(r[key] as number)}`);
  const panels: PanelSpec[] = [];
  if (results.length === 0) {
    panels.push({
      key: 'empty',
      title: 'No backend results yet',
      notes: ['Run the benchmark: each backend adds a row here.'],
      height: 60,
      plot: (ctx, w) => emptyPlot(ctx, w, 'waiting for results'),
    });
  }
  if (has('forwardMs')) {
    panels.push({
      key: 'forward',
      title: 'Forward pass time',
      notes: ['milliseconds per call, shorter is faster'],
      warnings: bad('forwardMs'),
      height,
      plot: (ctx, w) => barsPanel(ctx, rowsFor(results, 'forwardMs'), w, height, 'time per forward pass (ms)', 'viz-forward-bar', marginTop),
    });
  }
  if (has('trainMs')) {
    panels.push({
      key: 'train',
      title: 'Training time',
      notes: ['milliseconds per training step, shorter is faster'],
      warnings: bad('trainMs'),
      height,
      plot: (ctx, w) => barsPanel(ctx, rowsFor(results, 'trainMs'), w, height, 'time per training step (ms)', 'viz-train-bar', marginTop),
    });
  }
  if (has('maxAbsDiff')) {
    panels.push({
      key: 'parity',
      title: `Parity with ${reference}`,
      notes: ['largest |difference| of the outputs (log scale)'],
      warnings: [
        ...bad('maxAbsDiff'),
        ...results
          .filter((r) => tolerance !== undefined && r.maxAbsDiff !== undefined && r.maxAbsDiff > tolerance)
          .map((r) => `${r.backend}: ${formatNumber(r.maxAbsDiff as number)} is over the tolerance ${formatNumber(tolerance as number)}`),
      ],
      height,
      plot: (ctx, w) => parityPanel(ctx, rowsFor(results, 'maxAbsDiff'), w, height, `max |output − ${reference}|`, tolerance),
    });
  }
  if (panels.length === 0) {
    panels.push({
      key: 'empty',
      title: 'No measurements',
      notes: ['None of the results has forwardMs, trainMs or maxAbsDiff.'],
      height: 60,
      plot: (ctx, w) => emptyPlot(ctx, w, results.map((r) => r.backend).join(', ')),
    });
  }
  return renderFigure(
    { width, title: options.title ?? 'Backends: speed and parity', subtitle: options.subtitle, rows: [panels], view: 'backend-chart' },
    document,
  );
}
