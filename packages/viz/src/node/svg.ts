import { checkKeys, checkViewArgs } from '../options.js';
import { BACKEND_CHART_OPTION_KEYS, renderBackendChart, type BackendChartOptions, type BackendResult } from '../views/backend-chart.js';
import { HIDDEN_STATES_KEYS, renderHiddenStates, type HiddenStatesData, type HiddenStatesOptions } from '../views/hidden-states.js';
import { RNN_WORKING_KEYS, renderRnnWorking, type RnnWorkingData, type RnnWorkingOptions } from '../views/rnn-working.js';
import {
  TRAINING_CURVES_OPTION_KEYS,
  renderTrainingCurves,
  type TrainingCurvesOptions,
  type TrainingHistory,
} from '../views/training-curves.js';
import { CELL_STATES_KEYS, renderCellStates, type CellStatesData, type CellStatesOptions } from '../views/cell-states.js';
import { GRADIENT_FLOW_KEYS, renderGradientFlow, type GradientFlowData, type GradientFlowOptions } from '../views/gradient-flow.js';
import { LSTM_GATES_KEYS, renderLstmGates, type LstmGatesData, type LstmGatesOptions } from '../views/lstm-gates.js';
import { WEIGHTS_KEYS, renderWeights, type WeightsData, type WeightsOptions } from '../views/weights.js';

type NodeOptions<O> = Omit<O, 'document'>;

/** A fresh, empty HTML document from linkedom to build SVGs in (loaded on first use). */
export async function createDocument(): Promise<Document> {
  const { parseHTML } = await import('linkedom');
  return parseHTML('<!doctype html><html><head></head><body></body></html>').document;
}

/** Serialises a figure's root `<svg>` as a complete, standalone SVG document (XML prolog and namespace included). */
export function serializeSvg(svg: Element): string {
  if (!svg.getAttribute('xmlns')) svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.outerHTML}\n`;
}

async function toSvg<D, O>(render: (data: D, options: O & { document: Document }) => Element, data: D, options: O): Promise<string> {
  const document = await createDocument();
  return serializeSvg(render(data, { ...options, document }));
}

/**
 * The seed's three panels for one example (input sequence, output, final state) as a complete SVG document.
 *
 * @example
 * ```ts
 * const { output, state } = model.call(x);
 * await writeFile('rnn.svg', await rnnWorkingSvg({ input: x, output, state, example: 3 }));
 * ```
 */
export async function rnnWorkingSvg(data: RnnWorkingData, options: NodeOptions<RnnWorkingOptions> = {}): Promise<string> {
  checkViewArgs(RNN_WORKING_KEYS, data, options, 'rnnWorkingSvg');
  return toSvg(renderRnnWorking, data, options);
}

/**
 * The hidden state over time of one example (units × timesteps heatmap) as a complete SVG document.
 *
 * @example
 * ```ts
 * const { hiddenStates } = model.call(x, { returnHiddenStates: true });
 * await writeFile('hidden.svg', await hiddenStatesSvg({ hiddenStates }));
 * ```
 */
export async function hiddenStatesSvg(data: HiddenStatesData, options: NodeOptions<HiddenStatesOptions> = {}): Promise<string> {
  checkViewArgs(HIDDEN_STATES_KEYS, data, options, 'hiddenStatesSvg');
  return toSvg(renderHiddenStates, data, options);
}

/**
 * The kernel W, recurrent kernel U and bias as heatmaps, in a complete SVG document.
 *
 * @example
 * ```ts
 * const [kernel, recurrentKernel, bias] = model.getWeights();
 * await writeFile('weights.svg', await weightsSvg({ kernel, recurrentKernel, bias }));
 * ```
 */
export async function weightsSvg(data: WeightsData, options: NodeOptions<WeightsOptions> = {}): Promise<string> {
  checkViewArgs(WEIGHTS_KEYS, data, options, 'weightsSvg');
  return toSvg(renderWeights, data, options);
}

/**
 * Loss and metric curves per epoch from a History, as a complete SVG document.
 *
 * @example
 * ```ts
 * const history = await model.fit(x, y, { epochs: 20, validationSplit: 0.2 });
 * await writeFile('training.svg', await trainingCurvesSvg(history));
 * ```
 */
export async function trainingCurvesSvg(data: TrainingHistory, options: NodeOptions<TrainingCurvesOptions> = {}): Promise<string> {
  checkKeys(options, TRAINING_CURVES_OPTION_KEYS, 'trainingCurvesSvg(data, options)');
  return toSvg(renderTrainingCurves, data, options);
}

/**
 * The per-backend timing and parity chart, as a complete SVG document.
 *
 * @example
 * ```ts
 * await writeFile('backends.svg', await backendChartSvg(results, { tolerance: 1e-5 }));
 * ```
 */
export async function backendChartSvg(
  data: readonly BackendResult[],
  options: NodeOptions<BackendChartOptions> = {},
): Promise<string> {
  checkKeys(options, BACKEND_CHART_OPTION_KEYS, 'backendChartSvg(data, options)');
  return toSvg(renderBackendChart, data, options);
}

/**
 * |∂loss/∂h(t)| per timestep for several models on one log-scale chart, as a complete SVG document.
 *
 * @example
 * ```ts
 * await writeFile('gradient-flow.svg', await gradientFlowSvg({ gradients: { SimpleRNN: gRnn, LSTM: gLstm } }));
 * ```
 */
export async function gradientFlowSvg(data: GradientFlowData, options: NodeOptions<GradientFlowOptions> = {}): Promise<string> {
  checkViewArgs(GRADIENT_FLOW_KEYS, data, options, 'gradientFlowSvg');
  return toSvg(renderGradientFlow, data, options);
}

/**
 * An LSTM's cell state c(t) over time, one line per unit, as a complete SVG document.
 *
 * @example
 * ```ts
 * await writeFile('cell-states.svg', await cellStatesSvg({ cellStates }, { markSteps: [12, 71] }));
 * ```
 */
export async function cellStatesSvg(data: CellStatesData, options: NodeOptions<CellStatesOptions> = {}): Promise<string> {
  checkViewArgs(CELL_STATES_KEYS, data, options, 'cellStatesSvg');
  return toSvg(renderCellStates, data, options);
}

/**
 * An LSTM's input, forget, candidate and output gates over time (units × timesteps heatmaps), as a complete SVG
 * document.
 *
 * @example
 * ```ts
 * await writeFile('lstm-gates.svg', await lstmGatesSvg(lstmGates(inputs, attrs)));
 * ```
 */
export async function lstmGatesSvg(data: LstmGatesData, options: NodeOptions<LstmGatesOptions> = {}): Promise<string> {
  checkViewArgs(LSTM_GATES_KEYS, data, options, 'lstmGatesSvg');
  return toSvg(renderLstmGates, data, options);
}
