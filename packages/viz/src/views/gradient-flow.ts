import { linePlot, type LineSeries } from '../charts.js';
import { expectNonEmpty, expectRank, toGrid, type ArrayInput, type Grid } from '../data.js';
import { VizShapeError, VizValueError, describeValue } from '../errors.js';
import { renderFigure, resolveDocument } from '../figure.js';
import { VIEW_OPTION_KEYS, checkViewArgs, type ViewKeys } from '../options.js';
import { formatDigits, seriesStyle } from '../theme.js';
import { checkChoice, checkPositive, checkWidth, type ViewOptions } from './common.js';

/**
 * ∂loss/∂h_t of one or more models on the same batch, keyed by the label each line gets (`{ SimpleRNN: g1, LSTM:
 * g2 }`): core's `hiddenStateGradients(...)` returns exactly this `[batch, timesteps, units]` tensor.
 */
export interface GradientFlowData {
  /** Label → `[batch, timesteps, units]` gradients, in the order the lines are drawn. */
  readonly gradients: Readonly<Record<string, ArrayInput>>;
}

/** How to draw {@link GradientFlowData}. */
export interface GradientFlowOptions extends ViewOptions {
  /** Scale of the gradient axis (default `'log'`: vanishing is exponential, so it reads as a straight slope). */
  readonly scale?: 'linear' | 'log';
  /** Height of the plot in pixels (default 300). */
  readonly height?: number;
}

/** Keys of {@link GradientFlowData} and {@link GradientFlowOptions}. */
export const GRADIENT_FLOW_KEYS: ViewKeys = {
  data: ['gradients'],
  options: [...VIEW_OPTION_KEYS, 'scale', 'height'],
};

/** One line of the chart: its label and the batch-mean norm at every timestep. */
export interface GradientNorms {
  readonly label: string;
  /** mean over the batch of ‖∂loss/∂h_t‖₂, one value per timestep */
  readonly norms: Float64Array;
  /** examples averaged */
  readonly batch: number;
}

/**
 * Validates the gradients (every entry rank 3, non-empty, all with the same number of timesteps) and reduces each
 * to the batch mean of the L2 norm over units at every timestep.
 */
export function gradientNorms(data: GradientFlowData): GradientNorms[] {
  const gradients = data?.gradients;
  if (gradients === null || typeof gradients !== 'object' || Array.isArray(gradients)) {
    throw new VizValueError(`gradients: expected an object { label: [batch, timesteps, units] gradients }, received ${describeValue(gradients)}`);
  }
  const labels = Object.keys(gradients);
  if (labels.length === 0) throw new VizValueError('gradients: expected at least one entry, received an empty object');
  let steps: number | undefined;
  let first = '';
  return labels.map((label) => {
    const grid: Grid = toGrid(gradients[label], `gradients.${label}`);
    expectRank(grid, [3], '[batch, timesteps, units]');
    expectNonEmpty(grid, ['batch', 'timesteps', 'units']);
    const [batch, t, units] = grid.shape as [number, number, number];
    if (steps === undefined) [steps, first] = [t, label];
    else if (t !== steps) {
      throw new VizShapeError(`gradients.${label}: ${t} timesteps do not match gradients.${first}'s ${steps} (every model must see the same sequences)`);
    }
    const norms = new Float64Array(t);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < t; s++) {
        let sum = 0;
        const base = (b * t + s) * units;
        for (let u = 0; u < units; u++) sum += (grid.values[base + u] as number) ** 2;
        norms[s]! += Math.sqrt(sum) / batch;
      }
    }
    return { label, norms, batch };
  });
}

/**
 * Builds the gradient-flow chart as a standalone SVG element: for every model, the size of ∂loss/∂h_t (batch mean
 * of its L2 norm) at every timestep t, on a log axis by default. With the loss on the last output, the gradient
 * enters at the last step and flows back in time: a SimpleRNN's shrinks by a roughly constant factor per step
 * (vanishing gradients, a straight falling line on the log axis), an LSTM's cell state carries it back almost
 * undiminished. A note per line gives the ratio first step / last step.
 *
 * @example
 * ```ts
 * const gradients = { SimpleRNN: hiddenStateGradients(rnnInputs, rnnAttrs, { dh }), LSTM: hiddenStateGradients(lstmInputs, lstmAttrs, { dh }) };
 * document.body.append(renderGradientFlow({ gradients }));
 * ```
 */
export function renderGradientFlow(data: GradientFlowData, options: GradientFlowOptions = {}): SVGSVGElement {
  checkViewArgs(GRADIENT_FLOW_KEYS, data, options, 'renderGradientFlow');
  const document = resolveDocument(options.document, 'renderGradientFlow');
  const lines = gradientNorms(data);
  const width = checkWidth(options.width, 760);
  const height = Math.round(checkPositive(options.height, 'height', 300, 120));
  const scale = checkChoice(options.scale, 'scale', ['linear', 'log'], 'log');
  const steps = lines[0]!.norms.length;
  const x = Array.from({ length: steps }, (_, t) => t);
  const series: LineSeries[] = lines.map(({ label, norms }, i) => ({
    label,
    x,
    y: norms,
    ...seriesStyle(i),
    className: `viz-gradient-${label.replace(/[^\w-]/g, '_')}`,
  }));
  const notes = lines.map(({ label, norms }) => {
    const last = norms[steps - 1]!;
    const ratio = norms[0]! / last;
    return `${label}: |∂L/∂h| at step 0 is ${Number.isFinite(ratio) ? formatDigits(ratio, 2) : 'undefined'} × its value at step ${steps - 1}`;
  });
  const warnings: string[] = [];
  for (const { label, norms } of lines) {
    const bad = norms.filter((v) => !Number.isFinite(v) || (scale === 'log' && v <= 0)).length;
    if (bad > 0) warnings.push(`${label}: ${bad} step${bad === 1 ? '' : 's'} ${scale === 'log' ? 'zero, NaN or infinite' : 'NaN or infinite'}: gaps in the line`);
  }
  return renderFigure(
    {
      width,
      title: options.title ?? 'Gradient flow back through time',
      subtitle: options.subtitle,
      view: 'gradient-flow',
      rows: [
        [
          {
            key: 'gradient-flow',
            title: `|∂loss/∂h(t)| per timestep (mean over ${describeBatch(lines)})`,
            notes,
            warnings,
            legend: { kind: 'swatches', items: series.map((s) => ({ label: s.label, color: s.color, dash: s.dash, shape: 'line' as const })) },
            height,
            plot: (ctx, w) =>
              linePlot(
                ctx,
                { series, xLabel: 'timestep t', yLabel: '|∂loss/∂h(t)|', xDomain: [0, Math.max(0, steps - 1)], height, yType: scale, dots: steps <= 60 },
                w,
              ),
          },
        ],
      ],
    },
    document,
  );
}

function describeBatch(lines: readonly GradientNorms[]): string {
  const sizes = [...new Set(lines.map((l) => l.batch))];
  return sizes.length === 1 ? `${sizes[0]} example${sizes[0] === 1 ? '' : 's'}` : 'each batch';
}
