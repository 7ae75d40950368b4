// Timing, dispatch counting and peak memory, for whichever tfjs backend is active.
import * as tf from '@tensorflow/tfjs-core';
import type { RunPlan } from './configs.js';

/** Summary of one variant's timed runs (all times per run). */
export interface Timing {
  medianMs: number;
  minMs: number;
  q1Ms: number;
  q3Ms: number;
  /** Timed samples (after warm-up). */
  samples: number;
  /** Back-to-back runs per sample: fast runs are timed in groups that last ≥ plan.minSampleMs (browser timers
   * are coarse: 100 µs on a page that is not cross-origin isolated), and each sample is the group's mean. */
  runsPerSample: number;
  /** samples × runsPerSample */
  runs: number;
  warmupRuns: number;
  /** Every sample (per-run mean), in order, rounded to µs. */
  samplesMs: number[];
}

/** Dispatches of one run, counted at the backend. */
export interface Dispatches {
  /** Kernel functions the engine ran on the backend (registered kernels, fused ones included, once each). */
  kernels: number;
  /** webgl: shader programs run (`runWebGLProgram`), uploads and layout conversions included; else absent. */
  programs?: number;
  /** Whether every counted run had the same counts (they should: the bench runs the same graph each time). */
  stable: boolean;
}

/** Tensor memory during one run, as tf.profile reports it, tracked at the kernel registry. */
export interface PeakMemory {
  /** High-water mark of tf.memory().numBytes during the run, minus the bytes alive when it started. */
  peakBytesAboveStart: number;
  /** The high-water mark itself (weights, inputs and optimizer state included). */
  peakBytes: number;
  /** Tensor bytes a run left behind (0 unless something leaks; optimizer slots appear on the first step). */
  newBytes: number;
}

export interface VariantResult {
  timing: Timing;
  dispatches: Dispatches;
  memory: PeakMemory;
  /**
   * The variant was too slow for the plan (or the worker's time was up), so its time is ONE cold run: the
   * first, which also compiles shaders and uploads weights on webgl.
   */
  coldOnly: boolean;
}

/** A variant to time: one forward pass or one training step, results read back to the CPU inside `run`. */
export interface Variant {
  name: string;
  run: () => Promise<void>;
}

/** What the counter saw during one run. */
interface RunCounts {
  kernels: number;
  programs: number;
  peakBytes: number;
  startBytes: number;
  endBytes: number;
}

const now = (): number => performance.now();

