// What viz's data layer reads, value by value (the views place these values, so a wrong one here lands in the
// wrong cell there): row-major order for every input form, the example slice, missing values, and the extent.
import { describe, expect, it } from 'vitest';
import { countNonFinite, expectNonEmpty, expectRank, maxAbs, sliceExample, toGrid } from './data.js';
import { VizShapeError, VizValueError } from './errors.js';

const nan = Number.NaN;

describe('toGrid reads every form row-major, with the same shape and values', () => {
  const nested = [
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    [
      [7, 8, 9],
      [10, 11, 12],
    ],
  ];
  const flat = Array.from({ length: 12 }, (_, i) => i + 1);
  it.each([
    ['nested arrays', nested],
    ['nested typed rows', nested.map((b) => b.map((r) => Float32Array.from(r)))],
    ['{ shape, data } (number[])', { shape: [2, 2, 3], data: flat }],
    ['{ shape, data } (Float32Array)', { shape: [2, 2, 3], data: Float32Array.from(flat) }],
    ['a tensor through dataSync', { shape: [2, 2, 3], dtype: 'float32', dataSync: () => Float32Array.from(flat) }],
    ['a tensor through arraySync', { shape: [2, 2, 3], arraySync: () => nested }],
  ] as const)('%s', (_, value) => {
    const g = toGrid(value, 'x');
    expect(g.name).toBe('x');
    expect(g.shape).toEqual([2, 2, 3]);
    expect(Array.from(g.values)).toEqual(flat);
    expect(g.values).toBeInstanceOf(Float64Array);
  });

  it('a rank-0 tensor through arraySync is one value', () => {
    const g = toGrid({ shape: [], arraySync: () => 4.5 }, 's');
    expect(g.shape).toEqual([]);
    expect(Array.from(g.values)).toEqual([4.5]);
  });

  it('a flat typed array is rank 1; an empty array is shape [0]', () => {
    expect(toGrid(Int32Array.from([3, -1]), 'x')).toMatchObject({ shape: [2] });
    expect(Array.from(toGrid(Int32Array.from([3, -1]), 'x').values)).toEqual([3, -1]);
    const empty = toGrid([], 'x');
    expect(empty.shape).toEqual([0]);
    expect(empty.values).toHaveLength(0);
    expect(toGrid([[], []], 'x').shape).toEqual([2, 0]);
  });

  it('booleans read as 0 / 1; null and undefined as NaN (a gap); ±Infinity kept', () => {
    const g = toGrid([[true, false, null, undefined, Infinity, -Infinity]] as unknown as number[][], 'x');
    expect(Array.from(g.values)).toEqual([1, 0, nan, nan, Infinity, -Infinity]);
    const f = toGrid({ shape: [4], data: [true, false, null, undefined] as unknown as number[] }, 'x');
    expect(Array.from(f.values)).toEqual([1, 0, nan, nan]);
  });

  it('names the argument and the place of a bad entry', () => {
    expect(() => toGrid({ shape: [2], data: [1, 'a'] as unknown as number[] }, 'bias')).toThrow(
      'bias: expected numbers, received "a" at flat index 1',
    );
    expect(() => toGrid([[1], ['a']] as unknown as number[][], 'bias')).toThrow(/^bias: expected numbers, received "a" at bias\[1\]\[0\]$/);
    expect(() => toGrid([[1, 2], 3] as unknown as number[][], 'w')).toThrow(
      /^w: ragged nested array: expected an array of length 2 at w\[1\], received 3$/,
    );
    expect(() => toGrid([1, [2]] as unknown as number[], 'w')).toThrow(/^w: expected numbers, received .* at w\[1\]$/);
    expect(() => toGrid({ shape: [1], dtype: 'complex64', dataSync: () => [0] }, 'z')).toThrow(
      'z: expected a numeric tensor, received dtype "complex64"',
    );
    expect(() => toGrid({ shape: [1, -1], data: [] }, 'z')).toThrow(VizValueError);
    expect(() => toGrid({ shape: [1.5], data: [1] }, 'z')).toThrow(VizValueError);
    expect(() => toGrid({ shape: [1] }, 'z')).toThrow('z: an object with a shape needs dataSync(), arraySync() or data to read values from');
    expect(() => toGrid(3, 'z')).toThrow('z: expected a tensor or an array, received 3');
    expect(() => toGrid({ foo: 1 }, 'z')).toThrow(/^z: expected a tensor \(with shape and dataSync\), \{ shape, data \} or a nested array, received/);
    expect(() => toGrid(null, 'z')).toThrow(/^z: expected a tensor or an array, received null$/);
  });

  it('a failing read keeps its cause', () => {
    const boom = new Error('lost');
    try {
      toGrid({ shape: [1], dataSync: () => { throw boom; } }, 'x');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VizValueError);
      expect((e as Error).cause).toBe(boom);
    }
  });

  it('a shape error raised while reading arraySync values passes through unwrapped', () => {
    expect(() => toGrid({ shape: [2, 2], arraySync: () => [[1, 2], [3]] }, 'x')).toThrow(VizShapeError);
    expect(() => toGrid({ shape: [2, 2], arraySync: () => [[1, 2, 3]] }, 'x')).toThrow(VizShapeError);
    expect(() => toGrid({ shape: [1], arraySync: () => [{}] }, 'x')).toThrow(VizValueError);
  });

  it('prefers data over dataSync, and a disposed tensor is refused before reading', () => {
    let read = false;
    const g = toGrid({ shape: [1], data: [5], dataSync: () => ((read = true), [6]) }, 'x');
    expect(Array.from(g.values)).toEqual([5]);
    expect(read).toBe(false);
    expect(() => toGrid({ shape: [1], isDisposed: true, dataSync: () => ((read = true), [6]) }, 'x')).toThrow(/disposed/);
    expect(read).toBe(false);
    expect(Array.from(toGrid({ shape: [1], isDisposed: false, dataSync: () => [6] }, 'x').values)).toEqual([6]);
  });
});

