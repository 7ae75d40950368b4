import { barPlot, heatmapPlot, linePlot, type LineSeries } from '../charts.js';
import {
  checkExample,
  expectNonEmpty,
  expectRank,
  maxAbs,
  sliceExample,
  toGrid,
  type ArrayInput,
  type Grid,
} from '../data.js';
import { VizShapeError, formatShape } from '../errors.js';
import { renderFigure, resolveDocument, type LegendSpec, type PanelSpec } from '../figure.js';
import { DIVERGING_OPTION_KEYS, VIEW_OPTION_KEYS, checkViewArgs, type ViewKeys } from '../options.js';
import { SERIES_COLORS, TEXT_COLOR, formatNumber, seriesStyle, symmetricExtent, type DivergingScheme } from '../theme.js';
import {
  checkChoice,
  checkPositive,
  checkScheme,
  checkWidth,
  describeNonFinite,
  exampleLabel,
  type DivergingOptions,
  type ViewOptions,
} from './common.js';

/** One batch through the network, as `plot_rnn_working(example_input, output, state)` took it. */
export interface RnnWorkingData {
  /** The input sequences, `[batch, timesteps, features]`. */
  readonly input: ArrayInput;
  /** The model's output, `[batch, outputs]` (or `[batch, timesteps, outputs]` with `returnSequences`). */
  readonly output: ArrayInput;
  /** The RNN's memory after the last timestep, `[batch, units]`. */
  readonly state: ArrayInput;
  /** Which example of the batch to draw (0-based, default 0). */
  readonly example?: number;
  /**
   * What the output should have been (e.g. a forecast's target), shaped like `output`: drawn over it, dashed (a
   * tick across each bar, or a dashed line per output in the lines view).
   */
  readonly target?: ArrayInput;
}

/** How to draw {@link RnnWorkingData}. */
export interface RnnWorkingOptions extends ViewOptions, DivergingOptions {
  /** Input as one line per feature, or a features × timesteps heatmap; `'auto'` (default) uses lines up to 8 features. */
  readonly inputView?: 'auto' | 'lines' | 'heatmap';
  /** Sequence outputs `[B,T,O]` as lines or a heatmap; `'auto'` uses lines up to 8 outputs. `[B,O]` is always bars. */
  readonly outputView?: 'auto' | 'lines' | 'heatmap';
  /** State as bars or a one-row heatmap strip; `'auto'` (default) uses bars up to 32 units. */
  readonly stateView?: 'auto' | 'bars' | 'strip';
  /** y-axis label of the output panel (default `'output value'`; say `'logit'` or `'probability'` when you know). */
  readonly outputLabel?: string;
  /** Height of each plot in pixels (default 240). */
  readonly panelHeight?: number;
}

/** Keys of {@link RnnWorkingData} and {@link RnnWorkingOptions}. */
export const RNN_WORKING_KEYS: ViewKeys = {
  data: ['input', 'output', 'state', 'target', 'example'],
  options: [...VIEW_OPTION_KEYS, ...DIVERGING_OPTION_KEYS, 'inputView', 'outputView', 'stateView', 'outputLabel', 'panelHeight'],
};

const MAX_LINES = 8;

function seriesFromSequence(
  values: Float64Array,
  steps: number,
  channels: number,
  label: (k: number) => string,
  className: string,
): { series: LineSeries[]; missingX: number[] } {
  const x = Array.from({ length: steps }, (_, t) => t);
  const missingX: number[] = [];
  const series = Array.from({ length: channels }, (_, k) => {
    const y = new Float64Array(steps);
    for (let t = 0; t < steps; t++) {
      const v = values[t * channels + k] as number;
      y[t] = v;
      if (!Number.isFinite(v)) missingX.push(t);
    }
    const style = seriesStyle(k);
    return { label: label(k), x, y, color: style.color, dash: style.dash, className };
  });
  return { series, missingX };
}

function transpose(values: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}

function swatchesFor(series: readonly LineSeries[], missing: boolean): LegendSpec {
  const items = series.map((s) => ({ label: s.label, color: s.color, dash: s.dash, shape: 'line' as const }));
  return { kind: 'swatches', items: missing ? [...items, { label: 'NaN / ∞', color: '', shape: 'missing' }] : items };
}

function rampFor(label: string, extent: number, scheme: DivergingScheme, values: ArrayLike<number>): LegendSpec {
  return { kind: 'ramp', label, extent, scheme, missing: describeNonFinite(values) !== undefined };
}

