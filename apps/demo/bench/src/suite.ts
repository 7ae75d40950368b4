// The benchmark of one backend in one environment (a Node process or a browser page): for each cell and config,
// ours (fused kernels as registered, and with them off), tfjs-layers simpleRNN / lstm / gru + dense with the same
// weights (not for GRU resetAfter, which tfjs-layers refuses), and ONNX Runtime Web's wasm forward (and native
// ONNX Runtime's in Node) when asked; forward and one Adam training step.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs';
import {
  BasicRNN,
  GruSequence,
  GruSequenceGrad,
  LstmSequence,
  LstmSequenceGrad,
  RnnSequence,
  RnnSequenceGrad,
  getBackendInfo,
  layers as ourLayers,
  sequential,
  setBackend,
  setFusedKernelsEnabled,
  type BackendInfo,
} from '@basicrnn/core';
import { savedGateBytes } from '@basicrnn/backend-wasm';
import {
  CELL_LABELS,
  CONFIGS,
  FULL_PLAN,
  QUICK_PLAN,
  describeConfig,
  outOfTime,
  forwardFlops,
  trainFlops,
  type BenchCell,
  type BenchConfig,
  type ConfigName,
  type RunPlan,
} from './configs.js';
import { DispatchCounter, MatmulPeak, timeVariants, type MatmulResult, type Variant, type VariantResult } from './measure.js';
import { prepareOrt, type OrtModule, type OrtResult, type OrtTarget, type PreparedOrt } from './ort.js';

/** One config's results on one backend. */
export interface ConfigResult {
  cell: BenchCell;
  config: ConfigName;
  shape: string;
  forwardFlops: number;
  trainFlops: number;
  /** Largest |ours − tfjs-layers| over the forward output before timing (same weights); NaN without tfjs-layers. */
  layersMaxAbsDiff: number;
  /** Why tfjs-layers has no numbers for this cell (it cannot run the case). */
  layersNote?: string;
  forward: Record<string, VariantResult>;
  train: Record<string, VariantResult>;
  /** ONNX Runtime Web, wasm, one thread (only in the worker asked to run it). */
  ort?: OrtResult;
  /** Native ONNX Runtime (onnxruntime-node), cpu provider, one thread (only in the Node worker asked to run it). */
  ortNative?: OrtResult;
  /**
   * Why "fused off" has no training step: its forward got one cold run only (over 3× the plan's cold-only bound,
   * or past the worker's deadline), and its training step, about 3× as long, is a diagnostic not worth that time.
   */
  unfusedTrainSkipped?: string;
}

/** Everything one worker measured. */
export interface BackendReport {
  variant: string;
  backend: string;
  info: BackendInfo;
  /** Whether fused SimpleRNN kernels are registered for this backend (forward op, backward op). */
  fused: { forward: boolean; backward: boolean };
  /** The same for every cell's ops. */
  fusedByCell: Record<BenchCell, { forward: boolean; backward: boolean }>;
  matmul: MatmulResult;
  results: ConfigResult[];
  /** Environment details the worker can see (userAgent, WebGL renderer, thread count, …). */
  environment: Record<string, unknown>;
}

export interface SuiteOptions {
  variant: string;
  backend: 'cpu' | 'wasm' | 'webgl';
  configs: ConfigName[];
  /** Cells to run (each over every config); SimpleRNN only when absent. */
  cells?: BenchCell[];
  quick: boolean;
  /** Epoch ms after which every remaining variant gets a single cold run. */
  deadline?: number;
  ort?: OrtModule;
  /** onnxruntime-node (Node only), through the onnxruntime-common API it shares with onnxruntime-web. */
  ortNative?: OrtModule;
  log: (line: string) => void;
  environment?: Record<string, unknown>;
  /**
   * Called after each config with everything measured so far (matmul peak from the start-up runs only), so that a
   * worker stopped for time still hands back its finished rows.
   */
  onProgress?: (partial: BackendReport) => void;
  /** Runs once the backend is active, before anything is measured (e.g. to assert the thread count). */
  beforeConfigs?: () => void;
}

const SEED = 7;
const LEARNING_RATE = 1e-3;
const ADAM_EPSILON = 1e-7; // ours pins Keras's epsilon; tfjs-layers gets the same one explicitly

