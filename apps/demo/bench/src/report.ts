// Turns the workers' BackendReports into the one table the bench prints (markdown) and the JSON it writes.
import { CELL_LABELS, FULL_PLAN, type BenchCell, type ConfigName } from './configs.js';
import type { VariantResult } from './measure.js';
import type { OrtResult } from './ort.js';
import type { BackendReport, ConfigResult } from './suite.js';

/** A worker that failed: its variant and why. */
export interface FailedWorker {
  variant: string;
  error: string;
}

/** One table row, as numbers (the JSON keeps these; the markdown formats them). */
export interface Row {
  environment: string;
  backend: string;
  variant: string;
  cell: BenchCell;
  config: ConfigName;
  shape: string;
  oursFwdMs: number;
  layersFwdMs: number;
  fwdSpeedup: number;
  ortFwdMs: number | null;
  ortSpeedup: number | null;
  ortRuns: number;
  ortCold: boolean;
  ortNote?: string;
  /** Native ONNX Runtime (onnxruntime-node, cpu provider, 1 thread): Node rows only. */
  ortNativeFwdMs: number | null;
  ortNativeSpeedup: number | null;
  ortNativeRuns: number;
  ortNativeCold: boolean;
  ortNativeNote?: string;
  /** Why tfjs-layers has no numbers (it cannot run the case). */
  layersNote?: string;
  oursTrainMs: number;
  layersTrainMs: number;
  trainSpeedup: number;
  unfusedFwdMs: number | null;
  unfusedTrainMs: number | null;
  /** Why the fused-off training step was not timed (see ConfigResult.unfusedTrainSkipped). */
  unfusedTrainSkipped?: string;
  gflopsFwd: number;
  gflopsTrain: number;
  matmulGflops: number;
  peakShareFwd: number;
  peakShareTrain: number;
  dispatchesOurs: [number, number];
  dispatchesLayers: [number, number];
  dispatchUnit: 'programs' | 'kernels';
  peakBytesFwd: [number, number];
  peakBytesTrain: [number, number];
  /** Timed samples behind each median: ours fwd, layers fwd, ours train, layers train, fused off fwd, fused off train. */
  runs: [number, number, number, number, number, number];
  /** Which of those are a single cold run (see VariantResult.coldOnly). */
  cold: [boolean, boolean, boolean, boolean, boolean, boolean];
  layersMaxAbsDiff: number;
}

export function environmentLabel(report: BackendReport, chromium: string | undefined): string {
  return report.variant.startsWith('node') ? `Node ${String(report.environment.runtime ?? '').replace('Node ', '')}` : `Chromium ${chromium ?? ''}`.trim();
}

