import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@basicrnn/backend-wasm';
import {
  BasicRNN,
  Embedding,
  RecurrentLayer,
  SeededRandom,
  Sequential,
  getBackendInfo,
  setBackend,
  type BackendInfo,
  type Callback,
  type History,
  type LossName,
  type OptimizerName,
} from '@basicrnn/core';
import '@basicrnn/core/node';
import { toOnnx } from '@basicrnn/onnx';
import { hiddenStatesSvg, rnnWorkingSvg, svgToPng, trainingCurvesSvg, weightsSvg } from '@basicrnn/viz/node';
import {
  SENTIMENT_EMBEDDING_SIZE,
  TASK_SPECS,
  VIEW_CAPTIONS,
  VOCABULARY,
  labelTensor,
  outputLabel,
  sentimentModel,
  taskArrays,
  type AnyTaskName,
  type ViewName,
} from './tasks/index.js';
// Node only (it renders with @basicrnn/viz/node), so not re-exported by tasks/index.ts, which the web worker imports.
import { longDependencyViews } from './tasks/long_dependency.js';
import { htmlReport } from './report.js';
import { saveModelTo } from './model_files.js';
import { forwardWithStates, statesRunTensors } from './forward_states.js';

/** Everything the main job needs, as the CLI parsed and checked it. */
export interface MainJobOptions {
  /** The task to train on, or null for the seed's `main()`: random normal input, no training. */
  task: AnyTaskName | null;
  /** The recurrent cell (one entry of {@link CELLS}). */
  cell: CellName;
  backend: 'cpu' | 'wasm';
  hiddenSize: number;
  outputSize: number;
  seqLength: number;
  inputSize: number;
  batchSize: number;
  returnSequences: boolean;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate: number;
  /** Whether the learning rate is the optimizer's default (said so in the output). */
  defaultLearningRate: boolean;
  /** 0: no training (the forward pass, the summary and the plots of the untrained model). */
  epochs: number;
  samples: number;
  seed: number;
  out: string;
  /** Save the model here after training (model.json, weights.bin, model.onnx), or null. */
  save: string | null;
  /** The model was loaded from here (the CLI's `--load`): no training; or null. */
  load: string | null;
}

/** Where the main job reports progress; the CLI binds it to a terminal or to plain lines. */
export interface Reporter {
  line(text: string): void;
  epochStart(epoch: number, epochs: number, batches: number): void;
  batch(batch: number): void;
  epochEnd(epoch: number, epochs: number, logs: Record<string, number>): void;
}

/** One line per task, from the task registry. */
export const TASK_TITLES = Object.fromEntries(Object.entries(TASK_SPECS).map(([name, spec]) => [name, spec.title])) as Record<AnyTaskName, string>;

/** What the main job needs of a model: BasicRNN's API, which the layers models share. */
export type MainJobModel = Pick<BasicRNN, 'compile' | 'build' | 'summary' | 'call' | 'fit' | 'evaluate' | 'getWeights' | 'dispose'>;

/** What a cell's entry of {@link CELLS} reads from the options. */
type CellModelOptions = Pick<MainJobOptions, 'hiddenSize' | 'outputSize' | 'returnSequences' | 'seed'>;

/** BasicRNN with the given cell (LSTM gates i, f, c, o with forget bias 1; GRU in Keras 3's resetAfter form). */
const basicRnnWith = (cell: 'simpleRNN' | 'lstm' | 'gru') => (o: CellModelOptions): BasicRNN =>
  new BasicRNN({ hiddenSize: o.hiddenSize, outputSize: o.outputSize, returnSequences: o.returnSequences, seed: o.seed, cell });

/** The recurrent cells the main job can build, keyed by the name `--cell` takes. A further cell is one entry here. */
export const CELLS = {
  simpleRNN: basicRnnWith('simpleRNN'),
  lstm: basicRnnWith('lstm'),
  gru: basicRnnWith('gru'),
} as const satisfies Record<string, (o: CellModelOptions) => MainJobModel>;
export type CellName = keyof typeof CELLS;
/** Every `--cell` choice. */
export const CELL_NAMES = Object.keys(CELLS) as CellName[];

/** "(32, 20, 10)" */
export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}

