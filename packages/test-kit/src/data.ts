import { SeededRandom } from '@basicrnn/core';

/** Seeded uniform values in [lo, hi) as float32. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** A seeded 0/1 mask [B,T] where each example keeps its first step and skips ~30% of the others. */
export function randomMask(batch: number, steps: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(batch * steps);
  for (let i = 0; i < out.length; i++) out[i] = i % steps === 0 || rng.uniform() > 0.3 ? 1 : 0;
  return out;
}
