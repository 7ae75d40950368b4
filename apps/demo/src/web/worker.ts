// The model worker: tfjs, the backends, the model and its data live here, so training, evaluation and the parity
// run never block the page. It answers the commands of protocol.ts, one handler per command.
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, Embedding, NonFiniteError, RecurrentLayer, Sequential, getBackend, type Callback, type CellType, type LossName } from '@basicrnn/core';
import { toOnnx } from '@basicrnn/onnx';
import { loadModelFrom, saveModelTo } from '../model_files.js';
import { disposeStatesRun, forwardWithStates } from '../forward_states.js';
import { ADDING_TEST_SEED, SENTIMENT_EMBEDDING_SIZE, VOCABULARY, addingData, encodeIds, hiddenStateGradientsOf, sentimentModel, taskArrays, trainOnAdding } from '../tasks/index.js';
import { ParityCancelled, activateBackend, availableBackends, reportedInfo, runParity, setUpWasm } from './backends.js';
import { randomInput, taskInput, taskTensors, usesTokenIds, type TaskTensors } from './data.js';
import type { Commands, CommandName, ModelDescription, ModelKind, Reply, Request, Shaped, ThreadReport, WorkerEvent } from './protocol.js';
import { REGRESSION_LOSSES, architectureKey, effectiveInputSize, trainingProblem, type Settings, type ThreadChoice } from './settings.js';

/** 20% of the examples are held out for validation, as the page says. */
const VALIDATION_SPLIT = 0.2;
/** Batch progress goes to the page at most this often: every message costs the page a task. */
const BATCH_EVENT_INTERVAL_MS = 150;
/**
 * While the page has had input within this many ms, training sleeps {@link INPUT_YIELD_MS} after each batch: on a
 * 2-core machine the training threads (wasm runs several) otherwise take the core the page needs to answer.
 */
const INPUT_WINDOW_MS = 500;
const INPUT_YIELD_MS = 25;
/** Values of hidden states up to which a forward pass sends the whole batch to the page. */
const FORWARD_TRANSFER_LIMIT = 250_000;

const scope = self as unknown as { postMessage(message: Reply, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<Request>) => void) | null };

