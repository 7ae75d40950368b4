import { VizDisposedError, VizEnvironmentError, VizValueError, describeValue } from './errors.js';
import { ensureFont, type FontSource } from './font.js';
import { MOUNT_OPTION_KEYS, checkKeys, checkViewArgs } from './options.js';
import {
  BACKEND_CHART_OPTION_KEYS,
  renderBackendChart,
  type BackendChartOptions,
  type BackendResult,
} from './views/backend-chart.js';
import { GRADIENT_FLOW_KEYS, renderGradientFlow, type GradientFlowData, type GradientFlowOptions } from './views/gradient-flow.js';
import { HIDDEN_STATES_KEYS, renderHiddenStates, type HiddenStatesData, type HiddenStatesOptions } from './views/hidden-states.js';
import { RNN_WORKING_KEYS, renderRnnWorking, type RnnWorkingData, type RnnWorkingOptions } from './views/rnn-working.js';
import {
  TRAINING_CURVES_OPTION_KEYS,
  renderTrainingCurves,
  type TrainingCurvesOptions,
  type TrainingHistory,
} from './views/training-curves.js';
import { WEIGHTS_KEYS, renderWeights, type WeightsData, type WeightsOptions } from './views/weights.js';

/** Options of every `plot…` function that mounts into the DOM. */
export interface MountOptions {
  /**
   * Where to load the shipped IBM Plex Sans from, or `false` to leave fonts to the page. By default the TTFs next
   * to the package are registered with `document.fonts` once, so the DOM looks like the PNGs made in Node.
   */
  readonly font?: FontSource;
}

/** A mounted plot. `update` redraws only this plot's SVG, in place; `dispose` removes it. */
export interface VizHandle<D> {
  /** The plot's current root `<svg>` (a new element after each `update`). */
  readonly element: SVGSVGElement;
  /** Resolves once the shipped font is loaded (or failed to load); await it before a screenshot. */
  readonly ready: Promise<void>;
  /**
   * Redraws with new data. Bad data throws (a {@link VizError}) and leaves the previous picture in place.
   * Throws {@link VizDisposedError} after `dispose()`.
   */
  update(data: D): void;
  /** Removes the plot from the page. Further `update` calls throw; calling `dispose` again does nothing. */
  dispose(): void;
}

function resolveTarget(target: Element | string, caller: string): Element {
  if (typeof target === 'string') {
    const doc = (globalThis as { document?: Document }).document;
    if (!doc) {
      throw new VizEnvironmentError(
        `${caller}: mounting needs a DOM document; in Node use the …Svg functions of '@basicrnn/viz/node'`,
      );
    }
    const found = doc.querySelector(target);
    if (!found) throw new VizValueError(`target: no element matches the selector ${JSON.stringify(target)}`);
    return found;
  }
  if (!target || typeof (target as Element).append !== 'function' || !(target as Element).ownerDocument) {
    throw new VizValueError(`target: expected a DOM element or a CSS selector, received ${describeValue(target)}`);
  }
  return target;
}

/** Splits a `plot…` function's options into the view's and the mount's own (`font`). */
function splitOptions<O extends MountOptions>(options: O): [Omit<O, 'font'>, MountOptions] {
  const { font, ...view } = options;
  return [view, font === undefined ? {} : { font }];
}

/** Mounts any `render(data, document)` into `target` behind a {@link VizHandle}. */
export function mount<D>(
  target: Element | string,
  data: D,
  render: (data: D, document: Document) => SVGSVGElement,
  caller: string,
  options: MountOptions = {},
): VizHandle<D> {
  const host = resolveTarget(target, caller);
  const document = host.ownerDocument;
  const draw = (d: D): SVGSVGElement => {
    const svg = render(d, document);
    // Shrink with a narrow container, keep the aspect ratio.
    svg.setAttribute('style', 'display: block; max-width: 100%; height: auto;');
    return svg;
  };
  let current = draw(data);
  host.append(current);
  let disposed = false;
  return {
    get element() {
      return current;
    },
    ready: ensureFont(document, options.font),
    update(next: D) {
      if (disposed) throw new VizDisposedError(`${caller}: update() after dispose(); mount a new plot instead`);
      const fresh = draw(next);
      if (current.parentNode) current.replaceWith(fresh);
      else host.append(fresh);
      current = fresh;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      current.remove();
    },
  };
}

/**
 * Mounts the seed's three panels for one example (input sequence, output, final state) into `target` and returns
 * a handle whose `update` redraws them in place, e.g. after every training epoch.
 *
 * @example
 * ```ts
 * import { plotRnnWorking } from '@basicrnn/viz';
 * const { output, state } = model.call(x);
 * const view = plotRnnWorking('#rnn', { input: x, output, state, example: 3 });
 * // later: view.update({ input: x, output: newOutput, state: newState, example: 3 });
 * ```
 */
