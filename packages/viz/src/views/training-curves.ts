import { linePlot, type LineSeries } from '../charts.js';
import { VizShapeError, VizValueError, describeValue } from '../errors.js';
import { renderFigure, resolveDocument, type PanelSpec } from '../figure.js';
import { VIEW_OPTION_KEYS, checkKeys } from '../options.js';
import { SERIES_COLORS, formatNumber } from '../theme.js';
import { checkChoice, checkPositive, checkWidth, type ViewOptions } from './common.js';

/**
 * What `model.fit` resolves to (Keras' History): epoch indices from 0 and one array per log key, e.g.
 * `{ epoch: [0, 1], history: { loss: [0.7, 0.5], val_loss: [0.72, 0.6], accuracy: [0.5, 0.7] } }`.
 */
export interface TrainingHistory {
  readonly epoch: readonly number[];
  readonly history: Readonly<Record<string, readonly number[]>>;
}

/** How to draw a {@link TrainingHistory}. */
export interface TrainingCurvesOptions extends ViewOptions {
  /** Scale of the loss axis (default `'linear'`); `'log'` needs every drawn loss > 0. */
  readonly lossScale?: 'linear' | 'log';
  /** Height of each plot in pixels (default 260). */
  readonly panelHeight?: number;
}

/** Keys of {@link TrainingCurvesOptions}. (A History's own keys are not checked: other libraries' Histories carry more.) */
export const TRAINING_CURVES_OPTION_KEYS: readonly string[] = [...VIEW_OPTION_KEYS, 'lossScale', 'panelHeight'];

interface MetricGroup {
  readonly base: string;
  readonly train?: readonly number[] | undefined;
  readonly val?: readonly number[] | undefined;
}

/** Validates a History-shaped object: one finite epoch per entry, and every key's array as long as `epoch`. */
export function checkTrainingHistory(data: TrainingHistory): { epochs: number[]; keys: string[] } {
  if (data === null || typeof data !== 'object' || typeof data.history !== 'object' || data.history === null) {
    throw new VizValueError(
      `history: expected a History { epoch: number[], history: { loss: number[], … } }, received ${describeValue(data)}`,
    );
  }
  const keys = Object.keys(data.history);
  const length = data.epoch?.length ?? (keys.length ? (data.history[keys[0] as string]?.length ?? 0) : 0);
  const epochs = data.epoch ? [...data.epoch] : Array.from({ length }, (_, i) => i);
  epochs.forEach((e, i) => {
    if (typeof e !== 'number' || !Number.isFinite(e)) {
      throw new VizValueError(`history.epoch: expected finite epoch numbers, received ${describeValue(e)} at index ${i}`);
    }
  });
  for (const key of keys) {
    const values = data.history[key];
    if (!Array.isArray(values)) {
      throw new VizValueError(`history.history.${key}: expected an array of numbers, received ${describeValue(values)}`);
    }
    if (values.length !== epochs.length) {
      throw new VizShapeError(
        `history.history.${key}: expected ${epochs.length} values (one per entry of history.epoch), received ${values.length}`,
      );
    }
    values.forEach((v, i) => {
      if (typeof v !== 'number' && v !== null) {
        throw new VizValueError(`history.history.${key}: expected numbers, received ${describeValue(v)} at index ${i}`);
      }
    });
  }
  return { epochs, keys };
}

function groupKeys(history: TrainingHistory['history'], keys: readonly string[]): MetricGroup[] {
  const bases: string[] = [];
  for (const key of keys) {
    const base = key.startsWith('val_') ? key.slice(4) : key;
    if (!bases.includes(base)) bases.push(base);
  }
  return bases.map((base) => ({ base, train: history[base], val: history[`val_${base}`] }));
}

function nonFiniteEpochs(values: readonly number[], epochs: readonly number[]): number[] {
  const out: number[] = [];
  values.forEach((v, i) => {
    if (!Number.isFinite(v as number)) out.push((epochs[i] as number) + 1);
  });
  return out;
}