export function backendLabel(report: BackendReport): string {
  const { info } = report;
  if (info.name === 'wasm') {
    const threads = info.threads ?? 1;
    return `wasm (${info.simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
  }
  if (info.name === 'webgl') {
    const renderer = String(report.environment.webglRenderer ?? '');
    const soft = /swiftshader/i.test(renderer) ? ', SwiftShader' : '';
    return `webgl (WebGL${info.webglVersion ?? '?'}${soft})`;
  }
  return info.name;
}

/** Rows for every backend report; ORT numbers come from the report in the same environment that ran ORT. */
export function buildRows(reports: readonly BackendReport[], chromium: string | undefined): Row[] {
  const ortByKey = new Map<string, OrtResult>();
  const nativeByKey = new Map<string, OrtResult>();
  const key = (r: BackendReport, c: ConfigResult) => `${r.variant.startsWith('node') ? 'node' : 'browser'} ${c.cell ?? 'simpleRNN'} ${c.config}`;
  for (const r of reports) {
    for (const c of r.results) {
      if (c.ort !== undefined) ortByKey.set(key(r, c), c.ort);
      if (c.ortNative !== undefined) nativeByKey.set(key(r, c), c.ortNative);
    }
  }
  const rows: Row[] = [];
  for (const r of reports) {
    for (const c of r.results) rows.push(row(r, c, ortByKey.get(key(r, c)), nativeByKey.get(key(r, c)), chromium));
  }
  return rows;
}

function row(r: BackendReport, c: ConfigResult, ort: OrtResult | undefined, native: OrtResult | undefined, chromium: string | undefined): Row {
  const fwd = c.forward;
  const train = c.train;
  const ms = (v: VariantResult | undefined) => v?.timing.medianMs ?? NaN;
  const dispatch = (v: VariantResult | undefined) => (v === undefined ? NaN : (v.dispatches.programs ?? v.dispatches.kernels));
  const gflopsFwd = c.forwardFlops / (ms(fwd.ours) * 1e6);
  const gflopsTrain = c.trainFlops / (ms(train.ours) * 1e6);
  const ortMs = ort?.timing?.medianMs ?? null;
  const nativeMs = native?.timing?.medianMs ?? null;
  const out: Row = {
    environment: environmentLabel(r, chromium),
    backend: backendLabel(r),
    variant: r.variant,
    cell: c.cell ?? 'simpleRNN',
    config: c.config,
    shape: c.shape,
    oursFwdMs: ms(fwd.ours),
    layersFwdMs: ms(fwd.layers),
    fwdSpeedup: ms(fwd.layers) / ms(fwd.ours),
    ortFwdMs: ortMs,
    ortSpeedup: ortMs === null ? null : ortMs / ms(fwd.ours),
    ortRuns: ort?.timing?.samples ?? 0,
    ortCold: ort?.coldOnly ?? false,
    ortNativeFwdMs: nativeMs,
    ortNativeSpeedup: nativeMs === null ? null : nativeMs / ms(fwd.ours),
    ortNativeRuns: native?.timing?.samples ?? 0,
    ortNativeCold: native?.coldOnly ?? false,
    oursTrainMs: ms(train.ours),
    layersTrainMs: ms(train.layers),
    trainSpeedup: ms(train.layers) / ms(train.ours),
    unfusedFwdMs: fwd.oursUnfused ? ms(fwd.oursUnfused) : null,
    unfusedTrainMs: train.oursUnfused ? ms(train.oursUnfused) : null,
    gflopsFwd,
    gflopsTrain,
    matmulGflops: r.matmul.gflops,
    peakShareFwd: gflopsFwd / r.matmul.gflops,
    peakShareTrain: gflopsTrain / r.matmul.gflops,
    dispatchesOurs: [dispatch(fwd.ours), dispatch(train.ours)],
    dispatchesLayers: [dispatch(fwd.layers), dispatch(train.layers)],
    dispatchUnit: r.backend === 'webgl' ? 'programs' : 'kernels',
    peakBytesFwd: [fwd.ours?.memory.peakBytesAboveStart ?? NaN, fwd.layers?.memory.peakBytesAboveStart ?? NaN],
    peakBytesTrain: [train.ours?.memory.peakBytesAboveStart ?? NaN, train.layers?.memory.peakBytesAboveStart ?? NaN],
    runs: [fwd.ours, fwd.layers, train.ours, train.layers, fwd.oursUnfused, train.oursUnfused].map((v) => v?.timing.samples ?? 0) as Row['runs'],
    cold: [fwd.ours, fwd.layers, train.ours, train.layers, fwd.oursUnfused, train.oursUnfused].map((v) => v?.coldOnly ?? false) as Row['cold'],
    layersMaxAbsDiff: c.layersMaxAbsDiff,
  };
  if (ort?.error !== undefined) out.ortNote = ort.error;
  if (native?.error !== undefined) out.ortNativeNote = native.error;
  if (c.layersNote !== undefined) out.layersNote = c.layersNote;
  if (c.unfusedTrainSkipped !== undefined) out.unfusedTrainSkipped = c.unfusedTrainSkipped;
  return out;
}

const HEADER = [
  'environment',
  'backend',
  'cell',
  'config',
  'ours fwd ms',
  'tfjs-layers fwd ms',
  'speedup',
  'ORT fwd ms',
  'ORT/ours',
  'native ORT fwd ms',
  'native/ours',
  'ours train ms',
  'tfjs-layers train ms',
  'speedup',
  'fused off fwd / train ms',
  'GFLOP/s fwd / train',
  '% of matmul peak fwd / train',
  'dispatches ours fwd / train',
  'dispatches layers fwd / train',
  'peak bytes fwd ours / layers',
  'peak bytes train ours / layers',
];

/** The markdown table, one row per backend and config, failed workers as rows that say why. */
export function markdownTable(rows: readonly Row[], failed: readonly FailedWorker[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i < 4 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) {
    const t = (value: number | null, i: number) => (value === null ? 'n/a' : ms(value, r.runs[i]!, r.cold[i]!));
    // tfjs-layers cannot run the case (GRU resetAfter): say so instead of n/a.
    const l = (value: string) => (r.layersNote === undefined ? value : 'cannot run§');
    const cells = [
      r.environment,
      r.backend,
      CELL_LABELS[r.cell],
      `${r.config} ${r.shape}`,
      t(r.oursFwdMs, 0),
      l(t(r.layersFwdMs, 1)),
      l(times(r.fwdSpeedup)),
      r.ortFwdMs === null ? (r.ortNote ? 'n/a‡' : '—') : ms(r.ortFwdMs, r.ortRuns, r.ortCold),
      r.ortSpeedup === null ? '—' : times(r.ortSpeedup),
      r.ortNativeFwdMs === null ? (r.ortNativeNote ? 'n/a‡' : '—') : ms(r.ortNativeFwdMs, r.ortNativeRuns, r.ortNativeCold),
      r.ortNativeSpeedup === null ? '—' : times(r.ortNativeSpeedup),
      t(r.oursTrainMs, 2),
      l(t(r.layersTrainMs, 3)),
      l(times(r.trainSpeedup)),
      r.unfusedFwdMs === null ? 'no fused kernel' : `${t(r.unfusedFwdMs, 4)} / ${r.unfusedTrainSkipped !== undefined ? 'not timed¶' : t(r.unfusedTrainMs, 5)}`,
      `${num(r.gflopsFwd)} / ${num(r.gflopsTrain)}`,
      `${pct(r.peakShareFwd)} / ${pct(r.peakShareTrain)}`,
      `${r.dispatchesOurs[0]} / ${r.dispatchesOurs[1]}`,
      l(`${r.dispatchesLayers[0]} / ${r.dispatchesLayers[1]}`),
      `${bytes(r.peakBytesFwd[0])} / ${l(bytes(r.peakBytesFwd[1]))}`,
      `${bytes(r.peakBytesTrain[0])} / ${l(bytes(r.peakBytesTrain[1]))}`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  for (const f of failed) {
    const cells = HEADER.map(() => '');
    cells[0] = f.variant;
    cells[1] = `failed: ${f.error.split('\n')[0]!.replaceAll('|', '\\|').slice(0, 200)}`;
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What the columns mean, printed under the table. */
export function legend(rows: readonly Row[]): string[] {
  const notes = [
    'Times are medians per run after warm-up; results are read back to the CPU inside every timed run. Samples of ours, tfjs-layers, "fused off" (and ORT) alternate (A, B, C, A, B, C, …); runs shorter than 5 ms are timed in back-to-back groups of ≥ 5 ms (2 ms with --quick) per sample, since browser timers are coarse (100 µs without cross-origin isolation).',
    '† fewer than 10 timed samples (cells slower than ~0.5 s are capped at ~5 s of runs; --quick caps all). A variant whose first run exceeds 5 s (1 s with --quick) gets one more run as its only sample; * one cold run only: the first run exceeded 3× that, or the worker had spent its share of the time budget (on webgl a cold run includes shader compilation).',
    'speedup = tfjs-layers time / ours; ORT/ours = ONNX Runtime Web time / ours (ORT: wasm, 1 thread, same weights, output checked against ours within 1e-4; in the browser it ran on the plain wasm page and is repeated on every browser row, in Node likewise); native/ours = native ONNX Runtime (onnxruntime-node, cpu execution provider, 1 intra-op thread, same graph and check) time / ours, timed in the node-wasm process and repeated on every Node row: the practical limit on this CPU.',
    'Cells: SimpleRNN is the BasicRNN preset; LSTM and GRU are sequential([lstm | gru, dense]) with sigmoid gates on both sides (tfjs-layers gets recurrentActivation sigmoid explicitly). GRU is Keras 2\'s resetAfter: false (tfjs-layers\' only form); § GRU resetAfter (Keras 3\'s default, ONNX linear_before_reset = 1) is timed for ours and ORT only: tfjs-layers\' GRUCell refuses reset_after = true.',
    'GFLOP/s counts 2·B·T·G·(I·H + H·H) + 2·B·H·O per forward pass (G gate blocks: SimpleRNN 1, LSTM 4, GRU 3; gate element-wise work not counted) and 3× that per training step; % of matmul peak divides by the same backend\'s large square tf.matMul throughput measured in the same worker, fastest run before and after the configs (1024×1024; 512×512 on cpu, where 1024² takes seconds per run).',
    'dispatches: shader programs run on webgl (runWebGLProgram, uploads and layout conversions included), kernel calls on wasm and cpu (counted at the kernel registry, a fused kernel once).',
    'peak bytes: tf.memory().numBytes high-water mark during one call, above the bytes alive before it (weights, inputs and optimizer state excluded); taken as tf.profile takes peakBytes (live bytes after each kernel), at the kernel registry, during the timed runs.',
    'Training step: Adam (lr 1e-3, epsilon 1e-7) on mean squared error, trainOnBatch, then the last weight read back so that the optimizer update is inside the timing for both libraries.',
  ];
  const ortNotes = [
    ...new Set([
      ...rows.filter((r) => r.ortNote).map((r) => `ORT Web, ${r.environment} ${CELL_LABELS[r.cell]} ${r.config}: ${r.ortNote}`),
      ...rows.filter((r) => r.ortNativeNote).map((r) => `native ORT, ${r.environment} ${CELL_LABELS[r.cell]} ${r.config}: ${r.ortNativeNote}`),
    ]),
  ];
  if (ortNotes.length > 0) notes.push(`‡ ORT not timed: ${ortNotes.join('; ')}`);
  if (rows.some((r) => r.unfusedTrainSkipped !== undefined)) {
    notes.push(
      '¶ "fused off" (core\'s composite path, a diagnostic) had its training step not timed where its forward got one cold run only (over 15 s, 3 s with --quick, or past the worker\'s share of the time budget): the step takes ~3× the forward.',
    );
  }
  return notes;
}

function ms(v: number, runs: number, cold = false): string {
  if (!Number.isFinite(v)) return 'n/a';
  const text = v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
  if (cold) return `${text}*`;
  return runs < FULL_PLAN.minRuns ? `${text}†` : text;
}

function times(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)}×`;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1);
}

function pct(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

function bytes(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / 1024 / 1024).toFixed(1)} MiB`;
}