export function plotRnnWorking(
  target: Element | string,
  data: RnnWorkingData,
  options: RnnWorkingOptions & MountOptions = {},
): VizHandle<RnnWorkingData> {
  checkViewArgs(RNN_WORKING_KEYS, data, options, 'plotRnnWorking', MOUNT_OPTION_KEYS);
  const [view, mountOptions] = splitOptions(options);
  return mount(target, data, (d, document) => renderRnnWorking(d, { ...view, document }), 'plotRnnWorking', mountOptions);
}

/**
 * Mounts a units × timesteps heatmap of the hidden state h(t) of one example.
 *
 * @example
 * ```ts
 * const { hiddenStates } = model.call(x, { returnHiddenStates: true });
 * plotHiddenStates(document.body, { hiddenStates, example: 0 });
 * ```
 */
export function plotHiddenStates(
  target: Element | string,
  data: HiddenStatesData,
  options: HiddenStatesOptions & MountOptions = {},
): VizHandle<HiddenStatesData> {
  checkViewArgs(HIDDEN_STATES_KEYS, data, options, 'plotHiddenStates', MOUNT_OPTION_KEYS);
  const [view, mountOptions] = splitOptions(options);
  return mount(target, data, (d, document) => renderHiddenStates(d, { ...view, document }), 'plotHiddenStates', mountOptions);
}

/**
 * Mounts heatmaps of the kernel W, the recurrent kernel U and the bias.
 *
 * @example
 * ```ts
 * const [kernel, recurrentKernel, bias] = model.getWeights();
 * plotWeights('#weights', { kernel, recurrentKernel, bias });
 * ```
 */
export function plotWeights(
  target: Element | string,
  data: WeightsData,
  options: WeightsOptions & MountOptions = {},
): VizHandle<WeightsData> {
  checkViewArgs(WEIGHTS_KEYS, data, options, 'plotWeights', MOUNT_OPTION_KEYS);
  const [view, mountOptions] = splitOptions(options);
  return mount(target, data, (d, document) => renderWeights(d, { ...view, document }), 'plotWeights', mountOptions);
}

/**
 * Mounts loss and metric curves; start empty and feed it from `fit` with {@link trainingCurvesCallback}, or pass
 * a History.
 *
 * @example
 * ```ts
 * const curves = plotTrainingCurves('#curves');
 * await model.fit(x, y, { epochs: 30, validationSplit: 0.2, callbacks: [trainingCurvesCallback(curves)] });
 * ```
 */
export function plotTrainingCurves(
  target: Element | string,
  data: TrainingHistory = { epoch: [], history: {} },
  options: TrainingCurvesOptions & MountOptions = {},
): VizHandle<TrainingHistory> {
  checkKeys(options, [...TRAINING_CURVES_OPTION_KEYS, ...MOUNT_OPTION_KEYS], 'plotTrainingCurves(target, data, options)');
  const [view, mountOptions] = splitOptions(options);
  return mount(target, data, (d, document) => renderTrainingCurves(d, { ...view, document }), 'plotTrainingCurves', mountOptions);
}

/**
 * Mounts the per-backend timing and parity chart of the demo.
 *
 * @example
 * ```ts
 * plotBackendChart('#backends', [{ backend: 'cpu', forwardMs: 40, maxAbsDiff: 0 }, { backend: 'wasm', forwardMs: 6, maxAbsDiff: 3e-7 }], { tolerance: 1e-5 });
 * ```
 */
export function plotBackendChart(
  target: Element | string,
  data: readonly BackendResult[],
  options: BackendChartOptions & MountOptions = {},
): VizHandle<readonly BackendResult[]> {
  checkKeys(options, [...BACKEND_CHART_OPTION_KEYS, ...MOUNT_OPTION_KEYS], 'plotBackendChart(target, data, options)');
  const [view, mountOptions] = splitOptions(options);
  return mount(target, data, (d, document) => renderBackendChart(d, { ...view, document }), 'plotBackendChart', mountOptions);
}

/**
 * Mounts the gradient-flow chart: |∂loss/∂h(t)| per timestep for several models, log scale.
 *
 * @example
 * ```ts
 * const handle = plotGradientFlow('#flow', { gradients: { SimpleRNN: gRnn, LSTM: gLstm } });
 * ```
 */
export function plotGradientFlow(
  target: Element | string,
  data: GradientFlowData,
  options: GradientFlowOptions & MountOptions = {},
): VizHandle<GradientFlowData> {
  checkViewArgs(GRADIENT_FLOW_KEYS, data, options, 'plotGradientFlow', MOUNT_OPTION_KEYS);
  const [view, mountOptions] = splitOptions(options);
  return mount(target, data, (d, document) => renderGradientFlow(d, { ...view, document }), 'plotGradientFlow', mountOptions);
}