/** Runs the whole suite for one backend; the backend package must already be imported (and configured). */
export async function runSuite(options: SuiteOptions): Promise<BackendReport> {
  const { backend, log } = options;
  const plan: RunPlan = options.quick ? QUICK_PLAN : FULL_PLAN;
  await setBackend(backend);
  if (tfl.engine() !== tf.engine()) throw new Error('@tensorflow/tfjs and @tensorflow/tfjs-core resolved to two engines');
  setFusedKernelsEnabled(true);
  const info = getBackendInfo();
  const registered = (forward: string, backward: string) => ({
    forward: tf.getKernel(forward, backend) !== undefined,
    backward: tf.getKernel(backward, backend) !== undefined,
  });
  const fused = registered(RnnSequence, RnnSequenceGrad);
  const fusedByCell: Record<BenchCell, { forward: boolean; backward: boolean }> = {
    simpleRNN: fused,
    lstm: registered(LstmSequence, LstmSequenceGrad),
    gru: registered(GruSequence, GruSequenceGrad),
    gruResetAfter: registered(GruSequence, GruSequenceGrad),
  };
  const cells = options.cells ?? ['simpleRNN'];
  log(
    `${options.variant}: ${JSON.stringify(info)}; fused kernels (forward, backward): ${cells.map((cell) => `${CELL_LABELS[cell]} ${fusedByCell[cell].forward}, ${fusedByCell[cell].backward}`).join('; ')}`,
  );
  options.beforeConfigs?.();

  // tfjs's cpu backend runs a 1024² product at well under 1 GFLOP/s (seconds per run): 512² tells the same.
  const peak = new MatmulPeak(backend === 'cpu' ? 512 : 1024);
  await peak.measure(plan);

  // On wasm the LSTM/GRU forward of a training step keeps its gate values for the backward outside any tensor.
  const counter = new DispatchCounter(backend, backend === 'wasm' ? savedGateBytes : undefined);
  const results: ConfigResult[] = [];
  // Config by config, every cell of a config before the next (larger) one: when time runs out it is the largest
  // configs that fall back to cold runs, for every cell alike.
  for (const name of options.configs) {
    for (const cell of cells) {
      const late = options.deadline !== undefined && Date.now() > options.deadline;
      if (late) log(`${options.variant} ${CELL_LABELS[cell]} ${name}: this worker's share of the time budget is spent: one cold run per variant`);
      const hasFused = fusedByCell[cell].forward || fusedByCell[cell].backward;
      results.push(await runConfig(cell, CONFIGS[name], options, late ? outOfTime(plan) : plan, hasFused, counter));
      options.onProgress?.({ variant: options.variant, backend, info, fused, fusedByCell, matmul: peak.result(), results, environment: options.environment ?? {} });
    }
  }
  await peak.measure(plan);
  const matmul = peak.result();
  log(`${options.variant}: ${matmul.size}×${matmul.size} matMul ${matmul.gflops.toFixed(2)} GFLOP/s (fastest of ${matmul.samplesMs.length} runs, before and after the configs)`);
  return { variant: options.variant, backend, info, fused, fusedByCell, matmul, results, environment: options.environment ?? {} };
}

/** The parts of ours and of tfjs-layers' models the bench drives (BasicRNN and Sequential share them). */
interface OursModel {
  predict(x: tf.Tensor, options: { batchSize: number }): tf.Tensor;
  trainOnBatch(x: tf.Tensor, y: tf.Tensor): Promise<unknown>;
  getWeights(): tf.Tensor[];
  trainableVariables(): tf.Variable[];
  dispose(): void;
}

/**
 * Ours for a cell: SimpleRNN is the BasicRNN preset (as before LSTM and GRU were benched, so its rows compare);
 * the gated cells are `sequential([layers.lstm | layers.gru, layers.dense])` with sigmoid gates (Keras 3's
 * default; tfjs-layers gets the same explicitly), GRU in both `resetAfter` forms.
 */
