import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  BasicRNN,
  BasicRNNError,
  ConfigError,
  DEFAULT_ALLOCATION_LIMIT_BYTES,
  DTypeError,
  DisposedError,
  ResourceLimitError,
  ShapeError,
  UnknownOptionError,
  WeightsError,
  earlyStopping,
  getAllocationLimit,
  registerBackendBinding,
  setAllocationLimit,
} from './index.js';

/**
 * One bad call of a public entry point: it must throw (or reject with) `type`, with a message matching `pattern`,
 * leave `tf.memory().numTensors` as it was, and pass `after` (nothing changed).
 */
interface Case {
  name: string;
  call: (m: BasicRNN) => unknown;
  type: abstract new (...args: never[]) => Error;
  pattern: RegExp;
  /** The option an UnknownOptionError names, and its suggestion. */
  unknown?: [string, string];
  compiled?: boolean;
  built?: boolean;
  after?: (m: BasicRNN) => void;
}

const tally = { cases: 0, typed: 0, leaks: 0 };
afterAll(() => {
  // The closing note of issue 12 quotes these numbers.
  console.log(`reliability catalogue: ${tally.cases} cases, ${tally.typed} typed, ${tally.leaks} leaks`);
});

async function runCase(c: Case): Promise<void> {
  const model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 5 });
  if (c.built !== false) model.build([null, null, 3]);
  if (c.compiled) model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const weights = model.isBuilt ? model.getWeights() : [];
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    await c.call(model);
  } catch (e) {
    caught = e;
  }
  const leaked = tf.memory().numTensors - before;
  tally.cases++;
  if (caught instanceof BasicRNNError) tally.typed++;
  if (leaked !== 0) tally.leaks++;
  expect(caught, `${c.name}: expected a ${c.type.name}`).toBeInstanceOf(c.type);
  expect(caught).toBeInstanceOf(BasicRNNError);
  expect((caught as Error).message).toMatch(c.pattern);
  expect(leaked, `${c.name}: leaked tensors`).toBe(0);
  if (c.unknown) {
    expect((caught as UnknownOptionError).option).toBe(c.unknown[0]);
    expect((caught as UnknownOptionError).suggestion).toBe(c.unknown[1]);
  }
  if (c.built === false) expect(model.isBuilt, `${c.name}: a rejected call must not build the model`).toBe(false);
  if (weights.length > 0) {
    const now = model.getWeights();
    now.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(weights[i]!.dataSync())));
    tf.dispose(now);
  }
  c.after?.(model);
  tf.dispose(weights);
  model.dispose();
}

// Inputs shared by the cases (created once; the cases must not dispose them).
const x = tf.zeros([2, 5, 3]);
const y = tf.zeros([2, 1]);
const empty = tf.zeros([0, 5, 3]);
const noSteps = tf.zeros([2, 0, 3]);
const disposed = tf.zeros([2, 5, 3]);
disposed.dispose();
const disposedY = tf.zeros([2, 1]);
disposedY.dispose();
const h0 = tf.zeros([2, 4]);
const emptyY = tf.zeros([0, 1]);
const int32X = tf.zeros([2, 5, 3], 'int32');
const stringMask = tf.tensor2d([['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e']]);
const stringY = tf.tensor2d([['a'], ['b']]);
afterAll(() => tf.dispose([x, y, empty, noSteps, h0, emptyY, int32X, stringMask, stringY]));

const sgd = { optimizer: 'sgd', loss: 'meanSquaredError' } as const;

