// The benchmark's model shapes, its run plans (how many runs a cell gets) and its flop counts.

/** One model shape: batch, steps, input size, hidden size, output size. */
export interface BenchConfig {
  name: ConfigName;
  batch: number;
  steps: number;
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
}

export const CONFIG_NAMES = ['S', 'M', 'L', 'Long'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

/** S, M, L from the issue, and a long sequence; one output unit (the seed's Dense(1) head). */
export const CONFIGS: Record<ConfigName, BenchConfig> = {
  S: { name: 'S', batch: 1, steps: 50, inputSize: 8, hiddenSize: 32, outputSize: 1 },
  M: { name: 'M', batch: 32, steps: 20, inputSize: 10, hiddenSize: 64, outputSize: 1 },
  L: { name: 'L', batch: 64, steps: 100, inputSize: 32, hiddenSize: 256, outputSize: 1 },
  Long: { name: 'Long', batch: 8, steps: 1000, inputSize: 16, hiddenSize: 128, outputSize: 1 },
};

/** `S,m,long` → ['S', 'M', 'Long']; throws on an unknown name. */
export function parseConfigNames(list: string): ConfigName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return names.map((raw) => {
    const hit = CONFIG_NAMES.find((n) => n.toLowerCase() === raw.toLowerCase());
    if (hit === undefined) throw new Error(`--configs: unknown config ${JSON.stringify(raw)}; expected some of ${CONFIG_NAMES.join(', ')}`);
    return hit;
  });
}

/** `B1·T50·I8·H32` */
export function describeConfig(c: BenchConfig): string {
  return `B${c.batch}·T${c.steps}·I${c.inputSize}·H${c.hiddenSize}`;
}

/**
 * The recurrent models the bench times. `gru` is Keras 2's reset-before form (`resetAfter: false`), the only one
 * tfjs-layers runs; `gruResetAfter` is Keras 3's default (`resetAfter: true`, ONNX `linear_before_reset = 1`),
 * timed for ours and ONNX Runtime only, since tfjs-layers refuses it.
 */
export const BENCH_CELLS = ['simpleRNN', 'lstm', 'gru', 'gruResetAfter'] as const;
export type BenchCell = (typeof BENCH_CELLS)[number];

/** How a cell is named in the table. */
export const CELL_LABELS: Record<BenchCell, string> = {
  simpleRNN: 'SimpleRNN',
  lstm: 'LSTM',
  gru: 'GRU',
  gruResetAfter: 'GRU resetAfter',
};

/** Gate blocks per cell: the weight matrices are [I, G·H] and [H, G·H]. */
export const CELL_GATES: Record<BenchCell, number> = { simpleRNN: 1, lstm: 4, gru: 3, gruResetAfter: 3 };

/** `simpleRNN,lstm,gru` → the cells to run; `gru` means both GRU forms. Throws on an unknown name. */
export function parseCellNames(list: string): BenchCell[] {
  const names = list.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  const out = new Set<BenchCell>();
  for (const raw of names) {
    if (raw === 'gru') {
      out.add('gru');
      out.add('gruResetAfter');
      continue;
    }
    const hit = BENCH_CELLS.find((n) => n.toLowerCase() === raw);
    if (hit === undefined) throw new Error(`--cells: unknown cell ${JSON.stringify(raw)}; expected some of simpleRNN, lstm, gru (both GRU forms), gruResetAfter`);
    out.add(hit);
  }
  return BENCH_CELLS.filter((c) => out.has(c));
}

/**
 * Forward flops: 2·B·T·G·(I·H + H·H) for the recurrence (G gate blocks: 1, LSTM 4, GRU 3) plus 2·B·H·O for the
 * head; the gates' element-wise work is not counted (it is small beside the products and not matmul work).
 */
export function forwardFlops(c: BenchConfig, cell: BenchCell = 'simpleRNN'): number {
  const { batch: b, steps: t, inputSize: i, hiddenSize: h, outputSize: o } = c;
  return 2 * b * t * CELL_GATES[cell] * (i * h + h * h) + 2 * b * h * o;
}

