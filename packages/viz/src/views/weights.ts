import { heatmapMarginLeft, heatmapPlot } from '../charts.js';
import { expectNonEmpty, expectRank, maxAbs, toGrid, type ArrayInput, type Grid } from '../data.js';
import { VizShapeError, formatShape } from '../errors.js';
import { renderFigure, resolveDocument, type PanelSpec } from '../figure.js';
import { DIVERGING_OPTION_KEYS, VIEW_OPTION_KEYS, checkViewArgs, type ViewKeys } from '../options.js';
import { formatNumber, symmetricExtent } from '../theme.js';
import { checkPositive, checkScheme, checkWidth, describeNonFinite, type DivergingOptions, type ViewOptions } from './common.js';

/**
 * The SimpleRNN's weights, as `model.getWeights()` returns them (Keras order):
 * `const [kernel, recurrentKernel, bias] = model.getWeights()`.
 */
export interface WeightsData {
  /** Input kernel W, `[features, units]`. */
  readonly kernel: ArrayInput;
  /** Recurrent kernel U, `[units, units]`. */
  readonly recurrentKernel: ArrayInput;
  /** Bias b, `[units]` (omit for `useBias: false`). */
  readonly bias?: ArrayInput;
}

/** How to draw {@link WeightsData}. */
export interface WeightsOptions extends ViewOptions, DivergingOptions {
  /** Largest cell side in pixels (default 16); cells shrink to fit the width. */
  readonly maxCellSize?: number;
}

/** Keys of {@link WeightsData} and {@link WeightsOptions}. */
export const WEIGHTS_KEYS: ViewKeys = {
  data: ['kernel', 'recurrentKernel', 'bias'],
  options: [...VIEW_OPTION_KEYS, ...DIVERGING_OPTION_KEYS, 'maxCellSize'],
};

/** Validates the weight shapes against each other. */
export function checkWeightsData(data: WeightsData): { kernel: Grid; recurrent: Grid; bias: Grid | undefined } {
  const kernel = toGrid(data.kernel, 'kernel');
  expectRank(kernel, [2], '[features, units]');
  expectNonEmpty(kernel, ['features', 'units']);
  const recurrent = toGrid(data.recurrentKernel, 'recurrentKernel');
  expectRank(recurrent, [2], '[units, units]');
  expectNonEmpty(recurrent, ['units', 'units']);
  const units = kernel.shape[1] as number;
  if (recurrent.shape[0] !== units || recurrent.shape[1] !== units) {
    throw new VizShapeError(
      `recurrentKernel: expected shape [${units},${units}] to match kernel's ${units} units (kernel shape ${formatShape(kernel.shape)}), received ${formatShape(recurrent.shape)}`,
    );
  }
  let bias: Grid | undefined;
  if (data.bias !== undefined) {
    bias = toGrid(data.bias, 'bias');
    expectRank(bias, [1], '[units]');
    if (bias.shape[0] !== units) {
      throw new VizShapeError(
        `bias: expected shape [${units}] to match kernel's ${units} units, received ${formatShape(bias.shape)}`,
      );
    }
  }
  return { kernel, recurrent, bias };
}

/**
 * Builds heatmaps of the weight matrices as a standalone SVG element: W (feature → unit) above U (unit → unit)
 * and the bias, with unit columns aligned and one colour key shared by all, symmetric around 0.
 *
 * @example
 * ```ts
 * const [kernel, recurrentKernel, bias] = model.getWeights();
 * document.body.append(renderWeights({ kernel, recurrentKernel, bias }));
 * ```
 */