describe('sliceExample, countNonFinite, maxAbs', () => {
  it('slices example b of a [B, …] grid as its row-major values', () => {
    const g = toGrid({ shape: [3, 2, 2], data: Array.from({ length: 12 }, (_, i) => i) }, 'x');
    expect(Array.from(sliceExample(g, 0))).toEqual([0, 1, 2, 3]);
    expect(Array.from(sliceExample(g, 2))).toEqual([8, 9, 10, 11]);
    expect(Array.from(sliceExample(toGrid([5, 6, 7], 'v'), 1))).toEqual([6]);
  });

  it('counts NaN and ±Infinity, not finite values', () => {
    expect(countNonFinite([1, nan, Infinity, -Infinity, 0])).toBe(3);
    expect(countNonFinite([1, nan, 2, 3])).toBe(1);
    expect(countNonFinite([])).toBe(0);
  });

  it('maxAbs is the largest finite |v| (negatives included), 0 when none is finite', () => {
    expect(maxAbs([0.5, -3, 2, nan, Infinity])).toBe(3);
    expect(maxAbs([nan, -Infinity])).toBe(0);
    expect(maxAbs([])).toBe(0);
  });

  it('rank and emptiness checks accept what they should', () => {
    const g = toGrid([[1, 2]], 'x');
    expect(() => expectRank(g, [2, 3], '[a, b]')).not.toThrow();
    expect(() => expectRank(g, [1, 3], '[a]')).toThrow('x: expected shape [a] (rank 1 or 3), received shape [1,2] (rank 2)');
    expect(() => expectNonEmpty(g, ['rows', 'cols'])).not.toThrow();
    const empty = toGrid({ shape: [0, 2], data: [] }, 'x');
    expect(() => expectNonEmpty(empty, ['units'])).toThrow(/^x: expected at least 1 unit, received shape \[0,2\]$/);
    expect(() => expectNonEmpty(toGrid({ shape: [1, 0], data: [] }, 'x'), ['units'])).toThrow(/^x: expected at least 1 axis 1, received/);
  });
});
