import { SeededRandom, type TaskData } from './random.js';

/** Options of {@link forecastData}. */
export interface ForecastOptions {
  samples: number;
  seqLength: number;
  /** Related series per step (input features); series 0 is the one forecast. */
  inputSize: number;
  /** Forecast horizon k: the next k values of series 0 (the output size). */
  horizon: number;
  seed: number;
  /** A label per step: the next k values after every step (for `returnSequences`). */
  perStep?: boolean;
  /** Standard deviation of the Gaussian noise on every series. Default 0.1. */
  noise?: number;
}

/**
 * k-step forecasting from several related series. A driver signal (two sines, periods 16 and 37 steps) is
 * observed through `inputSize` noisy series: series i shows the driver i steps ahead, scaled by its own gain, so
 * the other series are leading indicators of series 0. The label is the next `horizon` values of series 0 after
 * the window. Every size means something: input size = how many series, output size = how far ahead, sequence
 * length = how much history.
 */
export function forecastData({ samples, seqLength, inputSize, horizon, seed, perStep = false, noise = 0.1 }: ForecastOptions): TaskData & { variance: number } {
  const rng = new SeededRandom(seed);
  const driver = (t: number) => Math.sin((2 * Math.PI * t) / 16) + 0.5 * Math.sin((2 * Math.PI * t) / 37);
  const gains = Float64Array.from({ length: inputSize }, (_, i) => (i === 0 ? 1 : 0.5 + rng.uniform()));
  const length = samples + seqLength + horizon;
  const series = new Float32Array(length * inputSize);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < inputSize; i++) series[t * inputSize + i] = gains[i]! * driver(t + i) + noise * rng.normal();
  }
  const x = new Float32Array(samples * seqLength * inputSize);
  const steps = perStep ? seqLength : 1;
  const y = new Float32Array(samples * steps * horizon);
  for (let n = 0; n < samples; n++) {
    x.set(series.subarray(n * inputSize, (n + seqLength) * inputSize), n * seqLength * inputSize);
    for (let s = 0; s < steps; s++) {
      // The label at step t is series 0 at t + 1 … t + k (per step), or after the last step (one per window).
      const last = n + (perStep ? s : seqLength - 1);
      for (let j = 0; j < horizon; j++) y[(n * steps + s) * horizon + j] = series[(last + 1 + j) * inputSize]!;
    }
  }
  let mean = 0;
  for (let t = 0; t < length; t++) mean += series[t * inputSize]! / length;
  let variance = 0;
  for (let t = 0; t < length; t++) variance += (series[t * inputSize]! - mean) ** 2 / length;
  return { x, y, variance, shape: { samples, seqLength, inputSize, outputSize: horizon }, returnSequences: perStep };
}