const misspelt: Case[] = [
  { name: 'BasicRNN config', call: () => new BasicRNN({ hiddenSize: 4, outputSize: 1, returnSequence: true } as never), type: UnknownOptionError, pattern: /^BasicRNN\(config\): unknown option "returnSequence"; did you mean "returnSequences"\?/, unknown: ['returnSequence', 'returnSequences'] },
  { name: 'BasicRNN config, snake case', call: () => new BasicRNN({ hiddenSize: 4, outputSize: 1, go_backwards: true } as never), type: UnknownOptionError, pattern: /did you mean "goBackwards"/, unknown: ['go_backwards', 'goBackwards'] },
  { name: 'call options', call: (m) => m.call(x, { initalState: h0 } as never), type: UnknownOptionError, pattern: /^call\(x, options\): unknown option "initalState"; did you mean "initialState"\?/, unknown: ['initalState', 'initialState'], built: false },
  { name: 'call returnHiddenState', call: (m) => m.call(x, { returnHiddenState: true } as never), type: UnknownOptionError, pattern: /did you mean "returnHiddenStates"/, unknown: ['returnHiddenState', 'returnHiddenStates'] },
  { name: 'predict options', call: (m) => m.predict(x, { batchsize: 1 } as never), type: UnknownOptionError, pattern: /^predict\(x, options\): unknown option "batchsize"; did you mean "batchSize"\?/, unknown: ['batchsize', 'batchSize'], built: false },
  { name: 'summary options', call: (m) => m.summary({ printfn: () => {} } as never), type: UnknownOptionError, pattern: /^summary\(options\): unknown option "printfn"; did you mean "printFn"\?/, unknown: ['printfn', 'printFn'] },
  { name: 'compile config', call: (m) => m.compile({ ...sgd, metric: ['mae'] } as never), type: UnknownOptionError, pattern: /^compile\(config\): unknown option "metric"; did you mean "metrics"\?/, unknown: ['metric', 'metrics'] },
  { name: 'compile optimiser', call: (m) => m.compile({ optimiser: 'adam', loss: 'huber' } as never), type: UnknownOptionError, pattern: /did you mean "optimizer"/, unknown: ['optimiser', 'optimizer'] },
  { name: 'fit epoch', call: (m) => m.fit(x, y, { epoch: 3 } as never), type: UnknownOptionError, pattern: /^fit\(x, y, options\): unknown option "epoch"; did you mean "epochs"\?/, unknown: ['epoch', 'epochs'], compiled: true, built: false },
  { name: 'fit validation_split', call: (m) => m.fit(x, y, { validation_split: 0.5 } as never), type: UnknownOptionError, pattern: /did you mean "validationSplit"/, unknown: ['validation_split', 'validationSplit'], compiled: true },
  { name: 'fit callback hook', call: (m) => m.fit(x, y, { callbacks: [{ onTrainBegin() {}, onEpochEnds() {} }] as never }), type: UnknownOptionError, pattern: /callbacks\[0\]: unknown hook "onEpochEnds"; did you mean "onEpochEnd"\?/, unknown: ['onEpochEnds', 'onEpochEnd'], compiled: true },
  { name: 'evaluate options', call: (m) => m.evaluate(x, y, { batch_size: 1 } as never), type: UnknownOptionError, pattern: /^evaluate\(x, y, options\): unknown option "batch_size"; did you mean "batchSize"\?/, unknown: ['batch_size', 'batchSize'], compiled: true },
  { name: 'earlyStopping options', call: () => earlyStopping({ patiance: 3 } as never), type: UnknownOptionError, pattern: /^earlyStopping\(options\): unknown option "patiance"; did you mean "patience"\?/, unknown: ['patiance', 'patience'] },
  { name: 'registerBackendBinding', call: () => registerBackendBinding({ name: 'nope', prepar() {} } as never), type: UnknownOptionError, pattern: /^registerBackendBinding\(binding\): unknown option "prepar"; did you mean "prepare"\?/, unknown: ['prepar', 'prepare'] },
];

const badValues: Case[] = [
  { name: 'options not an object', call: (m) => m.call(x, null as never), type: ConfigError, pattern: /^call\(x, options\): expected an options object, received null/ },
  { name: 'a tensor as predict options', call: (m) => m.predict(x, x as never), type: ConfigError, pattern: /expected an options object, received float32 tensor/ },
  { name: 'config missing hiddenSize', call: () => new BasicRNN({ outputSize: 1 } as never), type: ConfigError, pattern: /the option "hiddenSize" is required/ },
  { name: 'returnHiddenStates not a boolean', call: (m) => m.call(x, { returnHiddenStates: 1 } as never), type: ConfigError, pattern: /call\(x, options\)\.returnHiddenStates: expected a boolean, received 1/ },
  { name: 'fit shuffle not a boolean', call: (m) => m.fit(x, y, { shuffle: 'no' } as never), type: ConfigError, pattern: /fit\(x, y, options\)\.shuffle: expected a boolean, received "no"/, compiled: true },
  { name: 'summary lineLength 0', call: (m) => m.summary({ lineLength: 0, printFn: () => {} }), type: ConfigError, pattern: /summary\(options\)\.lineLength: expected an integer from 1 to 1000, received 0/ },
  { name: 'earlyStopping mode', call: () => earlyStopping({ mode: 'up' as never }), type: ConfigError, pattern: /earlyStopping\(options\)\.mode: expected one of 'min', 'max', 'auto', received "up"/ },
  { name: 'compile clipNorm NaN', call: (m) => m.compile({ ...sgd, clipNorm: NaN }), type: ConfigError, pattern: /compile\(config\)\.clipNorm: expected a positive finite number, received NaN/ },
  { name: 'binding without a name', call: () => registerBackendBinding({ prepare() {} } as never), type: ConfigError, pattern: /registerBackendBinding\(binding\): the option "name" is required/ },
];

