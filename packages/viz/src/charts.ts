import * as Plot from '@observablehq/plot';
import type { RenderContext } from './figure.js';
import {
  FONT_SIZE,
  GRID_COLOR,
  MUTED_COLOR,
  TEXT_COLOR,
  formatDigits,
  formatNumber,
  integerTicks,
  logTicks,
  niceLinear,
  textWidth,
  type DivergingScheme,
} from './theme.js';

// The chart builders below return Observable Plot SVGs; the figure module lays them out. Axes with integer
// positions (timestep, unit, feature, epoch) use continuous scales with cells centred on the integers, so tick
// density adapts to the size instead of labelling every band.

/** Cells with more entries than this get no per-cell `<title>` tooltip (keeps big SVGs small). */
const TOOLTIP_LIMIT = 6000;

const integerFormat = (v: number): string => formatNumber(v);

function maxLabelWidth(labels: readonly string[]): number {
  return labels.reduce((m, s) => Math.max(m, textWidth(s, FONT_SIZE)), 0);
}

interface Cell {
  readonly r: number;
  readonly c: number;
  readonly v: number;
}

/** What {@link heatmapPlot} draws. */
export interface HeatmapSpec {
  readonly rows: number;
  readonly cols: number;
  /** Row-major rows × cols values. */
  readonly values: ArrayLike<number>;
  readonly xLabel: string;
  /** `null` hides the row axis (a one-row strip). */
  readonly yLabel: string | null;
  readonly extent: number;
  readonly scheme: DivergingScheme;
  readonly height: number;
  /** Class on the group of cells; missing cells get `viz-missing-cell`. */
  readonly cellClass: string;
  readonly describe: (row: number, col: number, value: number) => string;
  /** Fixed left margin, so stacked heatmaps line their columns up. */
  readonly marginLeft?: number;
  /** Upper bound on the SVG width (keeps cells square when there are few columns). */
  readonly maxWidth?: number;
  /** One label per column (e.g. the words of a sentence) instead of the column index; rotated when long. */
  readonly colLabels?: readonly string[];
}

/** Left margin a heatmap needs for row labels 0…rows−1 and the rotated axis label. */
export function heatmapMarginLeft(rows: number, height: number): number {
  const yTicks = integerTicks(0, rows - 1, Math.max(2, Math.floor((height - 40) / 20)));
  return Math.ceil(maxLabelWidth(yTicks.map(integerFormat)) + 30);
}

/** A rows × cols heatmap: diverging colours centred on 0, hatched cells for NaN / ±∞. */
export function heatmapPlot(ctx: RenderContext, spec: HeatmapSpec, width: number): Element {
  const finite: Cell[] = [];
  const missing: Cell[] = [];
  for (let r = 0; r < spec.rows; r++) {
    for (let c = 0; c < spec.cols; c++) {
      const v = spec.values[r * spec.cols + c] as number;
      (Number.isFinite(v) ? finite : missing).push({ r, c, v });
    }
  }
  const showRows = spec.yLabel !== null;
  const yTicks = showRows ? integerTicks(0, spec.rows - 1, Math.max(2, Math.floor((spec.height - 40) / 20))) : [];
  const marginLeft = spec.marginLeft ?? (showRows ? heatmapMarginLeft(spec.rows, spec.height) : 8);
  width = Math.min(width, spec.maxWidth ?? width);
  const plotWidth = width - marginLeft - 8;
  const labels = spec.colLabels;
  const cellWidth = plotWidth / spec.cols;
  // Labelled columns: every column when there is room for a rotated label, else thinned like the index ticks.
  const xTicks =
    labels !== undefined && cellWidth >= 14
      ? Array.from({ length: spec.cols }, (_, c) => c)
      : integerTicks(0, spec.cols - 1, Math.max(2, Math.floor(plotWidth / 42)));
  const longest = labels === undefined ? 0 : Math.max(0, ...labels.map((l) => textWidth(l, FONT_SIZE)));
  const rotate = labels !== undefined && longest > cellWidth - 4;
  const marginBottom = rotate ? Math.ceil(Math.min(longest, 90) * 0.64 + 30) : 36;
  const cellHeight = (spec.height - 40) / spec.rows; // before labels push the axis down: only decides the inset
  const inset = Math.min(cellWidth, cellHeight) >= 10 ? 0.5 : 0;
  const title = spec.rows * spec.cols <= TOOLTIP_LIMIT ? (d: Cell) => spec.describe(d.r, d.c, d.v) : undefined;
  const position = {
    x1: (d: Cell) => d.c - 0.5,
    x2: (d: Cell) => d.c + 0.5,
    y1: (d: Cell) => d.r - 0.5,
    y2: (d: Cell) => d.r + 0.5,
  };
  return Plot.plot({
    document: ctx.document,
    width,
    height: spec.height,
    marginTop: 4,
    marginRight: 8,
    marginBottom,
    marginLeft,
    x: {
      domain: [-0.5, spec.cols - 0.5],
      ticks: xTicks,
      tickFormat: labels === undefined ? integerFormat : (c: number) => labels[c] ?? '',
      ...(rotate ? { tickRotate: -40 } : {}),
      label: spec.xLabel,
      labelAnchor: 'center',
      labelArrow: 'none',
    },
    y: showRows
      ? {
          domain: [-0.5, spec.rows - 0.5],
          reverse: true,
          ticks: yTicks,
          tickFormat: integerFormat,
          label: spec.yLabel,
          labelAnchor: 'center',
          labelArrow: 'none',
        }
      : { domain: [-0.5, spec.rows - 0.5], axis: null },
    color: { type: 'diverging', scheme: spec.scheme, domain: [-spec.extent, spec.extent], pivot: 0 },
    marks: [
      Plot.rect(finite, { ...position, fill: 'v', inset, title, className: spec.cellClass }),
      Plot.rect(missing, {
        ...position,
        fill: ctx.missingFill,
        inset,
        title,
        className: 'viz-missing-cell',
      }),
      Plot.frame({ stroke: GRID_COLOR }),
    ],
  });
}

