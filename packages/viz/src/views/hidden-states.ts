import { heatmapPlot } from '../charts.js';
import { checkExample, expectNonEmpty, expectRank, maxAbs, sliceExample, toGrid, type ArrayInput, type Grid } from '../data.js';
import { VizShapeError, VizValueError, describeValue } from '../errors.js';
import { renderFigure, resolveDocument } from '../figure.js';
import { DIVERGING_OPTION_KEYS, VIEW_OPTION_KEYS, checkViewArgs, type ViewKeys } from '../options.js';
import { formatNumber, symmetricExtent } from '../theme.js';
import {
  checkPositive,
  checkScheme,
  checkWidth,
  describeNonFinite,
  exampleLabel,
  type DivergingOptions,
  type ViewOptions,
} from './common.js';

/** Every hidden state of a batch: `model.call(x, { returnHiddenStates: true }).hiddenStates`. */
export interface HiddenStatesData {
  /** `[batch, timesteps, units]`. */
  readonly hiddenStates: ArrayInput;
  /** Which example of the batch to draw (0-based, default 0). */
  readonly example?: number;
}

/** How to draw {@link HiddenStatesData}. */
export interface HiddenStatesOptions extends ViewOptions, DivergingOptions {
  /** Height of the heatmap in pixels; default grows with the number of units (160–440). */
  readonly height?: number;
  /**
   * One label per timestep for the time axis, e.g. the words of a sentence (`''` for padding); must have exactly
   * as many entries as there are timesteps.
   */
  readonly stepLabels?: readonly string[];
}

/** Keys of {@link HiddenStatesData} and {@link HiddenStatesOptions}. */
export const HIDDEN_STATES_KEYS: ViewKeys = {
  data: ['hiddenStates', 'example'],
  options: [...VIEW_OPTION_KEYS, ...DIVERGING_OPTION_KEYS, 'height', 'stepLabels'],
};

/** Validates the hidden states and the example index. */
export function checkHiddenStatesData(data: HiddenStatesData): { states: Grid; example: number } {
  const states = toGrid(data.hiddenStates, 'hiddenStates');
  expectRank(states, [3], '[batch, timesteps, units]');
  expectNonEmpty(states, ['batch', 'timesteps', 'units']);
  return { states, example: checkExample(data.example, states.shape[0] as number) };
}

function checkStepLabels(labels: unknown, steps: number): readonly string[] | undefined {
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
    throw new VizValueError(`stepLabels: expected an array of strings, received ${describeValue(labels)}`);
  }
  if (labels.length !== steps) {
    throw new VizShapeError(`stepLabels: expected one label per timestep (${steps}), received ${labels.length}`);
  }
  return labels as string[];
}

/**
 * Builds a units × timesteps heatmap of one example's hidden state h(t) as a standalone SVG element: how the RNN's
 * memory evolves while it reads the sequence. Colours diverge from 0 (purple below, orange above by default).
 *
 * @example
 * ```ts
 * const { hiddenStates } = model.call(x, { returnHiddenStates: true });
 * document.body.append(renderHiddenStates({ hiddenStates, example: 0 }));
 * ```
 */
export function renderHiddenStates(data: HiddenStatesData, options: HiddenStatesOptions = {}): SVGSVGElement {
  checkViewArgs(HIDDEN_STATES_KEYS, data, options, 'renderHiddenStates');
  const document = resolveDocument(options.document, 'renderHiddenStates');
  const { states, example } = checkHiddenStatesData(data);
  const [batch, steps, units] = states.shape as [number, number, number];
  const scheme = checkScheme(options.scheme);
  const width = checkWidth(options.width, 760);
  const height = Math.round(
    checkPositive(options.height, 'height', Math.min(440, Math.max(160, units * 7)) + 40, 80),
  );
  const stepLabels = checkStepLabels(options.stepLabels, steps);
  // Rotated word labels need room under the cells.
  const labelRoom = stepLabels === undefined ? 0 : 44;
  const values = sliceExample(states, example);
  // Stored [T, H]; drawn with units as rows.
  const grid = new Float64Array(values.length);
  for (let t = 0; t < steps; t++) for (let h = 0; h < units; h++) grid[h * steps + t] = values[t * units + h] as number;
  const extent = options.colorExtent === undefined ? symmetricExtent(maxAbs(values)) : checkPositive(options.colorExtent, 'colorExtent', 1);
  const bad = describeNonFinite(values);
  return renderFigure(
    {
      width,
      title: options.title,
      subtitle: options.subtitle,
      view: 'hidden-states',
      rows: [
        [
          {
            key: 'hidden-states',
            title: `Hidden state over time (${exampleLabel(example, batch)})`,
            notes: [`${units} unit${units === 1 ? '' : 's'} × ${steps} timestep${steps === 1 ? '' : 's'}; each column is h(t) after reading timestep t`],
            warnings: bad ? [`${bad}: hatched cells`] : [],
            legend: { kind: 'ramp', label: 'activation h(t)', extent, scheme, missing: bad !== undefined },
            height: height + labelRoom,
            plot: (ctx, w) =>
              heatmapPlot(
                ctx,
                {
                  rows: units,
                  cols: steps,
                  values: grid,
                  xLabel: stepLabels === undefined ? 'timestep' : 'timestep (word read)',
                  yLabel: 'unit',
                  extent,
                  scheme,
                  height: height + labelRoom,
                  cellClass: 'viz-hidden-cell',
                  describe: (h, t, v) => `unit ${h}, timestep ${t}${stepLabels?.[t] ? ` (${stepLabels[t]})` : ''}: ${formatNumber(v)}`,
                  ...(stepLabels === undefined ? {} : { colLabels: stepLabels }),
                },
                w,
              ),
          },
        ],
      ],
    },
    document,
  );
}
