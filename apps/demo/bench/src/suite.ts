// The benchmark of one backend in one environment (a Node process or a browser page): for each config, ours
// (fused kernels as registered, and with them off), tfjs-layers simpleRNN + dense with the same weights, and
// ONNX Runtime Web's wasm forward when asked; forward and one Adam training step.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs';
import {
  BasicRNN,
  RnnSequence,
  RnnSequenceGrad,
  getBackendInfo,
  setBackend,
  setFusedKernelsEnabled,
  type BackendInfo,
} from '@basicrnn/core';
import { CONFIGS, FULL_PLAN, QUICK_PLAN, describeConfig, outOfTime, forwardFlops, trainFlops, type BenchConfig, type ConfigName, type RunPlan } from './configs.js';
import { DispatchCounter, MatmulPeak, timeVariants, type MatmulResult, type VariantResult } from './measure.js';
import { prepareOrt, type OrtModule, type OrtResult, type PreparedOrt } from './ort.js';

/** One config's results on one backend. */
export interface ConfigResult {
  config: ConfigName;
  shape: string;
  forwardFlops: number;
  trainFlops: number;
  /** Largest |ours − tfjs-layers| over the forward output before timing (same weights). */
  layersMaxAbsDiff: number;
  forward: Record<string, VariantResult>;
  train: Record<string, VariantResult>;
  /** ONNX Runtime Web, wasm, one thread (only in the worker asked to run it). */
  ort?: OrtResult;
}

/** Everything one worker measured. */
export interface BackendReport {
  variant: string;
  backend: string;
  info: BackendInfo;
  /** Whether fused kernels are registered for this backend (forward op, backward op). */
  fused: { forward: boolean; backward: boolean };
  matmul: MatmulResult;
  results: ConfigResult[];
  /** Environment details the worker can see (userAgent, WebGL renderer, thread count, …). */
  environment: Record<string, unknown>;
}

export interface SuiteOptions {
  variant: string;
  backend: 'cpu' | 'wasm' | 'webgl';
  configs: ConfigName[];
  quick: boolean;
  /** Epoch ms after which every remaining variant gets a single cold run. */
  deadline?: number;
  ort?: OrtModule;
  log: (line: string) => void;
  environment?: Record<string, unknown>;
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
  const fused = {
    forward: tf.getKernel(RnnSequence, backend) !== undefined,
    backward: tf.getKernel(RnnSequenceGrad, backend) !== undefined,
  };
  log(`${options.variant}: ${JSON.stringify(info)}; fused kernels: forward ${fused.forward}, backward ${fused.backward}`);
  options.beforeConfigs?.();

  // tfjs's cpu backend runs a 1024² product at well under 1 GFLOP/s (seconds per run): 512² tells the same.
  const peak = new MatmulPeak(backend === 'cpu' ? 512 : 1024);
  await peak.measure(plan);

  const counter = new DispatchCounter(backend);
  const results: ConfigResult[] = [];
  for (const name of options.configs) {
    const late = options.deadline !== undefined && Date.now() > options.deadline;
    if (late) log(`${options.variant} ${name}: this worker's share of the time budget is spent: one cold run per variant`);
    results.push(await runConfig(CONFIGS[name], options, late ? outOfTime(plan) : plan, fused.forward || fused.backward, counter));
  }
  await peak.measure(plan);
  const matmul = peak.result();
  log(`${options.variant}: ${matmul.size}×${matmul.size} matMul ${matmul.gflops.toFixed(2)} GFLOP/s (fastest of ${matmul.samplesMs.length} runs, before and after the configs)`);
  return { variant: options.variant, backend, info, fused, matmul, results, environment: options.environment ?? {} };
}