/** "wasm (SIMD, 1 thread, fused kernels)" */
export function backendText(info: BackendInfo): string {
  const extras = [
    info.simd === undefined ? '' : info.simd ? 'SIMD' : 'no SIMD',
    info.threads === undefined ? '' : `${info.threads} thread${info.threads === 1 ? '' : 's'}`,
    info.fusedKernels ? 'fused kernels' : '',
  ].filter(Boolean);
  return `${info.name}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** A view written as SVG and PNG: its file name, the SVG, and its heading and caption for the report. */
export interface WrittenView {
  name: ViewName;
  svg: string;
}

/**
 * The seed's `main()`, and further: random normal example input, build the model, compile, build, print the
 * summary, run the forward pass and print the input, output and state shapes; then (with a task and epochs ≥ 1)
 * train, evaluate on held-out examples, and write the plots and an HTML report. Returns what it wrote.
 */
export async function runMainJob(
  o: MainJobOptions,
  report: Reporter,
  loaded?: BasicRNN | Sequential,
): Promise<{ files: string[]; history: History | null; evaluation: number[] | null }> {
  // The sentiment task's model starts with an embedding that takes token ids [batch, steps] (0 = padding).
  const embedded = o.task === 'sentiment';
  const backend = o.backend;
  await setBackend(backend);
  const info = getBackendInfo();
  report.line(`Backend: ${backendText(info)}`);
  report.line(
    o.task === null
      ? "Seed main(): random normal input, compile, build, summary, forward pass, the seed's plot; no training"
      : `Task: ${o.task} — ${TASK_SPECS[o.task].title}`,
  );

  // The seed: example input from a standard normal, the model, compile, build, summary, forward pass, shapes.
  // (For the embedding model: random word ids, no padding.)
  const rng = new SeededRandom(o.seed);
  const exampleInput = embedded
    ? tf.tensor2d(Int32Array.from({ length: o.batchSize * o.seqLength }, () => 1 + rng.int(VOCABULARY.length - 1)), [o.batchSize, o.seqLength], 'int32')
    : tf.tensor3d(Float32Array.from({ length: o.batchSize * o.seqLength * o.inputSize }, () => rng.normal()), [o.batchSize, o.seqLength, o.inputSize]);
  const model: BasicRNN | Sequential = loaded ?? (embedded ? sentimentModel(o) : CELLS[o.cell](o));
  if (o.load !== null) report.line(`Loaded the model from ${o.load}: no training`);
  const metrics = metricsFor(o.loss);
  model.compile({ optimizer: o.optimizer, learningRate: o.learningRate, loss: o.loss, metrics });
  if (model instanceof Sequential) model.build([null, o.seqLength]);
  else model.build([null, o.seqLength, o.inputSize]);
  const summary = model.summary({ printFn: (l) => report.line(l) });
  const example = forwardWithStates(model, exampleInput);
  report.line(`Input shape: ${shapeText(exampleInput.shape)}${embedded ? ` (token ids; the embedding gives ${SENTIMENT_EMBEDDING_SIZE} features per word)` : ''}`);
  report.line(`Output shape: ${shapeText(example.output.shape)}`);
  report.line(`State shape: ${shapeText(example.state.shape)}`);

  let history: History | null = null;
  let evaluation: number[] | null = null;
  let comparison: WrittenView[] = [];
  let shown = example;
  const owned: tf.Tensor[] = [exampleInput, ...statesRunTensors(example)];

  if (o.task !== null) {
    const data = taskArrays({ ...o, task: o.task });
    const testCount = Math.max(1, Math.floor(o.samples * 0.2));
    const trainCount = o.samples - testCount;
    const xAll = embedded ? tf.tensor2d(data.ids!, [o.samples, o.seqLength], 'int32') : tf.tensor3d(data.x, [o.samples, o.seqLength, o.inputSize]);
    const xTrain = rows(xAll, 0, trainCount);
    const xTest = rows(xAll, trainCount, testCount);
    const yTrain = labelTensor(data, o.loss, 0, trainCount);
    const yTest = labelTensor(data, o.loss, trainCount, o.samples);
    xAll.dispose();
    owned.push(xTrain, xTest, yTrain, yTest);

    if (o.epochs > 0) {
      const batches = Math.ceil(Math.ceil(trainCount * 0.8) / o.batchSize);
      const progress: Callback = {
        onEpochBegin: (epoch) => report.epochStart(epoch, o.epochs, batches),
        onBatchEnd: (batch) => report.batch(batch),
        onEpochEnd: (epoch, logs) => report.epochEnd(epoch, o.epochs, logs),
      };
      const rate = `learning rate ${o.learningRate}${o.defaultLearningRate ? ', its default' : ''}`;
      report.line(
        `Training ${o.epochs} epoch${o.epochs === 1 ? '' : 's'} with ${o.optimizer} (${rate}) on ${trainCount} examples ` +
          `(20% of them held out for validation), batch size ${o.batchSize}`,
      );
      history = await model.fit(xTrain, yTrain, { epochs: o.epochs, batchSize: o.batchSize, validationSplit: 0.2, seed: o.seed, callbacks: progress });
    }
    evaluation = [await model.evaluate(xTest, yTest, { batchSize: o.batchSize })].flat();
    const which = o.load !== null ? ', loaded model' : o.epochs === 0 ? ', untrained model' : '';
    report.line(`Test (${testCount} unseen examples${which}): ${formatLogs(evaluation, metrics)}`);

    // After training the plots show held-out examples of the task rather than the random example input.
    const xShown = rows(xTest, 0, Math.min(testCount, 8));
    shown = forwardWithStates(model, xShown);
    owned.push(xShown, ...statesRunTensors(shown));
    if (o.task === 'adding' && model instanceof BasicRNN) {
      comparison = await longDependencyViews({ model, settings: o, xTrain: xTrain as tf.Tensor3D, yTrain, xTest: xTest as tf.Tensor3D, yTest, line: (text) => report.line(text) });
    }
  }

  const saved: string[] = [];
  if (o.save !== null) {
    try {
      saved.push(...(await saveModel(model, o.save)));
    } catch (e) {
      tf.dispose(owned);
      model.dispose();
      throw e;
    }
    report.line(`Saved the model to ${o.save} (model.json and its weights in the TF.js Layers format; model.onnx for ONNX Runtime)`);
  }

  // The recurrent layer's own W, U, b (after the embedding's table in a sequential model).
  const weights = model instanceof Sequential ? model.layers.find((l) => l instanceof RecurrentLayer)!.getWeights() : model.getWeights();
  const [kernel, recurrentKernel, bias] = weights;
  const views: WrittenView[] = [
    {
      name: 'rnn-working',
      svg: await rnnWorkingSvg({ input: shown.input, output: shown.output, state: shown.state, example: 0 }, { outputLabel: outputLabel(o.loss) }),
    },
    { name: 'hidden-states', svg: await hiddenStatesSvg({ hiddenStates: shown.hiddenStates, example: 0 }) },
  ];
  if (history !== null) views.push({ name: 'training-curves', svg: await trainingCurvesSvg(history) });
  // The weights view draws a SimpleRNN's W, U and b; a gated cell's are G blocks wide (its gates get their own view).
  if (o.cell === 'simpleRNN') views.push({ name: 'weights', svg: await weightsSvg({ kernel: kernel!, recurrentKernel: recurrentKernel!, bias }) });
  views.push(...comparison);
  tf.dispose([...owned, ...weights]);
  model.dispose();

  await mkdir(o.out, { recursive: true });
  const files: string[] = [];
  for (const { name, svg } of views) {
    const svgPath = join(o.out, `${name}.svg`);
    const pngPath = join(o.out, `${name}.png`);
    await writeFile(svgPath, svg);
    await writeFile(pngPath, await svgToPng(svg));
    files.push(svgPath, pngPath);
  }
  const reportPath = join(o.out, 'report.html');
  await writeFile(reportPath, htmlReport({ options: o, backend: info, summary, history, evaluation, metrics, views }));
  files.push(reportPath, ...saved);
  return { files, history, evaluation };
}

/**
 * Writes `model` to `dir` in the TF.js Layers format (`file://`: model.json + weights.bin, atomically) and
 * `model.onnx` beside it; returns the paths written.
 */
export async function saveModel(model: BasicRNN | Sequential, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await saveModelTo(model, pathToFileURL(dir).href);
  const onnxPath = join(dir, 'model.onnx');
  // Temp file + rename, as core's file handler does: a crash leaves the previous model.onnx whole.
  const tmp = `${onnxPath}.${process.pid}.tmp`;
  // An embedding with maskZero takes its mask from the data; ONNX takes each example's length as `sequence_lens`
  // (the sentiment ids are right-padded, so the count of non-zero ids).
  await writeFile(tmp, toOnnx(model, masked(model) ? { sequenceLengths: true } : {}));
  await rename(tmp, onnxPath);
  const shards = (await readdir(dir)).filter((f) => /^weights\..*\.bin$/.test(f)).sort();
  return [join(dir, 'model.json'), ...shards.map((f) => join(dir, f)), onnxPath];
}

/** Whether the model computes a mask from its input (an embedding with maskZero first). */
function masked(model: BasicRNN | Sequential): boolean {
  return model instanceof Sequential && model.layers[0] instanceof Embedding && model.layers[0].maskZero;
}

/** Examples [from, from + count) of a batch of any rank. */
function rows(x: tf.Tensor, from: number, count: number): tf.Tensor {
  return tf.slice(x, [from, ...x.shape.slice(1).map(() => 0)], [count, ...x.shape.slice(1).map(() => -1)]);
}

/** Metrics that fit the loss: accuracy for classification, mean absolute error for regression. */
export function metricsFor(loss: LossName): ('accuracy' | 'mae')[] {
  return loss.endsWith('Crossentropy') ? ['accuracy'] : ['mae'];
}

/** "loss 0.1234  mae 0.2345" */
export function formatLogs(values: readonly number[], metrics: readonly string[]): string {
  return ['loss', ...metrics].map((name, i) => `${name} ${values[i]!.toFixed(4)}`).join('  ');
}

export { VIEW_CAPTIONS };
