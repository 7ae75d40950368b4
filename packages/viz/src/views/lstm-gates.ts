import { heatmapMarginLeft, heatmapPlot } from '../charts.js';
import { checkExample, expectNonEmpty, expectRank, sliceExample, toGrid, type ArrayInput, type Grid } from '../data.js';
import { VizShapeError, formatShape } from '../errors.js';
import { renderFigure, resolveDocument, type PanelSpec } from '../figure.js';
import { DIVERGING_OPTION_KEYS, VIEW_OPTION_KEYS, checkViewArgs, type ViewKeys } from '../options.js';
import { formatDigits, formatNumber } from '../theme.js';
import { checkPositive, checkScheme, checkWidth, describeNonFinite, exampleLabel, type DivergingOptions, type ViewOptions } from './common.js';

/** An LSTM's gate activations at every step, `[batch, timesteps, units]` each: what core's `lstmGates(...)` returns. */
export interface LstmGatesData {
  /** i(t): how much of the candidate is written into the cell state. */
  readonly input: ArrayInput;
  /** f(t): how much of the previous cell state is kept. */
  readonly forget: ArrayInput;
  /** c̃(t): the candidate value. */
  readonly candidate: ArrayInput;
  /** o(t): how much of the cell state is shown as h(t). */
  readonly output: ArrayInput;
  /** Which example of the batch to draw (0-based, default 0). */
  readonly example?: number;
}

/** How to draw {@link LstmGatesData}. */
export interface LstmGatesOptions extends ViewOptions, Omit<DivergingOptions, 'colorExtent'> {
  /** Height of each gate's heatmap in pixels; default grows with the number of units (90–220). */
  readonly panelHeight?: number;
}

/** Keys of {@link LstmGatesData} and {@link LstmGatesOptions}. */
export const LSTM_GATES_KEYS: ViewKeys = {
  data: ['input', 'forget', 'candidate', 'output', 'example'],
  options: [...VIEW_OPTION_KEYS, ...DIVERGING_OPTION_KEYS.filter((k) => k !== 'colorExtent'), 'panelHeight'],
};

/** The four gates in Keras order, with the panel title and the formula each shows. */
export const LSTM_GATE_PANELS = [
  { key: 'input', title: 'Input gate i(t)', note: 'σ(z_i): 1 writes the candidate into the cell' },
  { key: 'forget', title: 'Forget gate f(t)', note: 'σ(z_f): 1 keeps the cell state, 0 erases it' },
  { key: 'candidate', title: 'Candidate c̃(t)', note: 'tanh(z_c): the value that would be written' },
  { key: 'output', title: 'Output gate o(t)', note: 'σ(z_o): how much of tanh(c(t)) becomes h(t)' },
] as const;

/** Validates the four gates: rank 3, non-empty, one shape for all; and the example index. */
export function checkLstmGatesData(data: LstmGatesData): { grids: Grid[]; example: number } {
  const grids = LSTM_GATE_PANELS.map(({ key }) => {
    const grid = toGrid(data[key], key);
    expectRank(grid, [3], '[batch, timesteps, units]');
    expectNonEmpty(grid, ['batch', 'timesteps', 'units']);
    return grid;
  });
  const shape = grids[0]!.shape;
  for (const grid of grids.slice(1)) {
    if (grid.shape.some((d, i) => d !== shape[i])) {
      throw new VizShapeError(`${grid.name}: expected the shape of input, ${formatShape(shape)}, received ${formatShape(grid.shape)}`);
    }
  }
  return { grids, example: checkExample(data.example, shape[0] as number) };
}

/**
 * Builds four units × timesteps heatmaps of one example's LSTM gates — input i, forget f, candidate c̃, output o —
 * on one colour key from −1 to 1 (the sigmoid gates use its upper half: white is a closed gate, full colour an
 * open one), columns aligned across panels so a step reads straight down. Feed it core's `lstmGates(...)`.
 *
 * @example
 * ```ts
 * const gates = lstmGates(inputs, { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false });
 * document.body.append(renderLstmGates(gates));
 * ```
 */
export function renderLstmGates(data: LstmGatesData, options: LstmGatesOptions = {}): SVGSVGElement {
  checkViewArgs(LSTM_GATES_KEYS, data, options, 'renderLstmGates');
  const document = resolveDocument(options.document, 'renderLstmGates');
  const { grids, example } = checkLstmGatesData(data);
  const [batch, steps, units] = grids[0]!.shape as [number, number, number];
  const scheme = checkScheme(options.scheme);
  const width = checkWidth(options.width, 760);
  const height = Math.round(checkPositive(options.panelHeight, 'panelHeight', Math.min(220, Math.max(90, units * 5)) + 40, 80));
  const marginLeft = heatmapMarginLeft(units, height);
  const rows: PanelSpec[][] = LSTM_GATE_PANELS.map(({ key, title, note }, q) => {
    const values = sliceExample(grids[q]!, example);
    const grid = new Float64Array(values.length);
    let sum = 0;
    for (let t = 0; t < steps; t++) {
      for (let h = 0; h < units; h++) {
        const v = values[t * units + h] as number;
        grid[h * steps + t] = v;
        sum += v;
      }
    }
    const bad = describeNonFinite(values);
    return [
      {
        key,
        title: `${title} (${exampleLabel(example, batch)})`,
        notes: [`${note}; mean ${formatDigits(sum / values.length, 3)}`],
        warnings: bad ? [`${bad}: hatched cells`] : [],
        ...(q === 0 ? { legend: { kind: 'ramp' as const, label: 'gate value', extent: 1, scheme, missing: bad !== undefined } } : {}),
        height,
        plot: (ctx, w) =>
          heatmapPlot(
            ctx,
            {
              rows: units,
              cols: steps,
              values: grid,
              xLabel: 'timestep',
              yLabel: 'unit',
              extent: 1,
              scheme,
              height,
              marginLeft,
              cellClass: `viz-gate-${key}-cell`,
              describe: (h, t, v) => `${title}, unit ${h}, timestep ${t}: ${formatNumber(v)}`,
            },
            w,
          ),
      },
    ];
  });
  return renderFigure({ width, title: options.title ?? 'LSTM gates over time', subtitle: options.subtitle, rows, view: 'lstm-gates' }, document);
}
