import { SeededRandom, type TaskData } from './random.js';

/** Options of {@link markerData}. */
export interface MarkerOptions {
  samples: number;
  seqLength: number;
  inputSize: number;
  seed: number;
}

/**
 * A classification that needs memory across time: a marker (a spike of +2 or −2 on feature 0) appears at a
 * random step in the first half of the sequence, then only noise follows. The label is 1 for a positive marker,
 * 0 for a negative one, so the network must carry what it saw through the rest of the sequence.
 */
export function markerData({ samples, seqLength, inputSize, seed }: MarkerOptions): TaskData {
  const rng = new SeededRandom(seed);
  const x = new Float32Array(samples * seqLength * inputSize);
  const y = new Float32Array(samples);
  for (let i = 0; i < x.length; i++) x[i] = 0.3 * rng.normal();
  const half = Math.max(1, Math.floor(seqLength / 2));
  for (let n = 0; n < samples; n++) {
    const positive = rng.uniform() < 0.5;
    const step = rng.int(half);
    x[(n * seqLength + step) * inputSize] = positive ? 2 : -2;
    y[n] = positive ? 1 : 0;
  }
  return { x, y, shape: { samples, seqLength, inputSize, outputSize: 1 }, returnSequences: false };
}

/**
 * Sequence to sequence: the label at each step is 1 when the running sum of the inputs so far is positive.
 * Used with `returnSequences: true`.
 */
export function runningSignData({ samples, seqLength, seed }: Omit<MarkerOptions, 'inputSize'>): TaskData {
  const rng = new SeededRandom(seed);
  const x = new Float32Array(samples * seqLength);
  const y = new Float32Array(samples * seqLength);
  for (let n = 0; n < samples; n++) {
    let sum = 0;
    for (let t = 0; t < seqLength; t++) {
      const v = rng.normal();
      sum += v;
      x[n * seqLength + t] = v;
      y[n * seqLength + t] = sum > 0 ? 1 : 0;
    }
  }
  return { x, y, shape: { samples, seqLength, inputSize: 1, outputSize: 1 }, returnSequences: true };
}
