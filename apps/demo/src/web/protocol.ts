import type { BackendInfo, CellType } from '@basicrnn/core';
import type { WasmBinaryName } from '@basicrnn/backend-wasm';
import type { Settings, ThreadChoice, WebBackend } from './settings.js';

/*
 * The one contract between the page and the model worker (src/web/worker.ts). The page owns UI state and plots; the
 * worker owns tfjs, the model and the data, and answers commands. A command is a name in {@link Commands} with its
 * argument and result types: adding one is a line here and a handler in the worker's table, which the compiler
 * then demands. Long commands report progress as {@link WorkerEvent}s while they run.
 */

/** Values with their shape, as viz reads them (`{ shape, data }`): what crosses the worker boundary instead of tensors. */
export interface Shaped {
  shape: number[];
  data: Float32Array;
}

/** getBackendInfo() plus the wasm build that was loaded, for the report table. */
export interface ReportedInfo extends BackendInfo {
  binary?: string;
}

/** How many wasm threads were asked for, how many run, and what the browser reports: for an honest sentence. */
export interface ThreadReport {
  asked: ThreadChoice;
  /** Threads the wasm module runs; undefined until wasm has started. */
  got?: number;
  /** `navigator.hardwareConcurrency` as the page reads it (and hands to the worker). */
  cores: number;
  crossOriginIsolated: boolean;
}

/** The model and its training progress: what a restarted worker (a new thread count) starts from. */
export interface ModelSnapshot {
  architecture: string;
  weights: Shaped[];
  epochsDone: number;
  /** The model's recurrent cell: a loaded sentiment model may have an LSTM or GRU (absent: SimpleRNN). */
  cell?: CellType;
}

/** Which model the worker runs, so panels can say what they act on. */
export interface ModelKind {
  /** `basicRNN` (SimpleRNN + Dense on vectors) or `sequential` (sentiment: embedding → SimpleRNN, or a loaded LSTM or GRU → Dense). */
  kind: 'basicRNN' | 'sequential';
  /** What it reads: float32 vectors [B, T, I], or int32 token ids [B, T] (0 = padding). */
  input: 'vectors' | 'tokenIds';
  /** Its layers, Keras-style: `embedding (Embedding)`, … */
  layers: string[];
}

/** What describes the model after a command that may have rebuilt it. */
export interface ModelDescription {
  /** Settings.architectureKey of the model in the worker. */
  architecture: string;
  /** Keras-style summary text. */
  summary: string;
  epochsDone: number;
  /** True when this command built a fresh model (weights drawn again, epochs back to 0). */
  rebuilt: boolean;
  model: ModelKind;
}

/** One forward pass, for the forward panel: the whole batch, or example 0 alone when the batch is large. */
export interface ForwardResult {
  /** Shape of the whole batch that ran, Keras-style (token ids [B, T] for a model on token ids). */
  shapes: { input: number[]; output: number[]; state: number[] };
  /** What the recurrent layer read: the input itself, or the embedded words [B, T, E] of a model on token ids. */
  input: Shaped;
  /** A model on token ids: the ids that ran (as float values), and a sentence saying what `input` shows instead. */
  tokenIds?: Shaped;
  inputShown?: string;
  output: Shaped;
  state: Shaped;
  hiddenStates: Shaped;
  /** The task's label for this example, shaped like `output`, when the input came from the task. */
  target?: Shaped;
  /** Words of the example, one per timestep (sentiment task, task input); '' for padding. */
  words?: string[];
  ms: number;
  backend: string;
}

/** The hidden state of a held-out example, redrawn after each epoch. */
export interface HiddenProbe {
  hiddenStates: Shaped;
  words?: string[];
}

/** How a training run ended. */
export interface TrainResult {
  epochsDone: number;
  target: number;
  /** True when Stop ended it early. */
  stopped: boolean;
  /** From Stop's arrival in the worker to the run having ended. */
  stopLatencyMs?: number;
  seconds: number;
  backend: string;
  /** A non-finite loss ended the run: the message says so. */
  nonFinite?: string;
}

/** One backend's row of the parity run. */
export interface ParityRow {
  name: WebBackend;
  /** Chart label: `wasm (4 threads)` when the pool has more than one thread. */
  backend: string;
  forwardMs?: number;
  trainMs?: number;
  maxAbsDiff?: number;
  /** Why this backend could not run, when it could not. */
  error?: string;
}

/** The model as files: TF.js Layers `model.json` (naming `weights.bin`), the weights, and the ONNX export. */
export interface ModelFiles {
  modelJson: string;
  weights: ArrayBuffer;
  onnx: Uint8Array;
  /** The ONNX graph's inputs, in words (a model on token ids also takes `sequence_lens`). */
  onnxInputs: string;
}

