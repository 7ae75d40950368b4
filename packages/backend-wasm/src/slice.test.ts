import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { setBackend } from '@basicrnn/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import './index.js';

// The wasm Slice this package registers in place of tfjs's (kernels/Slice.ts): the same values as a plain index
// computation for every rank, dtype and box, without reading the whole input out of the heap.

beforeAll(async () => {
  await setBackend('wasm');
});

afterEach(() => vi.restoreAllMocks());

/** Park–Miller, so every run draws the same cases. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** The box begin…begin+size of a row-major array, by index arithmetic. */
function referenceSlice(values: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, d) => a * d, 1);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < total; n++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + begin[d]! + index[d]!;
    out.push(values[flat]!);
    for (let d = shape.length - 1; d >= 0 && ++index[d]! === size[d]!; d--) index[d] = 0;
  }
  return out;
}

describe('Slice (wasm, heap views)', () => {
  it('replaces tfjs\'s kernel, and never copies its input out of the heap', () => {
    const backend = tf.backend() as BackendWasm;
    const readSync = vi.spyOn(backend, 'readSync');
    const x = tf.tensor3d(Float32Array.from({ length: 8 * 50 * 16 }, (_, i) => i), [8, 50, 16]);
    const last = tf.slice(x, [0, 49, 0], [8, 1, 16]);
    expect(readSync).not.toHaveBeenCalled();
    expect(Array.from(last.dataSync())).toEqual(referenceSlice(x.dataSync(), [8, 50, 16], [0, 49, 0], [8, 1, 16]));
    tf.dispose([x, last]);
  });

  it('matches index arithmetic on 400 random boxes of rank 1 to 6, float32, int32 and bool', () => {
    const next = random(7);
    const draw = (n: number) => Math.floor(next() * n);
    const before = tf.memory().numTensors;
    for (let c = 0; c < 400; c++) {
      const rank = 1 + draw(6);
      const shape = Array.from({ length: rank }, () => 1 + draw(rank > 3 ? 4 : 9));
      const begin = shape.map((d) => draw(d));
      // Sizes from 0 (empty) to the rest of the dimension, some as -1 (to the end).
      const size = shape.map((d, i) => (next() < 0.2 ? -1 : draw(d - begin[i]! + 1)));
      const dtype = (['float32', 'int32', 'bool'] as const)[c % 3]!;
      const n = shape.reduce((a, d) => a * d, 1);
      const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? (i * 7) % 3 === 0 ? 1 : 0 : dtype === 'int32' ? i - 50 : i * 0.5 - 3));
      const x = tf.tensor(values, shape, dtype);
      const y = tf.slice(x, begin, size);
      const full = size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s));
      expect(y.shape, `case ${c}: shape ${shape} begin ${begin} size ${size}`).toEqual(full);
      expect(y.dtype).toBe(dtype);
      expect(Array.from(y.dataSync()), `case ${c}: shape ${shape} begin ${begin} size ${size}`).toEqual(referenceSlice(values, shape, begin, full));
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes strings (tfjs\'s own kernel)', () => {
    const words = tf.tensor2d(['a', 'b', 'c', 'd', 'e', 'f'], [2, 3]);
    expect(tf.slice(words, [0, 1], [2, 2]).arraySync()).toEqual([['b', 'c'], ['e', 'f']]);
  });

  it('gives the gradient tfjs gives (a slice of the states feeds training)', () => {
    const x = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i), [2, 3, 4]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [0, 2, 1], [2, 1, 2]), 3)))(x);
    const expected = Array.from({ length: 24 }, (_, i) => (Math.floor(i / 4) % 3 === 2 && i % 4 >= 1 && i % 4 <= 2 ? 3 : 0));
    expect(Array.from(g.dataSync())).toEqual(expected);
    tf.dispose([x, g]);
  });

  it('refuses a box outside the input', () => {
    const x = tf.zeros([2, 3]);
    expect(() => tf.engine().runKernel(tf.Slice, { x }, { begin: [0, 2], size: [2, 2] })).toThrow(/slice/i);
    x.dispose();
  });
});