async function runConfig(
  c: BenchConfig,
  options: SuiteOptions,
  plan: RunPlan,
  hasFused: boolean,
  counter: DispatchCounter,
): Promise<ConfigResult> {
  const { log } = options;
  const x = tf.randomNormal([c.batch, c.steps, c.inputSize], 0, 1, 'float32', 11);
  const y = tf.randomNormal([c.batch, c.outputSize], 0, 1, 'float32', 12);
  const ours = new BasicRNN({ hiddenSize: c.hiddenSize, outputSize: c.outputSize, seed: SEED });
  ours.build([c.batch, c.steps, c.inputSize]);
  ours.compile({ optimizer: 'adam', learningRate: LEARNING_RATE, loss: 'meanSquaredError' });

  const layers = tfl.sequential({
    layers: [
      // Zeros: setWeights replaces them at once (and tfjs-layers' orthogonal initializer is slow for large H).
      tfl.layers.simpleRNN({
        units: c.hiddenSize,
        activation: 'tanh',
        inputShape: [c.steps, c.inputSize],
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
      }),
      tfl.layers.dense({ units: c.outputSize }),
    ],
  });
  const weights = ours.getWeights(); // Keras order, the order tfjs-layers uses too
  layers.setWeights(weights);
  layers.compile({ optimizer: tfl.train.adam(LEARNING_RATE, 0.9, 0.999, ADAM_EPSILON), loss: 'meanSquaredError' });

  let ort: PreparedOrt | undefined;
  try {
    const oursOut = ours.predict(x, { batchSize: c.batch });
    const layersOut = layers.predict(x, { batchSize: c.batch }) as tf.Tensor;
    const layersMaxAbsDiff = maxAbsDiff(await oursOut.data(), await layersOut.data());
    const result: ConfigResult = {
      config: c.name,
      shape: describeConfig(c),
      forwardFlops: forwardFlops(c),
      trainFlops: trainFlops(c),
      layersMaxAbsDiff,
      forward: {},
      train: {},
    };
    if (!(layersMaxAbsDiff <= 1e-3)) log(`${options.variant} ${c.name}: warning: tfjs-layers output differs from ours by ${layersMaxAbsDiff}`);
    if (options.ort !== undefined) {
      ort = await prepareOrt(options.ort, c, weights, x, await oursOut.data());
      result.ort = ort.result;
      log(`${options.variant} ${c.name}: ORT output ${ort.run ? 'matches' : 'does not match'} ours (max |ORT − ours| ${ort.result.maxAbsDiff?.toExponential(1) ?? 'n/a'})${ort.result.error ? `: ${ort.result.error}` : ''}`);
    }
    tf.dispose([oursOut, layersOut]);

    const lastOurs = ours.trainableVariables().at(-1)!;
    const lastLayers = layers.trainableWeights.at(-1)!;
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
    const trainLayers = async () => {
      await layers.trainOnBatch(x, y);
      await lastLayers.read().data();
    };
    const unfused = (fn: () => Promise<void>) => async () => {
      setFusedKernelsEnabled(false);
      try {
        await fn();
      } finally {
        setFusedKernelsEnabled(true);
      }
    };

    const forwardVariants = [
      { name: 'ours', run: () => forward(ours) },
      { name: 'layers', run: () => forward(layers) },
    ];
    if (hasFused) forwardVariants.push({ name: 'oursUnfused', run: unfused(() => forward(ours)) });
    if (ort?.run) forwardVariants.push({ name: 'ort', run: ort.run });
    result.forward = await timeVariants(forwardVariants, plan, counter);
    await ort?.release();
    log(`${options.variant} ${c.name} forward: ${line(result.forward)}`);
    if (result.forward.ort !== undefined) {
      // ORT ran beside ours for the same load, but it is reported on its own (no tfjs dispatches or bytes).
      result.ort!.timing = result.forward.ort.timing;
      result.ort!.coldOnly = result.forward.ort.coldOnly;
      delete result.forward.ort;
    }

    const trainVariants = [
      { name: 'ours', run: trainOurs },
      { name: 'layers', run: trainLayers },
    ];
    if (hasFused) trainVariants.push({ name: 'oursUnfused', run: unfused(trainOurs) });
    result.train = await timeVariants(trainVariants, plan, counter);
    log(`${options.variant} ${c.name} train: ${line(result.train)}`);
    return result;
  } finally {
    await ort?.release();
    tf.dispose([x, y, ...weights]);
    ours.dispose();
    layers.dispose();
    layers.optimizer?.dispose();
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