function emit(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

/**
 * A BasicRNN on vectors, or (sentiment) the CLI's embedding → recurrent layer → Dense sequential model on token ids:
 * SimpleRNN when the worker builds it, the file's cell (SimpleRNN, LSTM or GRU) when it was loaded.
 */
let model: BasicRNN | Sequential | null = null;
let architecture = '';
let compiledKey: string | null = null;
let epochsDone = 0;
let data: { key: string; tensors: TaskTensors } | null = null;
let threadsAsked: ThreadChoice = 'auto';
let cores = 1;
/** Set by `stop`: the running training's controller, or the parity run's flag. */
let trainingAbort: { controller: AbortController; requestedAt: number | null } | null = null;
let parityCancel: { requested: boolean } | null = null;
/** The page's last-input clock (see Commands.init), or null where there is no SharedArrayBuffer. */
let pageInput: { last: Int32Array; base: number } | null = null;

function userIsInteracting(): boolean {
  return pageInput !== null && Date.now() - pageInput.base - Atomics.load(pageInput.last, 0) < INPUT_WINDOW_MS;
}

function requireModel(): BasicRNN | Sequential {
  if (model === null) throw new Error('the model worker has not been initialised');
  return model;
}

function shaped(t: tf.Tensor): Shaped {
  return { shape: [...t.shape], data: Float32Array.from(t.dataSync()) };
}

/** The first example of a batch tensor, as values: `[1, ...rest]`. */
function firstExample(t: tf.Tensor): Shaped {
  const first = tf.slice(t, 0, 1);
  const out = shaped(first);
  first.dispose();
  return out;
}

function threadReport(): ThreadReport {
  const report: ThreadReport = { asked: threadsAsked, cores, crossOriginIsolated: self.crossOriginIsolated === true };
  const info = getBackend() === 'wasm' ? reportedInfo() : null;
  if (info?.threads !== undefined) report.got = info.threads;
  return report;
}

/** What the page is told about the model's kind and input (the panels say which model they act on). */
function modelKind(m: BasicRNN | Sequential): ModelKind {
  if (m instanceof BasicRNN) return { kind: 'basicRNN', input: 'vectors', layers: ['simple_rnn (SimpleRNN)', 'dense (Dense)'] };
  return { kind: 'sequential', input: m.inputRank === 2 ? 'tokenIds' : 'vectors', layers: m.layers.map((l) => `${l.name} (${l.className})`) };
}

function describeModel(rebuilt: boolean): ModelDescription {
  const m = requireModel();
  return { architecture, summary: m.summary({ printFn: () => {} }), epochsDone, rebuilt, model: modelKind(m) };
}

/**
 * A new model for the settings. The web app builds SimpleRNNs; `cell` is a loaded sentiment model's, for a worker
 * restarted with its snapshot.
 */
function buildModel(s: Settings, cell: CellType = 'simpleRNN'): void {
  model?.dispose();
  if (usesTokenIds(s)) {
    // The CLI's sentiment model (tasks/sentiment.ts): ids [B, T] with 0 as padding.
    model = sentimentModel({ cell, hiddenSize: s.hiddenSize, outputSize: s.outputSize, seed: s.seed });
    model.build([null, s.seqLength]);
  } else {
    model = new BasicRNN({ hiddenSize: s.hiddenSize, outputSize: s.outputSize, returnSequences: s.returnSequences, seed: s.seed });
    model.build([null, s.seqLength, effectiveInputSize(s)]);
  }
  architecture = architectureKey(s);
  compiledKey = null;
  epochsDone = 0;
}

function metricsFor(loss: LossName): ('accuracy' | 'mae')[] {
  return REGRESSION_LOSSES.includes(loss) ? ['mae'] : ['accuracy'];
}

function ensureCompiled(s: Settings): void {
  const key = JSON.stringify([s.loss, s.optimizer, s.learningRate]);
  if (compiledKey === key) return;
  requireModel().compile({ optimizer: s.optimizer, learningRate: s.learningRate, loss: s.loss, metrics: metricsFor(s.loss) });
  compiledKey = key;
}

function ensureData(s: Settings): TaskTensors {
  const key = JSON.stringify([s.task, s.samples, s.seqLength, effectiveInputSize(s), s.seed, s.returnSequences, s.loss]);
  if (data?.key !== key) {
    data?.tensors.dispose();
    data = { key, tensors: taskTensors(s) };
  }
  return data.tensors;
}

/** The words of one example's token ids [T] (sentiment), '' where the sequence is padded. */
function wordsOf(ids: ArrayLike<number>): string[] {
  return Array.from(ids, (id) => (id <= 0 ? '' : (VOCABULARY[id] ?? '')));
}

/** The hidden states of the first held-out example, after an epoch. */
function probeHidden(s: Settings, probe: tf.Tensor): { hiddenStates: Shaped; words?: string[] } {
  const first = tf.slice(probe, 0, 1);
  const r = forwardWithStates(requireModel(), first);
  const result: { hiddenStates: Shaped; words?: string[] } = { hiddenStates: shaped(r.hiddenStates) };
  if (usesTokenIds(s)) result.words = wordsOf(first.dataSync());
  disposeStatesRun(r);
  first.dispose();
  return result;
}

/** The sentiment model's parts, when `m` has the shape sentimentModel builds (embedding → recurrent → Dense). */
function sentimentParts(m: Sequential): { embedding: Embedding; recurrent: RecurrentLayer; units: number } | null {
  const [embedding, recurrent, dense, ...rest] = m.layers;
  if (!(embedding instanceof Embedding) || !(recurrent instanceof RecurrentLayer) || dense === undefined || rest.length > 0) return null;
  return { embedding, recurrent, units: m.outputSize };
}

/** A sequential model's recurrent layer. */
function recurrentOf(m: Sequential): RecurrentLayer {
  const recurrent = m.layers.find((l): l is RecurrentLayer => l instanceof RecurrentLayer);
  if (recurrent === undefined) throw new Error('the sequential model has no recurrent layer');
  return recurrent;
}

/** The model's recurrent cell. */
function cellOf(m: BasicRNN | Sequential): CellType {
  return m instanceof BasicRNN ? m.cell : recurrentOf(m).cell;
}

/** Why `m` cannot stand in for the model the settings describe, or null. */
function misfit(m: BasicRNN | Sequential, s: Settings): string | null {
  if (m instanceof Sequential) {
    const parts = sentimentParts(m);
    if (!usesTokenIds(s) || parts === null) {
      return usesTokenIds(s)
        ? 'the sentiment task takes an embedding → recurrent layer (SimpleRNN, LSTM or GRU) → Dense model (as the CLI saves with --task sentiment)'
        : `it is a sequential model (${m.layers.map((l) => l.className).join(' → ')}); the ${s.task} task runs a BasicRNN (SimpleRNN + Dense)`;
    }
    const want: [string, unknown, unknown][] = [
      ['vocabulary', parts.embedding.inputDim, VOCABULARY.length],
      ['embedding size', parts.embedding.outputDim, SENTIMENT_EMBEDDING_SIZE],
      ['padding mask (maskZero)', parts.embedding.maskZero, true],
      // Any of the CLI's cells (--cell simpleRNN, lstm or gru), reading forwards and giving its last state.
      ['return sequences', parts.recurrent.config.returnSequences, false],
      ['go backwards', parts.recurrent.config.goBackwards, false],
      ['hidden size', parts.recurrent.config.units, s.hiddenSize],
      ['output size', parts.units, s.outputSize],
    ];
    const bad = want.filter(([, got, expected]) => got !== expected);
    return bad.length === 0 ? null : bad.map(([name, got, expected]) => `${name} ${String(got)}, the settings say ${String(expected)}`).join('; ');
  }
  if (usesTokenIds(s)) return 'it is a BasicRNN on vectors; the sentiment task runs the embedding model on token ids (embedding → recurrent layer → Dense)';
  const want: [string, unknown, unknown][] = [
    ['cell', m.cell, 'simpleRNN'],
    ['hidden size', m.hiddenSize, s.hiddenSize],
    ['output size', m.outputSize, s.outputSize],
    ['return sequences', m.returnSequences, s.returnSequences],
    ['input size', m.inputSize, effectiveInputSize(s)],
  ];
  if (m.seqLength !== null) want.push(['sequence length', m.seqLength, s.seqLength]);
  const bad = want.filter(([, got, expected]) => got !== expected);
  return bad.length === 0 ? null : bad.map(([name, got, expected]) => `${name} ${String(got)}, the settings say ${String(expected)}`).join('; ');
}

/** tf.io.browserFiles wants model.json first, then the weight files. */
function orderedFiles(files: File[]): File[] {
  return [...files].sort((a, b) => Number(b.name.endsWith('.json')) - Number(a.name.endsWith('.json')));
}

type Handlers = { [K in CommandName]: (args: Commands[K]['args']) => Promise<Commands[K]['result']> | Commands[K]['result'] };

const handlers: Handlers = {
  async init({ threads, hardwareConcurrency, wasmPaths, backend, settings, snapshot, input }) {
    threadsAsked = threads;
    pageInput = input === undefined ? null : { last: new Int32Array(input.buffer), base: input.base };
    cores = hardwareConcurrency;
    // The threaded wasm build caps its pool at the logical cores it reads here (emscripten_num_logical_cores). The
    // page's reading is the one the user sees, so the worker reads the same: equal in a browser, and an override the
    // page was given (the e2e suite's) reaches the worker too, which a page-only init script would not.
    if (navigator.hardwareConcurrency !== hardwareConcurrency) {
      Object.defineProperty(Object.getPrototypeOf(navigator), 'hardwareConcurrency', { configurable: true, get: () => hardwareConcurrency });
    }
    setUpWasm(threads, wasmPaths);
    const infos = [reportedInfo()]; // cpu is active from core's import on
    let startError: string | undefined;
    try {
      await activateBackend(backend);
      if (getBackend() !== 'cpu') infos.push(reportedInfo());
    } catch (e) {
      startError = e instanceof Error ? e.message : String(e);
    }
    // A snapshot of a loaded sentiment model names its cell: build that one to take its weights back.
    buildModel(settings, snapshot !== undefined && snapshot.architecture === architectureKey(settings) ? (snapshot.cell ?? 'simpleRNN') : 'simpleRNN');
    if (snapshot !== undefined && snapshot.architecture === architecture) {
      const weights = snapshot.weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
      try {
        requireModel().setWeights(weights);
        epochsDone = snapshot.epochsDone;
      } finally {
        tf.dispose(weights);
      }
    }
    const result: Commands['init']['result'] = { backends: availableBackends(), active: getBackend(), infos, threads: threadReport(), model: describeModel(true) };
    if (startError !== undefined) result.startError = startError;
    return result;
  },

  async setBackend({ name }) {
    await activateBackend(name);
    return { active: getBackend(), info: reportedInfo(), threads: threadReport() };
  },

  configure({ settings, fresh }) {
    const rebuilt = fresh === true || model === null || architectureKey(settings) !== architecture;
    if (rebuilt) buildModel(settings);
    return describeModel(rebuilt);
  },

  forward({ settings: s }) {
    const m = requireModel();
    const x = s.exampleInput === 'random' ? randomInput(s) : taskInput(s);
    const t0 = performance.now();
    const run = forwardWithStates(m, x);
    const { input, output, state, hiddenStates } = run;
    output.dataSync();
    const ms = performance.now() - t0;
    // The whole batch when it is small (the plots say "example 0 of 32"); only the first example when the hidden
    // states alone would be large (a 1024 × 200 × 512 batch is 400 MB).
    const pick = hiddenStates.size <= FORWARD_TRANSFER_LIMIT ? shaped : firstExample;
    const result: Commands['forward']['result'] = {
      shapes: { input: [...x.shape], output: [...output.shape], state: [...state.shape] },
      input: pick(input),
      output: pick(output),
      state: pick(state),
      hiddenStates: pick(hiddenStates),
      ms,
      backend: getBackend(),
    };
    if (x.dtype === 'int32') {
      result.tokenIds = { shape: [...x.shape], data: Float32Array.from(x.dataSync()) };
      const dims = (shape: number[]) => `(${shape.join(', ')})`;
      result.inputShown = `the embedded words ${dims(input.shape)} that the ${m instanceof Sequential ? recurrentOf(m).className : m.cell} reads: the embedding's vectors for the token ids ${dims(x.shape)}`;
    }
    if (s.exampleInput === 'task' && REGRESSION_LOSSES.includes(s.loss) && s.task === 'sine') {
      // The forecast's target: the label of the same example (next value, or the next value at every step).
      const d = taskArrays({ ...s, inputSize: effectiveInputSize(s), samples: Math.max(10, s.batchSize) });
      const per = s.returnSequences ? s.seqLength : 1;
      const outputs = output.shape[output.shape.length - 1]!;
      const examples = result.output.shape[0]!;
      if (outputs === 1) result.target = { shape: [...result.output.shape], data: Float32Array.from(d.y.subarray(0, examples * per)) };
    }
    if (s.exampleInput === 'task' && usesTokenIds(s)) result.words = wordsOf(x.dataSync().subarray(0, s.seqLength));
    disposeStatesRun(run);
    x.dispose();
    return result;
  },

  async train({ settings: s, resumeTarget }) {
    const problem = trainingProblem(s);
    if (problem !== null) throw new Error(problem);
    const m = requireModel();
    ensureCompiled(s);
    const tensors = ensureData(s);
    const target = resumeTarget ?? epochsDone + s.epochs;
    const trainCount = Math.floor(s.samples * (1 - VALIDATION_SPLIT));
    const batches = Math.ceil(trainCount / s.batchSize);
    const run = { controller: new AbortController(), requestedAt: null as number | null };
    trainingAbort = run;
    let lastBatchEvent = 0;
    const callbacks: Callback[] = [
      {
        onEpochBegin: () => emit({ event: 'epochBegin', epoch: epochsDone, target, batches, backend: getBackend() }),
        onBatchEnd: async (batch) => {
          const now = performance.now();
          if (now - lastBatchEvent >= BATCH_EVENT_INTERVAL_MS) {
            lastBatchEvent = now;
            emit({ event: 'batchEnd', batch, batches });
          }
          if (userIsInteracting()) await new Promise((resolve) => setTimeout(resolve, INPUT_YIELD_MS));
        },
        onEpochEnd: (_epoch, logs) => {
          epochsDone++;
          const probe = probeHidden(s, tensors.probe);
          emit({ event: 'epochEnd', epochsDone, target, logs: { ...logs }, probe }, [probe.hiddenStates.data.buffer]);
        },
      },
    ];
    const t0 = performance.now();
    try {
      await m.fit(tensors.x, tensors.y, { epochs: target - epochsDone, batchSize: s.batchSize, validationSplit: VALIDATION_SPLIT, callbacks, signal: run.controller.signal });
      const result: Commands['train']['result'] = { epochsDone, target, stopped: run.requestedAt !== null, seconds: (performance.now() - t0) / 1000, backend: getBackend() };
      if (run.requestedAt !== null) result.stopLatencyMs = performance.now() - run.requestedAt;
      return result;
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      return { epochsDone, target, stopped: false, seconds: (performance.now() - t0) / 1000, backend: getBackend(), nonFinite: e.message };
    } finally {
      trainingAbort = null;
    }
  },

  stop() {
    if (trainingAbort !== null && trainingAbort.requestedAt === null) {
      trainingAbort.requestedAt = performance.now();
      trainingAbort.controller.abort();
      return { stopping: true };
    }
    if (parityCancel !== null && !parityCancel.requested) {
      parityCancel.requested = true;
      return { stopping: true };
    }
    return { stopping: false };
  },

  predict({ settings: s, sentence }) {
    const m = requireModel();
    if (!usesTokenIds(s) || !(m instanceof Sequential) || m.inputRank !== 2) return { problem: 'not a sentiment model' };
    // Token ids [1, T], right-padded with 0 (the embedding's maskZero skips the padding), as in training.
    const ids = encodeIds([sentence], s.seqLength);
    const x = tf.tensor2d(ids, [1, s.seqLength], 'int32');
    const out = m.predict(x);
    const values = Array.from(out.dataSync());
    tf.dispose([x, out]);
    return { output: values, ids: Array.from(ids) };
  },

  weights() {
    const m = requireModel();
    if (m instanceof BasicRNN) {
      const named = m.getNamedWeights();
      const result: Commands['weights']['result'] = { kernel: shaped(named.kernel!), recurrentKernel: shaped(named.recurrentKernel!), layer: 'simple_rnn (SimpleRNN)', cell: m.cell };
      if (named.bias !== undefined) result.bias = shaped(named.bias);
      tf.dispose(Object.values(named));
      return result;
    }
    // A sequential model: the recurrent layer's W (reading the embedded words), U and b.
    const recurrent = recurrentOf(m);
    const weights = recurrent.getWeights();
    const names = recurrent.weightNames();
    const at = (name: string) => weights[names.indexOf(name)];
    const result: Commands['weights']['result'] = { kernel: shaped(at('kernel')!), recurrentKernel: shaped(at('recurrent_kernel')!), layer: `${recurrent.name} (${recurrent.className})`, cell: recurrent.cell };
    const bias = at('bias');
    if (bias !== undefined) result.bias = shaped(bias);
    tf.dispose(weights);
    return result;
  },

  async parity({ settings: s }) {
    const m = requireModel();
    const x = s.exampleInput === 'random' ? randomInput(s) : taskInput(s);
    const cancel = { requested: false };
    parityCancel = cancel;
    try {
      const { rows, cancelled } = await runParity(m, x, {
        onProgress: (backend, step, steps, what) => emit({ event: 'parityProgress', backend, step, steps, what }),
        onRow: (row) => emit(row.error === undefined ? { event: 'parityRow', row, info: reportedInfo() } : { event: 'parityRow', row }),
        cancelled: () => cancel.requested,
      });
      return { rows, inputShape: [...x.shape], cancelled };
    } catch (e) {
      if (e instanceof ParityCancelled) return { rows: [], inputShape: [...x.shape], cancelled: true };
      throw e;
    } finally {
      parityCancel = null;
      x.dispose();
    }
  },

  snapshot() {
    const weights = requireModel().getWeights();
    const result: Commands['snapshot']['result'] = { architecture, weights: weights.map(shaped), epochsDone, cell: cellOf(requireModel()) };
    tf.dispose(weights);
    return result;
  },

  async saveModel({ url }) {
    const result = await saveModelTo(requireModel(), url);
    return { bytes: result.modelArtifactsInfo?.weightDataBytes ?? 0 };
  },

  async loadModel({ settings: s, url, files, epochsDone: epochs }) {
    if ((url === undefined) === (files === undefined)) throw new Error('loadModel: give a url or files');
    const source = url ?? tf.io.browserFiles(orderedFiles(files!));
    const loaded = await loadModelFrom(source);
    try {
      const problem = misfit(loaded, s);
      if (problem !== null) throw new Error(`the loaded model does not fit the settings: ${problem}`);
    } catch (e) {
      loaded.dispose();
      throw e;
    }
    model?.dispose();
    model = loaded;
    architecture = architectureKey(s);
    compiledKey = null;
    epochsDone = epochs;
    return describeModel(true);
  },

  async exportModel() {
    const m = requireModel();
    let artifacts: tf.io.ModelArtifacts | null = null;
    await saveModelTo(
      m,
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const a = artifacts! as tf.io.ModelArtifacts;
    const weights = a.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(a.weightData).slice();
    // model.json as tfjs's own browser handlers write it: the topology and one manifest group naming weights.bin.
    const json: Record<string, unknown> = {
      modelTopology: a.modelTopology,
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs ?? [] }],
    };
    if (a.trainingConfig !== undefined) json.trainingConfig = a.trainingConfig;
    if (a.userDefinedMetadata !== undefined) json.userDefinedMetadata = a.userDefinedMetadata;
    // An embedding with maskZero takes its mask from the ids; ONNX takes each example's length as `sequence_lens`.
    const masked = m instanceof Sequential && m.layers[0] instanceof Embedding && m.layers[0].maskZero;
    const onnxInputs = masked
      ? 'x: int32 token ids [batch, steps], right-padded with 0; sequence_lens: int32 [batch], the count of non-zero ids'
      : 'x: float32 [batch, steps, features]';
    return { modelJson: JSON.stringify(json), weights, onnx: toOnnx(m, masked ? { sequenceLengths: true } : {}), onnxInputs };
  },

  async longDependency({ seqLength, maxSteps }) {
    const rows: Commands['longDependency']['result']['rows'] = [];
    const gradients: Record<string, Shaped> = {};
    const d = addingData({ samples: 32, seqLength, seed: ADDING_TEST_SEED });
    const x = tf.tensor3d(d.x, [32, seqLength, 2]);
    const y = tf.tensor2d(d.y, [32, 1]);
    try {
      for (const [cell, label] of [['simpleRNN', 'SimpleRNN'], ['lstm', 'LSTM'], ['gru', 'GRU']] as const) {
        const started = performance.now();
        const run = await trainOnAdding({
          cell,
          seqLength,
          maxSteps,
          onEvaluate: async (step, testMse) => {
            emit({ event: 'longDependencyProgress', cell, step, maxSteps, testMse });
            await new Promise((resolve) => setTimeout(resolve, 0));
          },
        });
        try {
          rows.push({ cell, testMse: run.testMse, steps: run.steps, seconds: (performance.now() - started) / 1000 });
          const g = hiddenStateGradientsOf(run.model, x, y);
          gradients[label] = shaped(g);
          g.dispose();
        } finally {
          run.model.dispose();
        }
      }
    } finally {
      tf.dispose([x, y]);
    }
    return { rows, gradients };
  },

  debugState() {
    const weights = requireModel().getWeights();
    let sum = 0;
    for (const w of weights) for (const v of w.dataSync()) sum += Math.abs(v) * 1.000001 + v;
    tf.dispose(weights);
    return { weightsChecksum: sum, epochsDone, backend: getBackend(), numTensors: tf.memory().numTensors, model: modelKind(requireModel()) };
  },
};

scope.onmessage = (e: MessageEvent<Request>) => {
  const { id, command, args } = e.data;
  const handler = handlers[command] as (a: typeof args) => unknown;
  Promise.resolve()
    .then(() => handler(args))
    .then(
      (result) => scope.postMessage({ id, ok: true, result }),
      (error: unknown) =>
        scope.postMessage({
          id,
          ok: false,
          error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
        }),
    );
};