export function renderWeights(data: WeightsData, options: WeightsOptions = {}): SVGSVGElement {
  checkViewArgs(WEIGHTS_KEYS, data, options, 'renderWeights');
  const document = resolveDocument(options.document, 'renderWeights');
  const { kernel, recurrent, bias } = checkWeightsData(data);
  const [features, units] = kernel.shape as [number, number];
  const scheme = checkScheme(options.scheme);
  const width = checkWidth(options.width, 720);
  const maxCell = checkPositive(options.maxCellSize, 'maxCellSize', 16, 1);
  const all = [kernel.values, recurrent.values, bias?.values ?? new Float64Array()];
  const extent =
    options.colorExtent === undefined
      ? symmetricExtent(Math.max(...all.map(maxAbs)), false)
      : checkPositive(options.colorExtent, 'colorExtent', 1);
  const anyBad = all.some((v) => describeNonFinite(v) !== undefined);
  // Square cells where they fit; one left margin for all panels so the unit columns line up.
  const marginLeft = heatmapMarginLeft(Math.max(units, features), 40 + Math.max(units, features) * maxCell);
  const cell = Math.max(2, Math.min(maxCell, (width - 32 - marginLeft - 8) / units));
  const heightFor = (rows: number) => Math.round(Math.max(rows * cell, rows === 1 ? Math.min(cell, 16) : 24) + 40);
  const maxWidth = Math.ceil(marginLeft + units * cell + 8);
  const range = (v: Float64Array): string[] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) {
      if (Number.isFinite(x)) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    return lo <= hi ? [`values from ${formatNumber(lo)} to ${formatNumber(hi)}`] : [];
  };
  const warn = (v: Float64Array) => {
    const bad = describeNonFinite(v);
    return bad ? [`${bad}: hatched cells`] : [];
  };
  const panels: PanelSpec[] = [
    {
      key: 'kernel',
      title: `Input kernel W [${features}×${units}]: feature → unit`,
      notes: range(kernel.values),
      warnings: warn(kernel.values),
      legend: { kind: 'ramp', label: 'weight', extent, scheme, missing: anyBad },
      height: heightFor(features),
      plot: (ctx, w) =>
        heatmapPlot(
          ctx,
          {
            rows: features,
            cols: units,
            values: kernel.values,
            xLabel: 'unit (receives)',
            yLabel: 'feature',
            extent,
            scheme,
            height: heightFor(features),
            cellClass: 'viz-kernel-cell',
            marginLeft,
            maxWidth,
            describe: (f, u, v) => `W[${f},${u}] feature ${f} → unit ${u}: ${formatNumber(v)}`,
          },
          w,
        ),
    },
    {
      key: 'recurrent-kernel',
      title: `Recurrent kernel U [${units}×${units}]: unit at t−1 → unit at t`,
      notes: range(recurrent.values),
      warnings: warn(recurrent.values),
      height: heightFor(units),
      plot: (ctx, w) =>
        heatmapPlot(
          ctx,
          {
            rows: units,
            cols: units,
            values: recurrent.values,
            xLabel: 'unit at t (receives)',
            yLabel: 'unit at t−1',
            extent,
            scheme,
            height: heightFor(units),
            cellClass: 'viz-recurrent-cell',
            marginLeft,
            maxWidth,
            describe: (a, b, v) => `U[${a},${b}] unit ${a} → unit ${b}: ${formatNumber(v)}`,
          },
          w,
        ),
    },
  ];
  if (bias) {
    const biasValues = bias.values;
    panels.push({
      key: 'bias',
      title: `Bias b [${units}]`,
      notes: range(biasValues),
      warnings: warn(biasValues),
      height: heightFor(1),
      plot: (ctx, w) =>
        heatmapPlot(
          ctx,
          {
            rows: 1,
            cols: units,
            values: biasValues,
            xLabel: 'unit',
            yLabel: null,
            extent,
            scheme,
            height: heightFor(1),
            cellClass: 'viz-bias-cell',
            marginLeft,
            maxWidth,
            describe: (_, u, v) => `b[${u}]: ${formatNumber(v)}`,
          },
          w,
        ),
    });
  }
  return renderFigure(
    { width, title: options.title ?? 'SimpleRNN weights', subtitle: options.subtitle, rows: panels.map((p) => [p]), view: 'weights' },
    document,
  );
}