const tensors: Case[] = [
  { name: 'empty batch: call', call: (m) => m.call(empty), type: ShapeError, pattern: /^call\(x\): expected at least one example and one timestep, received shape \[0,5,3\]/, built: false },
  { name: 'no timesteps: predict', call: (m) => m.predict(noSteps), type: ShapeError, pattern: /^predict\(x\): expected at least one example/, built: false },
  { name: 'empty batch: fit', call: (m) => m.fit(empty, emptyY), type: ShapeError, pattern: /^fit\(x\): expected at least one example/, compiled: true, built: false },
  { name: 'empty batch: trainOnBatch', call: (m) => m.trainOnBatch(empty, emptyY), type: ShapeError, pattern: /^trainOnBatch\(x\): expected at least one example/, compiled: true, built: false },
  { name: 'disposed x: call', call: (m) => m.call(disposed), type: DisposedError, pattern: /^call\(x\): the tensor has been disposed/, built: false },
  { name: 'disposed y: fit', call: (m) => m.fit(x, disposedY), type: DisposedError, pattern: /^fit\(y\): the tensor has been disposed/, compiled: true },
  { name: 'disposed initialState', call: (m) => m.call(x, { initialState: disposedY as tf.Tensor }), type: DisposedError, pattern: /initialState.*disposed/ },
  { name: 'int32 x: predict', call: (m) => m.predict(int32X), type: DTypeError, pattern: /predict\(x\): expected dtype float32, received int32/ },
  { name: 'string mask', call: (m) => m.call(x, { mask: stringMask }), type: DTypeError, pattern: /call\(x, \{ mask \}\): expected dtype bool or float32, received string/ },
  { name: 'string labels: evaluate', call: (m) => m.evaluate(x, stringY), type: DTypeError, pattern: /evaluate\(y\): expected numeric labels/, compiled: true },
  {
    name: 'setWeights: int32 weight',
    call: (m) => {
      const ws = m.getWeights();
      const bad = tf.cast(ws[1]!, 'int32');
      try {
        m.setWeights([ws[0]!, bad, ws[2]!, ws[3]!, ws[4]!]);
      } finally {
        tf.dispose([...ws, bad]);
      }
    },
    type: DTypeError,
    pattern: /^setWeights\(weights\[1\] recurrentKernel\): expected dtype float32, received int32/,
  },
  {
    name: 'setWeights: disposed weight',
    call: (m) => {
      const ws = m.getWeights();
      ws[0]!.dispose();
      try {
        m.setWeights(ws);
      } finally {
        tf.dispose(ws);
      }
    },
    type: DisposedError,
    pattern: /^setWeights\(weights\[0\] kernel\): the tensor has been disposed \(a \[3,4\] float32 tensor\)/,
  },
  {
    name: 'setWeights: wrong shape stays a WeightsError',
    call: (m) => {
      const ws = m.getWeights();
      const bad = tf.zeros([4, 2]);
      try {
        m.setWeights([ws[0]!, ws[1]!, ws[2]!, bad, ws[4]!]);
      } finally {
        tf.dispose([...ws, bad]);
      }
    },
    type: WeightsError,
    pattern: /denseKernel\): expected shape \[4,1\], received \[4,2\]/,
  },
];