function buildOurs(cell: BenchCell, c: BenchConfig): OursModel {
  const compile = { optimizer: 'adam', learningRate: LEARNING_RATE, loss: 'meanSquaredError' } as const;
  if (cell === 'simpleRNN') {
    const model = new BasicRNN({ hiddenSize: c.hiddenSize, outputSize: c.outputSize, seed: SEED });
    model.build([c.batch, c.steps, c.inputSize]);
    model.compile(compile);
    return model;
  }
  const recurrent =
    cell === 'lstm'
      ? ourLayers.lstm({ units: c.hiddenSize, recurrentActivation: 'sigmoid' })
      : ourLayers.gru({ units: c.hiddenSize, recurrentActivation: 'sigmoid', resetAfter: cell === 'gruResetAfter' });
  const model = sequential({ layers: [recurrent, ourLayers.dense({ units: c.outputSize })], seed: SEED });
  model.build([c.batch, c.steps, c.inputSize]);
  model.compile(compile);
  return model;
}

/** tfjs-layers' model for a cell, or null where tfjs-layers cannot run it (GRU resetAfter). */
function buildLayers(cell: BenchCell, c: BenchConfig): tfl.Sequential | null {
  // Zeros: setWeights replaces them at once (and tfjs-layers' orthogonal initializer is slow for large H).
  const common = { units: c.hiddenSize, activation: 'tanh' as const, inputShape: [c.steps, c.inputSize], kernelInitializer: 'zeros' as const, recurrentInitializer: 'zeros' as const };
  let recurrent: tfl.layers.Layer;
  switch (cell) {
    case 'simpleRNN':
      recurrent = tfl.layers.simpleRNN(common);
      break;
    case 'lstm':
      recurrent = tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid' });
      break;
    case 'gru':
      recurrent = tfl.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
      break;
    case 'gruResetAfter':
      return null; // "GRUCell does not support reset_after parameter set to true"
  }
  return tfl.sequential({ layers: [recurrent, tfl.layers.dense({ units: c.outputSize })] });
}

/** Why tfjs-layers has no row entries for a cell. */
const LAYERS_CANNOT_RUN = 'tfjs-layers cannot run GRU resetAfter: true (its GRUCell refuses reset_after)';