/** One cell's result on the adding problem (long-dependency panel). */
export interface LongDependencyRow {
  cell: 'simpleRNN' | 'lstm' | 'gru';
  /** Held-out MSE after the last step; predicting the mean gives ≈ 0.167. */
  testMse: number;
  steps: number;
  seconds: number;
}

/** Every command: its argument and its result. */
export interface Commands {
  /** Sets up wasm (paths, threads), starts `backend`, builds the model (from `snapshot` when it fits). */
  init: {
    args: {
      threads: ThreadChoice;
      /** The page's `navigator.hardwareConcurrency`: the worker reports and sizes its pool by the page's view. */
      hardwareConcurrency: number;
      wasmPaths: Record<WasmBinaryName, string>;
      backend: WebBackend;
      settings: Settings;
      snapshot?: ModelSnapshot;
      /**
       * The page's last input, as ms after `inputBase` in slot 0 of an Int32Array over this buffer (only where
       * SharedArrayBuffer exists): training yields the CPU between batches while the user is interacting.
       */
      input?: { buffer: SharedArrayBuffer; base: number };
    };
    result: { backends: WebBackend[]; active: string; infos: ReportedInfo[]; threads: ThreadReport; model: ModelDescription; startError?: string };
  };
  setBackend: { args: { name: WebBackend }; result: { active: string; info: ReportedInfo; threads: ThreadReport } };
  /** Brings the model in line with the settings: a new model when the architecture changed. */
  configure: { args: { settings: Settings; fresh?: boolean }; result: ModelDescription };
  forward: { args: { settings: Settings }; result: ForwardResult };
  train: { args: { settings: Settings; resumeTarget: number | null }; result: TrainResult };
  /** Stops training after the current batch, or the parity run after the current measurement. */
  stop: { args: Record<string, never>; result: { stopping: boolean } };
  /** The sentiment model on the sentence's token ids [1, seqLength] (0 pads at the end); `ids` are what it read. */
  predict: { args: { settings: Settings; sentence: string }; result: { output: number[]; ids: number[] } | { problem: string } };
  /**
   * The recurrent layer's W, U, b, which layer they belong to (`simple_rnn (SimpleRNN)`) and its cell (a gated cell's
   * W and U are one block per gate wide: [features, G·units], [units, G·units]).
   */
  weights: { args: Record<string, never>; result: { kernel: Shaped; recurrentKernel: Shaped; bias?: Shaped; layer: string; cell: CellType } };
  parity: { args: { settings: Settings }; result: { rows: ParityRow[]; inputShape: number[]; cancelled: boolean } };
  snapshot: { args: Record<string, never>; result: ModelSnapshot };
  /** Saves the model to `url` (`indexeddb://…`: core's atomic handler, the previous save survives a failure). */
  saveModel: { args: { url: string }; result: { bytes: number } };
  /**
   * Replaces the model with one loaded from `url` (a saved model) or from uploaded `files` (model.json + weights),
   * when its sizes fit `settings`; `epochsDone` is what the page recorded for it.
   */
  loadModel: { args: { settings: Settings; url?: string; files?: File[]; epochsDone: number }; result: ModelDescription };
  /** The model as files to download. */
  exportModel: { args: Record<string, never>; result: ModelFiles };
  /**
   * Trains a SimpleRNN, an LSTM and a GRU alike on the adding problem (T = seqLength, fresh batches, at most maxSteps
   * steps each), then returns each cell's test MSE and ∂loss/∂h_t on the same 32 test sequences, keyed by cell label.
   */
  longDependency: {
    args: { seqLength: number; maxSteps: number };
    result: { rows: LongDependencyRow[]; gradients: Record<string, Shaped> };
  };
  /** For the end-to-end test and the footer: a fingerprint of the weights, tensors held, the active backend. */
  debugState: {
    args: Record<string, never>;
    result: { weightsChecksum: number; epochsDone: number; backend: string; numTensors: number; model: ModelKind };
  };
}

export type CommandName = keyof Commands;

/** Progress reported while a command runs. */
export type WorkerEvent =
  | { event: 'epochBegin'; epoch: number; target: number; batches: number; backend: string }
  | { event: 'batchEnd'; batch: number; batches: number }
  | { event: 'epochEnd'; epochsDone: number; target: number; logs: Record<string, number>; probe: HiddenProbe }
  | { event: 'parityProgress'; backend: WebBackend; step: number; steps: number; what: string }
  | { event: 'parityRow'; row: ParityRow; info?: ReportedInfo }
  | { event: 'longDependencyProgress'; cell: LongDependencyRow['cell']; step: number; maxSteps: number; testMse: number };

/** Page → worker. */
export type Request = { [K in CommandName]: { id: number; command: K; args: Commands[K]['args'] } }[CommandName];

/** Worker → page: a result, a failure (with the error's class name kept), or progress. */
export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | WorkerEvent;