function sequencePanel(args: {
  key: string;
  title: string;
  values: Float64Array;
  steps: number;
  channels: number;
  view: 'lines' | 'heatmap';
  channelName: string;
  valueLabel: string;
  className: string;
  height: number;
  weight: number;
  scheme: DivergingScheme;
  colorExtent: number | undefined;
  /** Values the sequence should have had, same layout: dashed dark lines (lines view only). */
  target?: Float64Array | undefined;
}): PanelSpec {
  const { values, steps, channels, channelName } = args;
  const badNote = describeNonFinite(values);
  const notes = [`${channels} ${channelName}${channels === 1 ? '' : 's'} × ${steps} timestep${steps === 1 ? '' : 's'}`];
  if (args.target !== undefined && args.view !== 'lines') notes.push('target not drawn in the heatmap view');
  if (args.view === 'lines') {
    const { series, missingX } = seriesFromSequence(values, steps, channels, (k) => `${channelName} ${k}`, args.className);
    if (args.target !== undefined) {
      const targets = seriesFromSequence(args.target, steps, channels, (k) => (channels === 1 ? 'target' : `target ${k}`), 'viz-target');
      series.push(...targets.series.map((t) => ({ ...t, color: TEXT_COLOR, dash: '5 3' })));
    }
    return {
      key: args.key,
      title: args.title,
      notes,
      warnings: badNote ? [`${badNote}: gaps in the lines, hatched columns`] : [],
      legend: swatchesFor(series, missingX.length > 0),
      weight: args.weight,
      height: args.height,
      plot: (ctx, width) =>
        linePlot(
          ctx,
          {
            series,
            xLabel: 'timestep',
            yLabel: args.valueLabel,
            xDomain: [0, steps - 1],
            height: args.height,
            dots: steps <= 40,
            missingX,
          },
          width,
        ),
    };
  }
  const extent = args.colorExtent ?? symmetricExtent(maxAbs(values));
  const grid = transpose(values, steps, channels);
  return {
    key: args.key,
    title: args.title,
    notes,
    warnings: badNote ? [`${badNote}: hatched cells`] : [],
    legend: rampFor(args.valueLabel, extent, args.scheme, values),
    weight: args.weight,
    height: args.height,
    plot: (ctx, width) =>
      heatmapPlot(
        ctx,
        {
          rows: channels,
          cols: steps,
          values: grid,
          xLabel: 'timestep',
          yLabel: channelName,
          extent,
          scheme: args.scheme,
          height: args.height,
          cellClass: `${args.className}-cell`,
          describe: (k, t, v) => `${channelName} ${k}, timestep ${t}: ${formatNumber(v)}`,
        },
        width,
      ),
  };
}

interface CheckedRnnWorking {
  input: Grid;
  output: Grid;
  state: Grid;
  target?: Grid;
  example: number;
}

/** Validates shapes and the example index; exported for the handle's `update`, which must fail before redrawing. */
export function checkRnnWorkingData(data: RnnWorkingData): CheckedRnnWorking {
  const input = toGrid(data.input, 'input');
  expectRank(input, [3], '[batch, timesteps, features]');
  expectNonEmpty(input, ['batch', 'timesteps', 'features']);
  const output = toGrid(data.output, 'output');
  expectRank(output, [2, 3], '[batch, outputs] or [batch, timesteps, outputs]');
  expectNonEmpty(output, output.shape.length === 3 ? ['batch', 'timesteps', 'outputs'] : ['batch', 'outputs']);
  const state = toGrid(data.state, 'state');
  expectRank(state, [2], '[batch, units]');
  expectNonEmpty(state, ['batch', 'units']);
  const batch = input.shape[0] as number;
  for (const g of [output, state]) {
    if (g.shape[0] !== batch) {
      throw new VizShapeError(
        `${g.name}: batch size ${g.shape[0]} does not match input's batch size ${batch} (${g.name} shape ${formatShape(g.shape)}, input shape ${formatShape(input.shape)})`,
      );
    }
  }
  if (output.shape.length === 3 && output.shape[1] !== input.shape[1]) {
    throw new VizShapeError(
      `output: ${output.shape[1]} timesteps do not match input's ${input.shape[1]} (output shape ${formatShape(output.shape)}, input shape ${formatShape(input.shape)})`,
    );
  }
  const checked: CheckedRnnWorking = { input, output, state, example: checkExample(data.example, batch) };
  if (data.target !== undefined) {
    const target = toGrid(data.target, 'target');
    if (formatShape(target.shape) !== formatShape(output.shape)) {
      throw new VizShapeError(`target: expected the output's shape ${formatShape(output.shape)}, received ${formatShape(target.shape)}`);
    }
    checked.target = target;
  }
  return checked;
}

/**
 * Builds the three-panel picture of one example as a standalone SVG element: the input sequence over time, the
 * model's output, and the RNN's memory (final state). Use {@link plotRnnWorking} to mount it with live updates,
 * or `rnnWorkingSvg` from `@basicrnn/viz/node` for files.
 *
 * @example
 * ```ts
 * const { output, state } = model.call(x);
 * document.body.append(renderRnnWorking({ input: x, output, state, example: 3 }));
 * ```
 */
