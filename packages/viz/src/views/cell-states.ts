import { linePlot, type LineSeries } from '../charts.js';
import { checkExample, expectNonEmpty, expectRank, sliceExample, toGrid, type ArrayInput } from '../data.js';
import { VizValueError, describeValue } from '../errors.js';
import { renderFigure, resolveDocument } from '../figure.js';
import { VIEW_OPTION_KEYS, checkViewArgs, type ViewKeys } from '../options.js';
import { seriesStyle } from '../theme.js';
import { checkPositive, checkWidth, describeNonFinite, exampleLabel, type ViewOptions } from './common.js';

/** An LSTM's cell state after every step: `recurrence(...).cellStates` or `lstmGates(...).cellStates`. */
export interface CellStatesData {
  /** `[batch, timesteps, units]`. */
  readonly cellStates: ArrayInput;
  /** Which example of the batch to draw (0-based, default 0). */
  readonly example?: number;
}

/** How to draw {@link CellStatesData}. */
export interface CellStatesOptions extends ViewOptions {
  /** Units to draw, by index. Default: every unit when there are at most 8, else the 8 that move the most. */
  readonly units?: readonly number[];
  /** Height of the plot in pixels (default 280). */
  readonly height?: number;
  /** Timesteps to mark with a vertical rule, e.g. where the adding problem's markers are. */
  readonly markSteps?: readonly number[];
}

/** Keys of {@link CellStatesData} and {@link CellStatesOptions}. */
export const CELL_STATES_KEYS: ViewKeys = {
  data: ['cellStates', 'example'],
  options: [...VIEW_OPTION_KEYS, 'units', 'height', 'markSteps'],
};

/** Most units drawn by default: more lines than this stop being readable. */
const DEFAULT_UNITS = 8;

function checkIndices(value: unknown, name: string, size: number, what: string): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((u) => Number.isInteger(u) && u >= 0 && u < size)) {
    throw new VizValueError(`${name}: expected a non-empty array of ${what} indices in [0, ${size - 1}], received ${describeValue(value)}`);
  }
  return value as number[];
}

/**
 * Builds one line per unit of an LSTM's cell state c(t) over time for one example, as a standalone SVG element: the
 * memory the forget gate protects. A unit that stores something holds a flat line across the steps it must remember
 * (on the adding problem: from the first marker to the end), where a SimpleRNN's state would have faded.
 *
 * @example
 * ```ts
 * const { cellStates } = lstmGates(inputs, attrs);
 * document.body.append(renderCellStates({ cellStates }, { markSteps: [12, 71] }));
 * ```
 */
export function renderCellStates(data: CellStatesData, options: CellStatesOptions = {}): SVGSVGElement {
  checkViewArgs(CELL_STATES_KEYS, data, options, 'renderCellStates');
  const document = resolveDocument(options.document, 'renderCellStates');
  const grid = toGrid(data.cellStates, 'cellStates');
  expectRank(grid, [3], '[batch, timesteps, units]');
  expectNonEmpty(grid, ['batch', 'timesteps', 'units']);
  const [batch, steps, units] = grid.shape as [number, number, number];
  const example = checkExample(data.example, batch);
  const width = checkWidth(options.width, 760);
  const height = Math.round(checkPositive(options.height, 'height', 280, 120));
  const marks = checkIndices(options.markSteps, 'markSteps', steps, 'timestep') ?? [];
  const values = sliceExample(grid, example);
  const column = (u: number) => Array.from({ length: steps }, (_, t) => values[t * units + u] as number);
  const range = (ys: number[]) => {
    const finite = ys.filter(Number.isFinite);
    return finite.length ? Math.max(...finite) - Math.min(...finite) : 0;
  };
  let chosen = checkIndices(options.units, 'units', units, 'unit');
  const picked = chosen === undefined && units > DEFAULT_UNITS;
  if (chosen === undefined) {
    const all = Array.from({ length: units }, (_, u) => u);
    chosen = picked ? all.map((u) => [u, range(column(u))] as const).sort((a, b) => b[1] - a[1]).slice(0, DEFAULT_UNITS).map(([u]) => u).sort((a, b) => a - b) : all;
  }
  const x = Array.from({ length: steps }, (_, t) => t);
  const series: LineSeries[] = chosen.map((u, i) => ({ label: `unit ${u}`, x, y: column(u), ...seriesStyle(i), className: `viz-cell-unit-${u}` }));
  const bad = describeNonFinite(series.flatMap((s) => Array.from(s.y)));
  const notes = [
    picked ? `the ${DEFAULT_UNITS} of ${units} units whose c(t) moves the most` : `${chosen.length} of ${units} unit${units === 1 ? '' : 's'}`,
    ...(marks.length ? [`marked steps: ${marks.join(', ')}`] : []),
  ];
  return renderFigure(
    {
      width,
      title: options.title ?? 'LSTM cell state over time',
      subtitle: options.subtitle,
      view: 'cell-states',
      rows: [
        [
          {
            key: 'cell-states',
            title: `Cell state c(t) (${exampleLabel(example, batch)})`,
            notes,
            warnings: bad ? [`${bad}: gaps in the lines`] : [],
            legend: { kind: 'swatches', items: series.map((s) => ({ label: s.label, color: s.color, dash: s.dash, shape: 'line' as const })) },
            height,
            plot: (ctx, w) =>
              linePlot(
                ctx,
                { series, xLabel: 'timestep', yLabel: 'cell state c(t)', xDomain: [0, steps - 1], height, dots: steps <= 40, markX: marks },
                w,
              ),
          },
        ],
      ],
    },
    document,
  );
}
