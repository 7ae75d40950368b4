import { describe, expect, it } from 'vitest';
import { SeededRandom, glorotUniform, orthogonal } from './initializers.js';

describe('initialisers', () => {
  it('are repeatable for a seed and differ between seeds', () => {
    expect(Array.from(glorotUniform(5, 7, 3))).toEqual(Array.from(glorotUniform(5, 7, 3)));
    expect(Array.from(glorotUniform(5, 7, 3))).not.toEqual(Array.from(glorotUniform(5, 7, 4)));
  });

  it('glorotUniform stays within ±√(6/(fanIn+fanOut)) and fills the range', () => {
    const w = glorotUniform(100, 60, 1);
    const limit = Math.sqrt(6 / 160);
    expect(Math.max(...w)).toBeLessThanOrEqual(limit);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...w)).toBeGreaterThan(limit * 0.95);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
  });

  it.each([
    [1, 1],
    [16, 16],
    [64, 64],
    [10, 4],
    [4, 10],
  ])('orthogonal %i×%i has orthonormal columns (or rows)', (rows, cols) => {
    const q = orthogonal(rows, cols, 5);
    const n = Math.min(rows, cols);
    // QᵀQ = I for tall, QQᵀ = I for wide.
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let k = 0; k < Math.max(rows, cols); k++) {
          dot += rows >= cols ? q[k * cols + a]! * q[k * cols + b]! : q[a * cols + k]! * q[b * cols + k]!;
        }
        expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
  });

  it('normal() has mean 0 and variance 1', () => {
    const rng = new SeededRandom(9);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
  });
});