describe('a catalogue of bad calls: typed errors naming argument, expected and received; nothing leaks or changes', () => {
  it.each(misspelt.map((c) => [c.name, c] as const))('misspelt option: %s', async (_, c) => runCase(c));
  it.each(badValues.map((c) => [c.name, c] as const))('bad option value: %s', async (_, c) => runCase(c));
  it.each(tensors.map((c) => [c.name, c] as const))('bad tensor: %s', async (_, c) => runCase(c));
});

describe('sizes are checked before allocating', () => {
  afterEach(() => setAllocationLimit(DEFAULT_ALLOCATION_LIMIT_BYTES));

  it('hiddenSize: 1e9 fails fast at construction, saying how many bytes were asked for', () => {
    expect(getAllocationLimit()).toBe(2 * 1024 ** 3);
    const started = performance.now();
    const err = (() => {
      try {
        new BasicRNN({ hiddenSize: 1e9, outputSize: 1 });
      } catch (e) {
        return e;
      }
    })() as ResourceLimitError;
    expect(performance.now() - started).toBeLessThan(50);
    expect(err).toBeInstanceOf(ResourceLimitError);
    // 4·(1e9·(1 + 1e9 + 1) + 1·(1e9 + 1)) + 32·1e18 bytes: the float32 weights and the orthogonal initialiser's workspace.
    expect(err.bytes).toBeCloseTo(4 * (1e9 * (1e9 + 2) + 1e9 + 1) + 32e18, -6);
    expect(err.limit).toBe(DEFAULT_ALLOCATION_LIMIT_BYTES);
    expect(err.message).toMatch(/^BasicRNN\(config\)\.hiddenSize: the weights would take 31\.2 EiB \(3\.600e\+19 bytes\), above the allocation limit of 2\.0 GiB/);
  });

  it('build refuses an input size whose kernel is too large, and stays unbuilt', () => {
    const m = new BasicRNN({ hiddenSize: 1000, outputSize: 1 });
    expect(() => m.build([null, null, 1e9])).toThrow(/^build\(inputShape\): the weights and their initialisation would take 3\.\d TiB/);
    expect(m.isBuilt).toBe(false);
    m.dispose();
  });

  it('call, predict, fit, trainOnBatch and evaluate estimate activations from the shapes (limit lowered to 64 KiB)', async () => {
    const m = new BasicRNN({ hiddenSize: 32, outputSize: 1, seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const big = tf.zeros([64, 50, 3]);
    const labels = tf.zeros([64, 1]);
    setAllocationLimit(64 * 1024);
    const before = tf.memory().numTensors;
    // [64,50,32] float32 = 400 KiB per copy; the forward pass keeps two, training about six.
    expect(() => m.call(big)).toThrow(/^call\(x\): the forward pass would take 800\.3 KiB .*above the allocation limit of 64\.0 KiB/);
    expect(() => m.predict(big, { batchSize: 64 })).toThrow(ResourceLimitError);
    await expect(m.fit(big, labels, { batchSize: 64 })).rejects.toThrow(/^fit\(x, y, options\)\.batchSize: one batch and its activations through time would take/);
    await expect(m.trainOnBatch(big, labels)).rejects.toThrow(ResourceLimitError);
    await expect(m.evaluate(big, labels)).rejects.toThrow(/^evaluate\(x, y, options\)\.batchSize: one batch and its forward pass/);
    expect(m.isBuilt).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    // Smaller batches fit under the same limit.
    const part = tf.slice(big, [0, 0, 0], [1, 5, 3]);
    expect(() => tf.dispose(m.predict(part))).not.toThrow();
    setAllocationLimit(DEFAULT_ALLOCATION_LIMIT_BYTES);
    tf.dispose([big, labels, part]);
    m.dispose();
  });

  it('a validation split that would copy too much is refused', async () => {
    const m = new BasicRNN({ hiddenSize: 2, outputSize: 1, seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const data = tf.zeros([100, 20, 3]);
    const labels = tf.zeros([100, 1]);
    setAllocationLimit(16 * 1024);
    await expect(m.fit(data, labels, { batchSize: 2, validationSplit: 0.5 })).rejects.toThrow(
      /^fit\(x, y, options\)\.validationSplit: the training\/validation split of x and y would take 23\.8 KiB/,
    );
    setAllocationLimit(DEFAULT_ALLOCATION_LIMIT_BYTES);
    tf.dispose([data, labels]);
    m.dispose();
  });
});