/** A training step counts as ~3× the forward pass (forward, then gradients for activations and for weights). */
export function trainFlops(c: BenchConfig, cell: BenchCell = 'simpleRNN'): number {
  return 3 * forwardFlops(c, cell);
}

/**
 * How many runs a cell gets. After the warm-up, a variant whose sample (one run, or a group of back-to-back runs
 * lasting ≥ minSampleMs) takes t ms gets clamp(round(budgetMs / t), minRuns, maxRuns) timed samples; if that
 * would take longer than hardCapMs, it gets max(minSlowRuns, floor(hardCapMs / t)) instead (slow peers, e.g.
 * tfjs-layers on a 1000-step sequence), and one whose cold first run exceeds coldOnlyMs keeps just that run.
 */
export interface RunPlan {
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
  hardCapMs: number;
  minSlowRuns: number;
  /** Untimed warm-up runs while a run is faster than warmupFastMs (at least one always). */
  maxWarmupRuns: number;
  warmupFastMs: number;
  /** A variant whose first (cold) run takes longer than this keeps that one run as its time. */
  coldOnlyMs: number;
  /** Runs faster than this are timed back to back in groups lasting at least this long (timer resolution). */
  minSampleMs: number;
}

export const FULL_PLAN: RunPlan = {
  budgetMs: 1500,
  minRuns: 10,
  maxRuns: 200,
  hardCapMs: 5000,
  minSlowRuns: 1,
  maxWarmupRuns: 3,
  warmupFastMs: 100,
  coldOnlyMs: 5000,
  minSampleMs: 5,
};

export const QUICK_PLAN: RunPlan = {
  budgetMs: 150,
  minRuns: 3,
  maxRuns: 15,
  hardCapMs: 1000,
  minSlowRuns: 1,
  maxWarmupRuns: 1,
  warmupFastMs: 0,
  coldOnlyMs: 1000,
  minSampleMs: 2,
};

/** Once a worker's share of the time budget is spent, every remaining variant gets one cold run. */
export function outOfTime(plan: RunPlan): RunPlan {
  return { ...plan, coldOnlyMs: 0 };
}

/**
 * The browser and Node variants the bench knows. `browser-wasm-2threads` (the threaded build with 2 threads, and the
 * fused kernels on 2 threads) runs only when asked with `--variants`.
 */
export const VARIANTS = ['node-cpu', 'node-wasm', 'browser-wasm', 'browser-wasm-threads', 'browser-webgl', 'browser-wasm-2threads'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The variants a run without `--variants` takes. */
export const DEFAULT_VARIANTS: readonly Variant[] = VARIANTS.filter((v) => v !== 'browser-wasm-2threads');

/** The cross-origin isolated variants (tfjs's threaded build) and the thread count each asks of it. */
export const THREADED_VARIANTS: Partial<Record<Variant, number>> = { 'browser-wasm-threads': 4, 'browser-wasm-2threads': 2 };

/** What one worker (a Node process or a browser page) is asked to run. */
export interface WorkerRequest {
  variant: Variant;
  configs: ConfigName[];
  cells: BenchCell[];
  quick: boolean;
  /** Also time ONNX Runtime Web (wasm, one thread) in this worker. */
  ort: boolean;
  /** Also time native ONNX Runtime (onnxruntime-node, cpu provider) in this worker (Node only). */
  ortNative?: boolean;
  /** Epoch ms after which the worker stops taking repeated runs (see outOfTime). */
  deadline: number;
  /**
   * Threaded variants: `configureWasm({ kernelThreads })`, the threads the fused kernels split a call across
   * (default: the variant's thread count; 1 measures the threaded build with the kernels on one thread). From the
   * BENCH_KERNEL_THREADS environment variable.
   */
  kernelThreads?: number;
}