async function runConfig(
  cell: BenchCell,
  c: BenchConfig,
  options: SuiteOptions,
  plan: RunPlan,
  hasFused: boolean,
  counter: DispatchCounter,
): Promise<ConfigResult> {
  const { log } = options;
  const label = `${options.variant} ${CELL_LABELS[cell]} ${c.name}`;
  const x = tf.randomNormal([c.batch, c.steps, c.inputSize], 0, 1, 'float32', 11);
  const y = tf.randomNormal([c.batch, c.outputSize], 0, 1, 'float32', 12);
  const ours = buildOurs(cell, c);
  const layers = buildLayers(cell, c);
  const weights = ours.getWeights(); // Keras order, the order tfjs-layers uses too
  if (layers !== null) {
    layers.setWeights(weights);
    layers.compile({ optimizer: tfl.train.adam(LEARNING_RATE, 0.9, 0.999, ADAM_EPSILON), loss: 'meanSquaredError' });
  }

  const prepared: { key: 'ort' | 'ortNative'; ort: PreparedOrt }[] = [];
  try {
    const oursOut = ours.predict(x, { batchSize: c.batch });
    const oursData = await oursOut.data();
    let layersMaxAbsDiff = NaN;
    if (layers !== null) {
      const layersOut = layers.predict(x, { batchSize: c.batch }) as tf.Tensor;
      layersMaxAbsDiff = maxAbsDiff(oursData, await layersOut.data());
      layersOut.dispose();
    }
    const result: ConfigResult = {
      cell,
      config: c.name,
      shape: describeConfig(c),
      forwardFlops: forwardFlops(c, cell),
      trainFlops: trainFlops(c, cell),
      layersMaxAbsDiff,
      forward: {},
      train: {},
    };
    if (layers === null) result.layersNote = LAYERS_CANNOT_RUN;
    else if (!(layersMaxAbsDiff <= 1e-3)) log(`${label}: warning: tfjs-layers output differs from ours by ${layersMaxAbsDiff}`);
    const targets: { key: 'ort' | 'ortNative'; name: string; target: OrtTarget }[] = [];
    if (options.ort !== undefined) targets.push({ key: 'ort', name: 'ORT Web', target: { ort: options.ort, executionProvider: 'wasm' } });
    if (options.ortNative !== undefined) targets.push({ key: 'ortNative', name: 'native ORT', target: { ort: options.ortNative, executionProvider: 'cpu', intraOpNumThreads: 1 } });
    for (const { key, name, target } of targets) {
      const ort = await prepareOrt(target, c, cell, weights, x, oursData);
      prepared.push({ key, ort });
      result[key] = ort.result;
      log(`${label}: ${name} output ${ort.run ? 'matches' : 'does not match'} ours (max |ORT − ours| ${ort.result.maxAbsDiff?.toExponential(1) ?? 'n/a'})${ort.result.error ? `: ${ort.result.error}` : ''}`);
    }
    oursOut.dispose();

    const lastOurs = ours.trainableVariables().at(-1)!;
    const lastLayers = layers?.trainableWeights.at(-1);
    const forward = async (model: { predict: (x: tf.Tensor, o: { batchSize: number }) => tf.Tensor | tf.Tensor[] }) => {
      const out = model.predict(x, { batchSize: c.batch }) as tf.Tensor;
      await out.data();
      out.dispose();
    };
    // trainOnBatch resolves once the loss is read back; reading the last weight too waits for the optimizer's
    // update (queued after that read in ours, before it in tfjs-layers) so both are timed to the same point.
    const trainOurs = async () => {
      await ours.trainOnBatch(x, y);
      await lastOurs.data();
    };
    const unfused = (fn: () => Promise<void>) => async () => {
      setFusedKernelsEnabled(false);
      try {
        await fn();
      } finally {
        setFusedKernelsEnabled(true);
      }
    };

    const forwardVariants: Variant[] = [{ name: 'ours', run: () => forward(ours) }];
    if (layers !== null) forwardVariants.push({ name: 'layers', run: () => forward(layers) });
    if (hasFused) forwardVariants.push({ name: 'oursUnfused', run: unfused(() => forward(ours)) });
    for (const { key, ort } of prepared) if (ort.run) forwardVariants.push({ name: key, run: ort.run });
    result.forward = await timeVariants(forwardVariants, plan, counter);
    for (const { ort } of prepared) await ort.release();
    log(`${label} forward: ${line(result.forward)}`);
    for (const key of ['ort', 'ortNative'] as const) {
      const timed = result.forward[key];
      if (timed === undefined) continue;
      // ORT ran beside ours for the same load, but it is reported on its own (no tfjs dispatches or bytes).
      result[key]!.timing = timed.timing;
      result[key]!.coldOnly = timed.coldOnly;
      delete result.forward[key];
    }

    const trainVariants: Variant[] = [{ name: 'ours', run: trainOurs }];
    if (layers !== null) {
      trainVariants.push({
        name: 'layers',
        run: async () => {
          await layers.trainOnBatch(x, y);
          await lastLayers!.read().data();
        },
      });
    }
    // "fused off" (core's composite) is a diagnostic, not a peer. Where its forward alone was too slow for a second
    // run (tens of seconds for LSTM/GRU at Long in Chromium), its training step would cost ~3× that for one more
    // cold number and push the worker past its time budget: it is not run, and the table says so.
    const unfusedForward = result.forward.oursUnfused;
    if (hasFused && unfusedForward?.coldOnly === true) {
      result.unfusedTrainSkipped = `its forward took ${(unfusedForward.timing.medianMs / 1000).toFixed(1)} s (one cold run only)`;
    } else if (hasFused) {
      trainVariants.push({ name: 'oursUnfused', run: unfused(trainOurs) });
    }
    result.train = await timeVariants(trainVariants, plan, counter);
    log(`${label} train: ${line(result.train)}${result.unfusedTrainSkipped ? `; fused off not timed: ${result.unfusedTrainSkipped}` : ''}`);
    return result;
  } finally {
    for (const { ort } of prepared) await ort.release();
    tf.dispose([x, y, ...weights]);
    ours.dispose();
    layers?.dispose();
    layers?.optimizer?.dispose();
  }
}

function line(results: Record<string, VariantResult>): string {
  return Object.entries(results)
    .map(([name, r]) => `${name} ${r.timing.medianMs.toFixed(3)} ms (${r.coldOnly ? 'one cold run' : `n=${r.timing.samples}${r.timing.runsPerSample > 1 ? `×${r.timing.runsPerSample}` : ''}`}, ${r.dispatches.programs ?? r.dispatches.kernels} dispatches)`)
    .join(', ');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