export function renderRnnWorking(data: RnnWorkingData, options: RnnWorkingOptions = {}): SVGSVGElement {
  checkViewArgs(RNN_WORKING_KEYS, data, options, 'renderRnnWorking');
  const document = resolveDocument(options.document, 'renderRnnWorking');
  const { input, output, state, target, example } = checkRnnWorkingData(data);
  const targetValues = target === undefined ? undefined : sliceExample(target, example);
  const scheme = checkScheme(options.scheme);
  const width = checkWidth(options.width, 980, 280);
  const height = Math.round(checkPositive(options.panelHeight, 'panelHeight', 240, 120));
  const colorExtent = options.colorExtent === undefined ? undefined : checkPositive(options.colorExtent, 'colorExtent', 1);
  const inputView = checkChoice(options.inputView, 'inputView', ['auto', 'lines', 'heatmap'], 'auto');
  const outputView = checkChoice(options.outputView, 'outputView', ['auto', 'lines', 'heatmap'], 'auto');
  const stateView = checkChoice(options.stateView, 'stateView', ['auto', 'bars', 'strip'], 'auto');
  const batch = input.shape[0] as number;
  const which = exampleLabel(example, batch);
  const [, steps, features] = input.shape as [number, number, number];

  const inputPanel = sequencePanel({
    key: 'input',
    title: `Input sequence (${which})`,
    values: sliceExample(input, example),
    steps,
    channels: features,
    view: inputView === 'auto' ? (features <= MAX_LINES ? 'lines' : 'heatmap') : inputView,
    channelName: 'feature',
    valueLabel: 'input value',
    className: 'viz-input',
    height,
    weight: 1.3,
    scheme,
    colorExtent,
  });

  const outputValues = sliceExample(output, example);
  const outputLabel = options.outputLabel ?? 'output value';
  let outputPanel: PanelSpec;
  if (output.shape.length === 3) {
    const outputs = output.shape[2] as number;
    outputPanel = sequencePanel({
      key: 'output',
      title: `Output per timestep (${which})`,
      values: outputValues,
      steps,
      channels: outputs,
      view: outputView === 'auto' ? (outputs <= MAX_LINES ? 'lines' : 'heatmap') : outputView,
      channelName: 'output',
      valueLabel: outputLabel,
      className: 'viz-output',
      height,
      weight: 1,
      scheme,
      colorExtent,
      target: targetValues,
    });
  } else {
    const outputs = output.shape[1] as number;
    const bad = describeNonFinite(outputValues);
    outputPanel = {
      key: 'output',
      title: `Output (${which})`,
      notes: [`after the last timestep; ${outputs} output${outputs === 1 ? '' : 's'}${targetValues ? '; dashed: the target' : ''}`],
      warnings: bad ? [`${bad}: hatched bars`] : [],
      weight: outputs > 8 ? 1 : 0.75,
      height,
      plot: (ctx, w) =>
        barPlot(
          ctx,
          {
            values: outputValues,
            xLabel: 'output unit',
            yLabel: outputLabel,
            height,
            fill: { kind: 'solid', color: SERIES_COLORS[0] },
            className: 'viz-output-bar',
            describe: (i, v) => `output ${i}: ${formatNumber(v)}`,
            ...(targetValues === undefined ? {} : { targets: targetValues }),
          },
          w,
        ),
    };
  }

  const stateValues = sliceExample(state, example);
  const units = state.shape[1] as number;
  const stateExtent = colorExtent ?? symmetricExtent(maxAbs(stateValues));
  const stateBad = describeNonFinite(stateValues);
  const stateAsBars = stateView === 'auto' ? units <= 32 : stateView === 'bars';
  const statePanel: PanelSpec = {
    key: 'state',
    title: `Memory: final hidden state (${which})`,
    notes: [`${units} unit${units === 1 ? '' : 's'}, after timestep ${steps - 1}`],
    warnings: stateBad ? [`${stateBad}: hatched ${stateAsBars ? 'bars' : 'cells'}`] : [],
    legend: rampFor('state value', stateExtent, scheme, stateValues),
    weight: 1.15,
    // A strip is drawn at most 96 px high: its panel is no taller (no blank band when the panels stack).
    height: stateAsBars ? height : Math.min(height, 96),
    plot: (ctx, w) =>
      stateAsBars
        ? barPlot(
            ctx,
            {
              values: stateValues,
              xLabel: 'unit',
              yLabel: 'state value',
              height,
              fill: { kind: 'diverging', extent: stateExtent, scheme },
              yExtent: stateExtent,
              className: 'viz-state-bar',
              describe: (i, v) => `unit ${i}: ${formatNumber(v)}`,
            },
            w,
          )
        : heatmapPlot(
            ctx,
            {
              rows: 1,
              cols: units,
              values: stateValues,
              xLabel: 'unit',
              yLabel: null,
              extent: stateExtent,
              scheme,
              height: Math.min(height, 96),
              cellClass: 'viz-state-cell',
              describe: (_, i, v) => `unit ${i}: ${formatNumber(v)}`,
            },
            w,
          ),
  };

  return renderFigure(
    { width, title: options.title, subtitle: options.subtitle, rows: [[inputPanel, outputPanel, statePanel]], view: 'rnn-working' },
    document,
  );
}