/** One line of {@link linePlot}: its points, stroke and legend label. */
export interface LineSeries {
  readonly label: string;
  readonly x: readonly number[];
  readonly y: ArrayLike<number>;
  readonly color: string;
  readonly dash: string;
  readonly className: string;
}

/** What {@link linePlot} draws. */
export interface LinePlotSpec {
  readonly series: readonly LineSeries[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xDomain: readonly [number, number];
  readonly height: number;
  readonly yType?: 'linear' | 'log';
  /** Draws a dot on every point: single points stay visible and short series read better. */
  readonly dots?: boolean;
  /** x positions where some series has a NaN / ±∞; each gets a hatched band behind the lines. */
  readonly missingX?: readonly number[];
  /** Said in the middle of the plot when there is no finite point (default: "no finite values to draw"). */
  readonly emptyText?: string;
  /** x positions to mark with a thin vertical rule (events: where a marker was read). */
  readonly markX?: readonly number[];
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Lines over an integer x axis (timestep, epoch); NaN breaks the line and hatches its column. */
export function linePlot(ctx: RenderContext, spec: LinePlotSpec, width: number): Element {
  const log = spec.yType === 'log';
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of spec.series) {
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i] as number;
      if (Number.isFinite(v) && (!log || v > 0)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const anyFinite = lo <= hi;
  const tickCount = Math.max(2, Math.floor((spec.height - 40) / 32));
  // A little headroom so dots at the extremes are not cut by the frame.
  const pad = anyFinite ? (hi - lo) * 0.04 : 0;
  const y = log
    ? logTicks(anyFinite ? lo : 0.1, anyFinite ? hi : 10)
    : niceLinear(anyFinite ? lo - pad : -1, anyFinite ? hi + pad : 1, tickCount);
  const yLabels = y.ticks.map(formatNumber);
  const marginLeft = Math.ceil(maxLabelWidth(yLabels) + 30);
  const plotWidth = width - marginLeft - 12;
  const [x0, x1] = spec.xDomain;
  const xTicks = integerTicks(Math.ceil(x0), Math.floor(x1), Math.max(2, Math.floor(plotWidth / 42)));
  const marks: Plot.Markish[] = [];
  const missingX = [...new Set(spec.missingX ?? [])];
  if (missingX.length > 0) {
    marks.push(
      Plot.rect(missingX, {
        x1: (d: number) => d - 0.5,
        x2: (d: number) => d + 0.5,
        fill: ctx.missingFill,
        fillOpacity: 0.55,
        className: 'viz-missing-band',
      }),
    );
  }
  if (anyFinite && !log && y.domain[0] < 0 && y.domain[1] > 0) marks.push(Plot.ruleY([0], { stroke: MUTED_COLOR, strokeOpacity: 0.6 }));
  if (spec.markX?.length) marks.push(Plot.ruleX(spec.markX, { stroke: MUTED_COLOR, strokeDasharray: '3,3', className: 'viz-mark-x' }));
  for (const s of spec.series) {
    const points: Point[] = s.x.map((x, i) => ({ x, y: s.y[i] as number }));
    const defined = (p: Point) => Number.isFinite(p.y) && (!log || p.y > 0);
    marks.push(
      Plot.line(
        points.map((p) => (defined(p) ? p : { x: p.x, y: NaN })),
        {
          x: 'x',
          y: 'y',
          stroke: s.color,
          strokeWidth: 1.75,
          strokeDasharray: s.dash === 'none' ? undefined : s.dash,
          className: `viz-line ${s.className}`,
        },
      ),
    );
    if (spec.dots) {
      marks.push(
        Plot.dot(points.filter(defined), {
          x: 'x',
          y: 'y',
          r: 2.25,
          fill: s.color,
          stroke: 'white',
          strokeWidth: 0.75,
          title: (p: Point) => `${s.label} at ${spec.xLabel} ${p.x}: ${formatNumber(p.y)}`,
          className: `viz-dot ${s.className}-dot`,
        }),
      );
    }
  }
  if (!anyFinite) {
    marks.push(
      Plot.text([spec.emptyText ?? 'no finite values to draw'], {
        frameAnchor: 'middle',
        fill: MUTED_COLOR,
        stroke: 'white',
        strokeWidth: 5,
        paintOrder: 'stroke',
        fontSize: 12,
        className: 'viz-empty-note',
      }),
    );
  }
  marks.push(Plot.frame({ stroke: GRID_COLOR }));
  return Plot.plot({
    document: ctx.document,
    width,
    height: spec.height,
    marginTop: 8,
    marginRight: 12,
    marginBottom: 36,
    marginLeft,
    x: {
      domain: [x0 - 0.5, x1 + 0.5],
      ticks: xTicks,
      tickFormat: integerFormat,
      label: spec.xLabel,
      labelAnchor: 'center',
      labelArrow: 'none',
    },
    y: {
      type: log ? 'log' : 'linear',
      domain: y.domain,
      ticks: y.ticks,
      tickFormat: formatNumber,
      grid: true,
      label: spec.yLabel,
      labelAnchor: 'center',
      labelArrow: 'none',
    },
    marks,
  });
}

/** Bars in one colour, or coloured by value on a diverging scale. */
export type BarFill =
  | { readonly kind: 'solid'; readonly color: string }
  | { readonly kind: 'diverging'; readonly extent: number; readonly scheme: DivergingScheme };

/** What {@link barPlot} draws. */
export interface BarPlotSpec {
  readonly values: ArrayLike<number>;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly height: number;
  readonly fill: BarFill;
  /** Fixed symmetric y range (e.g. ±1 for tanh states); otherwise the data's range with 0 included. */
  readonly yExtent?: number;
  readonly className: string;
  readonly describe: (index: number, value: number) => string;
  /** What each bar should be (e.g. a forecast's target): a dashed tick across the bar. */
  readonly targets?: ArrayLike<number>;
}

interface Bar {
  readonly i: number;
  readonly v: number;
}

/** One bar per index (output unit, hidden unit) from 0; values printed on the bars when there are few. */
export function barPlot(ctx: RenderContext, spec: BarPlotSpec, width: number): Element {
  const n = spec.values.length;
  const bars: Bar[] = Array.from({ length: n }, (_, i) => ({ i, v: spec.values[i] as number }));
  const finite = bars.filter((b) => Number.isFinite(b.v));
  const missing = bars.filter((b) => !Number.isFinite(b.v));
  const labelled = n <= 12;
  const targets: Bar[] = spec.targets === undefined ? [] : Array.from({ length: n }, (_, i) => ({ i, v: spec.targets![i] as number })).filter((b) => Number.isFinite(b.v));
  const lo = Math.min(0, ...finite.map((b) => b.v), ...targets.map((b) => b.v));
  let hi = Math.max(0, ...finite.map((b) => b.v), ...targets.map((b) => b.v));
  if (lo === hi) hi = 1;
  const tickCount = Math.max(2, Math.floor((spec.height - 40) / 32));
  // Room for the value labels above and below the bars.
  const pad = labelled ? (hi - lo) * 0.12 : 0;
  let y: { domain: [number, number]; ticks: number[] };
  if (spec.yExtent !== undefined) {
    // A fixed symmetric range (tanh states): ticks on ±extent, a bit of headroom for labels, no re-nicing.
    const e = spec.yExtent;
    const ticks = niceLinear(-e, e, tickCount).ticks;
    const headroom = labelled ? e * 0.15 : 0;
    y = { domain: [Math.min(-e - headroom, lo - pad), Math.max(e + headroom, hi + pad)], ticks };
  } else {
    y = niceLinear(lo < 0 ? lo - pad : lo, hi > 0 ? hi + pad : hi, tickCount);
  }
  const marginLeft = Math.ceil(maxLabelWidth(y.ticks.map(formatNumber)) + 30);
  const plotWidth = width - marginLeft - 12;
  const xTicks = integerTicks(0, n - 1, Math.max(2, Math.floor(plotWidth / 36)));
  // Bars at most ~56 px wide: a lone output should not fill the panel.
  const barHalf = Math.min(0.4, 28 / (plotWidth / n));
  const fill = spec.fill.kind === 'solid' ? spec.fill.color : 'v';
  const marks: Plot.Markish[] = [
    Plot.rect(missing, {
      x1: (d: Bar) => d.i - 0.5,
      x2: (d: Bar) => d.i + 0.5,
      fill: ctx.missingFill,
      fillOpacity: 0.8,
      title: (d: Bar) => spec.describe(d.i, d.v),
      className: 'viz-missing-bar',
    }),
    Plot.rect(finite, {
      x1: (d: Bar) => d.i - barHalf,
      x2: (d: Bar) => d.i + barHalf,
      y1: 0,
      y2: 'v',
      fill,
      stroke: spec.fill.kind === 'diverging' ? MUTED_COLOR : 'none',
      strokeWidth: 0.5,
      title: (d: Bar) => spec.describe(d.i, d.v),
      className: spec.className,
    }),
    Plot.ruleY([0], { stroke: MUTED_COLOR }),
  ];
  if (targets.length > 0) {
    marks.push(
      Plot.link(targets, {
        x1: (d: Bar) => d.i - barHalf * 1.4,
        x2: (d: Bar) => d.i + barHalf * 1.4,
        y1: 'v',
        y2: 'v',
        stroke: TEXT_COLOR,
        strokeWidth: 2,
        strokeDasharray: '5 3',
        title: (d: Bar) => `target ${d.i}: ${formatNumber(d.v)}`,
        className: 'viz-target',
      }),
    );
  }
  if (labelled) {
    marks.push(
      Plot.text(
        finite.filter((b) => b.v >= 0),
        { x: 'i', y: 'v', text: (d: Bar) => formatDigits(d.v, 3), lineAnchor: 'bottom', dy: -3, className: 'viz-value-label' },
      ),
      Plot.text(
        finite.filter((b) => b.v < 0),
        { x: 'i', y: 'v', text: (d: Bar) => formatDigits(d.v, 3), lineAnchor: 'top', dy: 3, className: 'viz-value-label' },
      ),
    );
  }
  if (missing.length > 0 && labelled) {
    marks.push(
      Plot.text(missing, {
        x: 'i',
        y: 0,
        text: (d: Bar) => formatNumber(d.v),
        lineAnchor: 'bottom',
        dy: -3,
        fontWeight: 600,
        className: 'viz-value-label',
      }),
    );
  }
  marks.push(Plot.frame({ stroke: GRID_COLOR }));
  return Plot.plot({
    document: ctx.document,
    width,
    height: spec.height,
    marginTop: 8,
    marginRight: 12,
    marginBottom: 36,
    marginLeft,
    x: {
      domain: [-0.5, n - 0.5],
      ticks: xTicks,
      tickFormat: integerFormat,
      label: spec.xLabel,
      labelAnchor: 'center',
      labelArrow: 'none',
    },
    y: {
      domain: y.domain,
      ticks: y.ticks,
      tickFormat: formatNumber,
      grid: true,
      label: spec.yLabel,
      labelAnchor: 'center',
      labelArrow: 'none',
    },
    color:
      spec.fill.kind === 'diverging'
        ? { type: 'diverging', scheme: spec.fill.scheme, domain: [-spec.fill.extent, spec.fill.extent], pivot: 0 }
        : undefined,
    marks,
  });
}
