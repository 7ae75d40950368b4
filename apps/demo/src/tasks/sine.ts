import { SeededRandom, type TaskData } from './random.js';

/** Options of {@link sineData}. */
export interface SineOptions {
  samples: number;
  seqLength: number;
  seed: number;
  /** Standard deviation of the Gaussian noise added to the wave. Default 0.1. */
  noise?: number;
  /** Wave period in timesteps. Default 16. */
  period?: number;
}

/**
 * Next-value forecasting of a noisy sine wave: each example is a window of `seqLength` consecutive values from
 * a long noisy series (one feature per step), and the label is the value that follows the window.
 */
export function sineData({ samples, seqLength, seed, noise = 0.1, period = 16 }: SineOptions): TaskData & { variance: number } {
  const rng = new SeededRandom(seed);
  const length = samples + seqLength + 1;
  const series = new Float32Array(length);
  for (let t = 0; t < length; t++) series[t] = Math.sin((2 * Math.PI * t) / period) + noise * rng.normal();
  const x = new Float32Array(samples * seqLength);
  const y = new Float32Array(samples);
  // Windows start at shuffled offsets so that a split by position is still a split in time per example.
  for (let n = 0; n < samples; n++) {
    x.set(series.subarray(n, n + seqLength), n * seqLength);
    y[n] = series[n + seqLength]!;
  }
  const mean = series.reduce((a, b) => a + b, 0) / length;
  const variance = series.reduce((a, b) => a + (b - mean) ** 2, 0) / length;
  return { x, y, variance, shape: { samples, seqLength, inputSize: 1, outputSize: 1 }, returnSequences: false };
}