/** The engine's live tensor byte count (what tf.memory().numBytes reports, without building its object). */
function liveBytes(): number {
  return (tf.engine() as unknown as { state: { numBytes: number } }).state.numBytes;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Counts kernels (each registered kernel's function is wrapped) and, on webgl, shader programs (the backend
 * instance's `runWebGLProgram`), and follows the tensor-bytes high-water mark the way tf.profile computes its
 * `peakBytes` (live bytes right after each kernel's outputs exist) without tf.profile's per-kernel timers,
 * which on webgl read every output back. Install after every kernel is registered.
 */
export class DispatchCounter {
  private kernels = 0;
  private programs = 0;
  private peak = 0;
  private readonly restore: (() => void)[] = [];

  /**
   * `outsideTensors`: bytes the backend holds outside tensors that belong to the run (wasm's saved gate values,
   * backend-wasm's `savedGateBytes`), added to the high-water mark.
   */
  constructor(
    readonly backendName: string,
    private readonly outsideTensors: () => number = () => 0,
  ) {}

  install(): void {
    if (this.restore.length > 0) return;
    for (const config of tf.getKernelsForBackend(this.backendName)) {
      const original = config.kernelFunc;
      const mutable = config as { kernelFunc: tf.KernelFunc };
      mutable.kernelFunc = (args) => {
        this.kernels++;
        const out = original(args);
        // The engine adds each output's size × bytes per element to numBytes right after this returns.
        let added = 0;
        for (const info of Array.isArray(out) ? out : [out]) {
          added += info.shape.reduce((a, b) => a * b, 1) * (BYTES_PER_ELEMENT[info.dtype] ?? 0);
        }
        this.peak = Math.max(this.peak, liveBytes() + added + this.outsideTensors());
        return out;
      };
      this.restore.push(() => (mutable.kernelFunc = original));
    }
    const backend = tf.backend() as unknown as Record<string, unknown>;
    if (this.backendName === 'webgl' && typeof backend.runWebGLProgram === 'function') {
      const original = backend.runWebGLProgram as (...args: unknown[]) => unknown;
      // An own property shadows the prototype method for every caller, the backend's own methods included.
      backend.runWebGLProgram = (...args: unknown[]) => {
        this.programs++;
        return original.apply(backend, args);
      };
      this.restore.push(() => delete backend.runWebGLProgram);
    }
  }

  uninstall(): void {
    for (const undo of this.restore.splice(0)) undo();
  }

  /** Runs `fn` once and returns its wall time and what was counted during it. */
  async measure(fn: () => Promise<void>): Promise<{ ms: number; counts: RunCounts }> {
    const kernels = this.kernels;
    const programs = this.programs;
    const startBytes = liveBytes();
    this.peak = startBytes;
    const start = now();
    await fn();
    const ms = now() - start;
    return {
      ms,
      counts: { kernels: this.kernels - kernels, programs: this.programs - programs, peakBytes: this.peak, startBytes, endBytes: liveBytes() },
    };
  }
}

/**
 * Times variants side by side: warm-up, then timed runs taken in round-robin (A, B, C, A, B, C, …) so that load
 * from other processes lands on every variant alike. Each variant's run count follows its own speed and the
 * plan; a variant whose cold run exceeds `plan.coldOnlyMs` keeps that one run. Dispatches and peak bytes are
 * counted on the timed runs.
 */
export async function timeVariants(
  variants: readonly Variant[],
  plan: RunPlan,
  counter: DispatchCounter,
): Promise<Record<string, VariantResult>> {
  interface State {
    warmupRuns: number;
    target: number;
    batch: number;
    samples: number[];
    counts: RunCounts[];
    coldOnly: boolean;
  }
  const state = new Map<string, State>();
  counter.install();
  try {
    for (const v of variants) {
      // Warm-up: the first run compiles shaders, uploads weights and fills caches.
      const cold = await counter.measure(v.run);
      if (cold.ms > plan.coldOnlyMs) {
        // Too slow for repeated runs. A first run can be mostly shader compilation (webgl), so a second one is
        // the sample unless the first was so slow that one more would not fit (or the time budget is spent).
        if (cold.ms > plan.coldOnlyMs * 3 || plan.coldOnlyMs === 0) {
          state.set(v.name, { warmupRuns: 0, target: 1, batch: 1, samples: [cold.ms], counts: [cold.counts], coldOnly: true });
        } else {
          const second = await counter.measure(v.run);
          state.set(v.name, { warmupRuns: 1, target: 1, batch: 1, samples: [second.ms], counts: [second.counts], coldOnly: false });
        }
        continue;
      }
      // The first run may be mostly one-time work (shader compilation): the second is the speed estimate, and
      // the first timed sample when the variant is slow enough to need no further warm-up.
      const second = await counter.measure(v.run);
      let warmupRuns = 1;
      let estimateMs = second.ms;
      if (estimateMs >= Math.max(plan.warmupFastMs, plan.minSampleMs)) {
        state.set(v.name, { warmupRuns, target: runCount(estimateMs, plan), batch: 1, samples: [second.ms], counts: [second.counts], coldOnly: false });
        continue;
      }
      warmupRuns++;
      while (warmupRuns < plan.maxWarmupRuns && estimateMs < plan.warmupFastMs) {
        const start = now();
        await v.run();
        estimateMs = now() - start;
        warmupRuns++;
      }
      if (estimateMs < plan.minSampleMs) {
        // Too short for the clock (100 µs steps in a page that is not cross-origin isolated): calibrate on a group.
        let runs = 0;
        const start = now();
        do {
          await v.run();
          runs++;
        } while (now() - start < plan.minSampleMs && runs < 100_000);
        estimateMs = (now() - start) / runs;
        warmupRuns += runs;
      }
      const batch = Math.max(1, Math.ceil(plan.minSampleMs / Math.max(estimateMs, 1e-3)));
      state.set(v.name, { warmupRuns, target: runCount(estimateMs * batch, plan), batch, samples: [], counts: [], coldOnly: false });
    }

    for (;;) {
      let ran = false;
      for (const v of variants) {
        const s = state.get(v.name)!;
        if (s.samples.length >= s.target) continue;
        const { ms, counts } = await counter.measure(s.batch === 1 ? v.run : repeat(v.run, s.batch));
        s.samples.push(ms / s.batch);
        s.counts.push({ ...counts, kernels: counts.kernels / s.batch, programs: counts.programs / s.batch });
        ran = true;
      }
      if (!ran) break;
    }
  } finally {
    counter.uninstall();
  }

  const out: Record<string, VariantResult> = {};
  for (const v of variants) {
    const s = state.get(v.name)!;
    const first = s.counts[0]!;
    const dispatches: Dispatches = {
      kernels: first.kernels,
      stable: s.counts.every((c) => c.kernels === first.kernels && c.programs === first.programs),
    };
    if (counter.backendName === 'webgl') dispatches.programs = first.programs;
    const peak = s.counts.reduce((best, c) => (c.peakBytes - c.startBytes > best.peakBytes - best.startBytes ? c : best), first);
    const memory: PeakMemory = {
      peakBytesAboveStart: peak.peakBytes - peak.startBytes,
      peakBytes: peak.peakBytes,
      newBytes: s.counts.at(-1)!.endBytes - s.counts.at(-1)!.startBytes,
    };
    out[v.name] = { timing: summarize(s.samples, s.warmupRuns, s.batch), dispatches, memory, coldOnly: s.coldOnly };
  }
  return out;
}

function repeat(fn: () => Promise<void>, times: number): () => Promise<void> {
  return async () => {
    for (let i = 0; i < times; i++) await fn();
  };
}

/** Timed samples for a variant whose warm sample takes `estimateMs` (see RunPlan). */
export function runCount(estimateMs: number, plan: RunPlan): number {
  const t = Math.max(estimateMs, 1e-3);
  let n = Math.min(plan.maxRuns, Math.max(plan.minRuns, Math.round(plan.budgetMs / t)));
  if (n * t > plan.hardCapMs) n = Math.max(plan.minSlowRuns, Math.floor(plan.hardCapMs / t));
  return n;
}

export function summarize(samples: readonly number[], warmupRuns: number, runsPerSample = 1): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    minMs: sorted[0]!,
    q1Ms: quantile(sorted, 0.25),
    q3Ms: quantile(sorted, 0.75),
    samples: samples.length,
    runsPerSample,
    runs: samples.length * runsPerSample,
    warmupRuns,
    samplesMs: samples.map((s) => Math.round(s * 1000) / 1000),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The backend's large-matmul throughput (see {@link MatmulPeak.measure}). */
export interface MatmulResult {
  size: number;
  /** 2·n³ / the fastest run: the backend's best, which a model's share is compared with. */
  gflops: number;
  /** Every timed run, from each call of `measure` (the worker measures at its start and at its end). */
  samplesMs: number[];
}

/**
 * The backend's own large-matmul throughput: a square tf.matMul of `size`, the product read back through a 1×1
 * slice (so the transfer does not count). Measured more than once per worker (start and end) and the fastest
 * run kept, so that a burst of load from other processes does not pass for the backend's peak.
 */
export class MatmulPeak {
  private readonly samples: number[] = [];

  constructor(readonly size: number) {}

  async measure(plan: RunPlan): Promise<void> {
    const a = tf.randomNormal([this.size, this.size], 0, 1, 'float32', 1);
    const b = tf.randomNormal([this.size, this.size], 0, 1, 'float32', 2);
    const run = async () => {
      const corner = tf.tidy(() => tf.slice(tf.matMul(a, b), [0, 0], [1, 1]));
      await corner.data();
      corner.dispose();
    };
    try {
      let start = now();
      await run(); // warm-up (shader compile, XNNPACK weight packing)
      const estimate = now() - start;
      const runs = estimate > 1000 ? Math.max(plan.minSlowRuns, 2) : Math.max(Math.min(plan.minRuns, 5), Math.min(20, Math.round(plan.budgetMs / estimate)));
      for (let i = 0; i < runs; i++) {
        start = now();
        await run();
        this.samples.push(now() - start);
      }
    } finally {
      tf.dispose([a, b]);
    }
  }

  result(): MatmulResult {
    const best = Math.min(...this.samples);
    return { size: this.size, gflops: (2 * this.size ** 3) / (best * 1e6), samplesMs: this.samples.map((s) => Math.round(s * 1000) / 1000) };
  }
}
