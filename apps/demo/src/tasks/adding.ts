import { SeededRandom, type TaskData } from './random.js';

/** Options of {@link addingData}. */
export interface AddingOptions {
  samples: number;
  seqLength: number;
  seed: number;
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015), the classic test of a long
 * dependency: every step has two features, a value drawn uniformly from [0, 1] and a marker that is 1 at exactly
 * two steps (one in the first half of the sequence, one in the second) and 0 elsewhere. The label is the sum of the
 * two marked values. Predicting the mean (1) gives an MSE of Var(u₁ + u₂) = 2/12 ≈ 0.167, so a model that forgets
 * the first marked value stays near there; one that carries it across ~T/2 steps goes towards 0.
 */
export function addingData({ samples, seqLength, seed }: AddingOptions): TaskData {
  if (seqLength < 2) throw new RangeError(`addingData(seqLength): expected at least 2 steps (one marker per half), received ${seqLength}`);
  const rng = new SeededRandom(seed);
  const x = new Float32Array(samples * seqLength * 2);
  const y = new Float32Array(samples);
  const half = Math.floor(seqLength / 2);
  for (let n = 0; n < samples; n++) {
    for (let t = 0; t < seqLength; t++) x[(n * seqLength + t) * 2] = rng.uniform();
    const first = rng.int(half);
    const second = half + rng.int(seqLength - half);
    x[(n * seqLength + first) * 2 + 1] = 1;
    x[(n * seqLength + second) * 2 + 1] = 1;
    y[n] = x[(n * seqLength + first) * 2]! + x[(n * seqLength + second) * 2]!;
  }
  return { x, y, shape: { samples, seqLength, inputSize: 2, outputSize: 1 }, returnSequences: false };
}