function formatEpochList(list: readonly number[]): string {
  return list.length > 6 ? `${list.slice(0, 5).join(', ')}, … (${list.length} epochs)` : list.join(', ');
}

function metricPanel(
  key: string,
  title: string,
  yLabel: string,
  groups: readonly MetricGroup[],
  epochs: readonly number[],
  height: number,
  yType: 'linear' | 'log',
  weight: number,
): PanelSpec {
  const x = epochs.map((e) => e + 1);
  const series: LineSeries[] = [];
  const warnings: string[] = [];
  const missingX: number[] = [];
  groups.forEach((g, gi) => {
    const pairs: [string, readonly number[] | undefined, boolean][] = [
      [g.base, g.train, false],
      [`val_${g.base}`, g.val, true],
    ];
    pairs.forEach(([name, values, isVal]) => {
      if (!values) return;
      const y = values.map((v) => (v === null ? NaN : v));
      series.push({
        label: name,
        x,
        y,
        color: SERIES_COLORS[(2 * gi + (isVal ? 1 : 0)) % SERIES_COLORS.length] as string,
        dash: isVal ? '6,3' : 'none',
        className: `viz-curve-${name.replace(/[^\w-]/g, '_')}`,
      });
      const bad = nonFiniteEpochs(y, epochs);
      if (bad.length) {
        warnings.push(`${name} is NaN or infinite at epoch ${formatEpochList(bad)}: gaps, hatched`);
        missingX.push(...bad);
      }
      if (yType === 'log' && y.some((v) => Number.isFinite(v) && v <= 0)) {
        throw new VizValueError(`lossScale: 'log' needs ${name} > 0 at every epoch; use lossScale: 'linear'`);
      }
    });
  });
  const n = epochs.length;
  const latest = n
    ? `epoch ${x[n - 1]}: ${series.map((s) => `${s.label} ${formatNumber(s.y[n - 1] as number)}`).join(' · ')}`
    : 'no epochs yet: the curves grow as fit() reports each epoch';
  return {
    key,
    title,
    notes: [latest],
    warnings,
    legend: {
      kind: 'swatches',
      items: series.map((s) => ({ label: s.label, color: s.color, dash: s.dash, shape: 'line' as const })),
    },
    weight,
    height,
    plot: (ctx, width) =>
      linePlot(
        ctx,
        {
          series,
          xLabel: 'epoch',
          yLabel,
          xDomain: [1, Math.max(1, x[n - 1] ?? 1)],
          height,
          yType,
          dots: n <= 60,
          missingX,
          emptyText: n === 0 ? 'waiting for the first epoch' : undefined,
        },
        width,
      ),
  };
}

/**
 * Builds loss and metric curves per epoch as a standalone SVG element: training solid, validation dashed (Keras
 * `val_` keys), epochs counted from 1. Feed it a History from `fit`, or mount it with {@link plotTrainingCurves}
 * and let {@link trainingCurvesCallback} update it live.
 *
 * @example
 * ```ts
 * const history = await model.fit(x, y, { epochs: 20, validationSplit: 0.2 });
 * document.body.append(renderTrainingCurves(history));
 * ```
 */
