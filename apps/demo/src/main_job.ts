import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@basicrnn/backend-wasm';
import {
  BasicRNN,
  SeededRandom,
  getBackendInfo,
  setBackend,
  type Callback,
  type History,
  type LossName,
  type OptimizerName,
} from '@basicrnn/core';
import { hiddenStatesSvg, rnnWorkingSvg, svgToPng, trainingCurvesSvg, weightsSvg } from '@basicrnn/viz/node';
import { labelTensor, taskArrays, type TaskName } from './tasks/index.js';
import { htmlReport } from './report.js';

/** Everything the main job needs, as the CLI parsed and checked it. */
export interface MainJobOptions {
  task: TaskName;
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
  epochs: number;
  samples: number;
  seed: number;
  out: string;
}

/** Where the main job reports progress; the CLI binds it to a terminal or to plain lines. */
export interface Reporter {
  line(text: string): void;
  epochStart(epoch: number, epochs: number, batches: number): void;
  batch(batch: number): void;
  epochEnd(epoch: number, epochs: number, logs: Record<string, number>): void;
}

export const TASK_TITLES: Record<TaskName, string> = {
  sine: 'next-value forecasting of a noisy sine wave',
  marker: 'which marker (+2 or −2 on feature 0) appeared in the first half: memory across time',
  sentiment: 'sentiment of short reviews (one-hot words, negations included)',
};

function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}

/**
 * The seed's `main()`, and further: build the model, run a forward pass on example input and print the shapes,
 * compile, build, print the summary, train on the task, and write the plots and an HTML report.
 * Returns the files written.
 */
export async function runMainJob(o: MainJobOptions, report: Reporter): Promise<{ files: string[]; history: History; evaluation: number[] }> {
  await setBackend(o.backend);
  const info = getBackendInfo();
  const extras = [
    info.simd === undefined ? '' : info.simd ? 'SIMD' : 'no SIMD',
    info.threads === undefined ? '' : `${info.threads} thread${info.threads === 1 ? '' : 's'}`,
    info.fusedKernels ? 'fused kernels' : '',
  ].filter(Boolean);
  report.line(`Backend: ${info.name}${extras.length ? ` (${extras.join(', ')})` : ''}`);
  report.line(`Task: ${o.task} — ${TASK_TITLES[o.task]}`);

  const model = new BasicRNN({
    hiddenSize: o.hiddenSize,
    outputSize: o.outputSize,
    returnSequences: o.returnSequences,
    seed: o.seed,
  });

  // The seed: example input, forward pass, shapes.
  const rng = new SeededRandom(o.seed);
  const exampleValues = Float32Array.from({ length: o.batchSize * o.seqLength * o.inputSize }, () => rng.normal());
  const exampleInput = tf.tensor3d(exampleValues, [o.batchSize, o.seqLength, o.inputSize]);
  const { output, state } = model.call(exampleInput);
  report.line(`Output shape: ${shapeText(output.shape)}`);
  report.line(`State shape: ${shapeText(state.shape)}`);
  tf.dispose([exampleInput, output, state]);

  model.compile({ optimizer: o.optimizer, learningRate: o.learningRate, loss: o.loss, metrics: metricsFor(o.loss) });
  model.build([null, o.seqLength, o.inputSize]);
  const summary = model.summary({ printFn: (l) => report.line(l) });

  const data = taskArrays(o);
  const testCount = Math.max(1, Math.floor(o.samples * 0.2));
  const trainCount = o.samples - testCount;
  const xAll = tf.tensor3d(data.x, [o.samples, o.seqLength, o.inputSize]);
  const xTrain = tf.slice(xAll, [0, 0, 0], [trainCount, -1, -1]);
  const xTest = tf.slice(xAll, [trainCount, 0, 0], [testCount, -1, -1]);
  const yTrain = labelTensor(data, o.loss, 0, trainCount);
  const yTest = labelTensor(data, o.loss, trainCount, o.samples);
  xAll.dispose();

  const batches = Math.ceil(trainCount * 0.8 / o.batchSize);
  const progress: Callback = {
    onEpochBegin: (epoch) => report.epochStart(epoch, o.epochs, batches),
    onBatchEnd: (batch) => report.batch(batch),
    onEpochEnd: (epoch, logs) => report.epochEnd(epoch, o.epochs, logs),
  };
  report.line(`Training ${o.epochs} epoch${o.epochs === 1 ? '' : 's'} on ${trainCount} examples (20% of them held out for validation), batch size ${o.batchSize}`);
  const history = await model.fit(xTrain, yTrain, { epochs: o.epochs, batchSize: o.batchSize, validationSplit: 0.2, seed: o.seed, callbacks: progress });
  const evaluation = [await model.evaluate(xTest, yTest, { batchSize: o.batchSize })].flat();
  report.line(`Test (${testCount} unseen examples): ${formatLogs(evaluation, metricsFor(o.loss))}`);

  // The seed's plot, for the first few test examples, plus the hidden states over time and the weights.
  const shown = Math.min(testCount, 8);
  const xShown = tf.slice(xTest, [0, 0, 0], [shown, -1, -1]);
  const result = model.call(xShown, { returnHiddenStates: true });
  const [kernel, recurrentKernel] = model.getWeights();
  await mkdir(o.out, { recursive: true });
  const views: [string, string][] = [
    ['rnn-working', await rnnWorkingSvg({ input: xShown, output: result.output, state: result.state, example: 0 })],
    ['hidden-states', await hiddenStatesSvg({ hiddenStates: result.hiddenStates!, example: 0 })],
    ['training-curves', await trainingCurvesSvg(history)],
    ['weights', await weightsSvg({ kernel: kernel!, recurrentKernel: recurrentKernel! })],
  ];
  tf.dispose([xShown, result.output, result.state, result.hiddenStates!, kernel!, recurrentKernel!]);
  const files: string[] = [];
  for (const [name, svg] of views) {
    const svgPath = join(o.out, `${name}.svg`);
    const pngPath = join(o.out, `${name}.png`);
    await writeFile(svgPath, svg);
    await writeFile(pngPath, await svgToPng(svg));
    files.push(svgPath, pngPath);
  }
  const reportPath = join(o.out, 'report.html');
  await writeFile(reportPath, htmlReport({ options: o, backend: info, summary, history, evaluation, metrics: metricsFor(o.loss), views }));
  files.push(reportPath);
  tf.dispose([xTrain, xTest, yTrain, yTest]);
  model.dispose();
  return { files, history, evaluation };
}

/** Metrics that fit the loss: accuracy for classification, mean absolute error for regression. */
export function metricsFor(loss: LossName): ('accuracy' | 'mae')[] {
  return loss.endsWith('Crossentropy') ? ['accuracy'] : ['mae'];
}

export function formatLogs(values: readonly number[], metrics: readonly string[]): string {
  return ['loss', ...metrics].map((name, i) => `${name} ${values[i]!.toFixed(4)}`).join('  ');
}