export function renderTrainingCurves(data: TrainingHistory, options: TrainingCurvesOptions = {}): SVGSVGElement {
  checkKeys(options, TRAINING_CURVES_OPTION_KEYS, 'renderTrainingCurves(data, options)');
  const document = resolveDocument(options.document, 'renderTrainingCurves');
  const { epochs, keys } = checkTrainingHistory(data);
  const width = checkWidth(options.width, 900);
  const height = Math.round(checkPositive(options.panelHeight, 'panelHeight', 260, 120));
  const lossScale = checkChoice(options.lossScale, 'lossScale', ['linear', 'log'], 'linear');
  const groups = groupKeys(data.history, keys);
  const lossGroups = groups.filter((g) => g.base === 'loss');
  const metricGroups = groups.filter((g) => g.base !== 'loss');
  const rows: PanelSpec[] = [];
  if (lossGroups.length > 0 || metricGroups.length === 0) {
    rows.push(metricPanel('loss', 'Loss per epoch', 'loss', lossGroups, epochs, height, lossScale, 1));
  }
  if (metricGroups.length > 0) {
    const names = metricGroups.map((g) => g.base);
    // Acronyms stay upper case ("MAE per epoch"); other names get a capital ("Accuracy per epoch").
    const display = (name: string) => (/^(mae|mse|rmse|mape)$/i.test(name) ? name.toUpperCase() : name.charAt(0).toUpperCase() + name.slice(1));
    const title = names.length === 1 ? `${display(names[0] as string)} per epoch` : 'Metrics per epoch';
    const label = names.length === 1 ? (names[0] as string) : 'metric value';
    rows.push(metricPanel('metrics', title, label, metricGroups, epochs, height, 'linear', 1));
  }
  return renderFigure(
    { width, title: options.title ?? 'Training curves', subtitle: options.subtitle, rows: [rows], view: 'training-curves' },
    document,
  );
}

/** Receives a {@link TrainingHistory} on every epoch: a handle from {@link plotTrainingCurves}, or your own. */
export interface TrainingCurvesSink {
  update(history: TrainingHistory): void;
}

/** A `fit` callback that records epoch logs and redraws the curves after each epoch. */
export interface TrainingCurvesCallback {
  /** Called by `fit` after each epoch with Keras-style logs (`loss`, `val_loss`, `accuracy`, …). */
  onEpochEnd(epoch: number, logs?: Readonly<Record<string, unknown>>): void;
  /** Everything recorded so far, as a History. */
  readonly history: TrainingHistory;
  /** Forgets the recorded epochs and redraws the empty view. */
  reset(): void;
}

function logValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  // A scalar tensor still in the logs: read it without importing tfjs.
  if (value && typeof value === 'object' && typeof (value as { dataSync?: unknown }).dataSync === 'function') {
    const data = (value as { dataSync(): ArrayLike<number> }).dataSync();
    return data.length === 1 ? (data[0] as number) : undefined;
  }
  return undefined;
}

/**
 * Makes a `fit` callback that feeds `target` (usually the handle of {@link plotTrainingCurves}) a growing History.
 * When a second `fit` call starts again at epoch 0, its epochs continue after the recorded ones, so the curve
 * shows the whole training.
 *
 * @example
 * ```ts
 * const curves = plotTrainingCurves('#curves');
 * await model.fit(x, y, { epochs: 50, validationSplit: 0.2, callbacks: [trainingCurvesCallback(curves)] });
 * ```
 */
export function trainingCurvesCallback(target: TrainingCurvesSink): TrainingCurvesCallback {
  if (!target || typeof target.update !== 'function') {
    throw new VizValueError(`target: expected an object with update(history), e.g. a plotTrainingCurves handle, received ${describeValue(target)}`);
  }
  let epochs: number[] = [];
  let history: Record<string, number[]> = {};
  let offset = 0;
  const snapshot = (): TrainingHistory => ({
    epoch: [...epochs],
    history: Object.fromEntries(Object.entries(history).map(([k, v]) => [k, [...v]])),
  });
  return {
    onEpochEnd(epoch, logs = {}) {
      const last = epochs[epochs.length - 1];
      if (last !== undefined && epoch + offset <= last) offset = last + 1 - epoch;
      const index = epochs.length;
      epochs.push(epoch + offset);
      for (const [key, raw] of Object.entries(logs)) {
        const value = logValue(raw);
        if (value === undefined) continue;
        // A key first seen now has no value for earlier epochs: NaN keeps the arrays aligned.
        const series = (history[key] ??= Array.from({ length: index }, () => NaN));
        series.push(value);
      }
      for (const series of Object.values(history)) if (series.length < epochs.length) series.push(NaN);
      target.update(snapshot());
    },
    get history() {
      return snapshot();
    },
    reset() {
      epochs = [];
      history = {};
      offset = 0;
      target.update(snapshot());
    },
  };
}
