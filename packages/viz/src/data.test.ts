import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { checkExample, expectNonEmpty, expectRank, toGrid, type ArrayInput } from './data.js';
import { VizError, VizShapeError, VizValueError } from './errors.js';

// Silences tfjs' "install tfjs-node" advice; the cpu backend is only a source of real tensors here.
tf.env().set('IS_TEST', true);

describe('toGrid', () => {
  it('reads nested arrays, with typed-array rows and null as NaN', () => {
    const g = toGrid([[1, 2, 3], Float32Array.from([4, 5, 6])], 'x');
    expect(g.shape).toEqual([2, 3]);
    expect([...g.values]).toEqual([1, 2, 3, 4, 5, 6]);
    const withNull = toGrid([[1, null]], 'x');
    expect(Number.isNaN(withNull.values[1])).toBe(true);
  });

  it('reads shaped flat arrays and flat typed arrays', () => {
    expect(toGrid({ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, 'x').shape).toEqual([2, 2]);
    expect(toGrid(Float64Array.from([1, 2]), 'x').shape).toEqual([2]);
  });

  it('reads duck-typed tensors through dataSync or arraySync', () => {
    const viaData = toGrid({ shape: [1, 2], dataSync: () => Float32Array.from([7, 8]) }, 'x');
    expect([...viaData.values]).toEqual([7, 8]);
    const viaArray = toGrid({ shape: [1, 2], arraySync: () => [[7, 8]] }, 'x');
    expect([...viaArray.values]).toEqual([7, 8]);
  });

  it('reads real tfjs tensors without disposing them', () => {
    const t = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 3, 2]);
    // Type-level check: a real Tensor is accepted wherever viz takes data.
    const asInput: ArrayInput = t;
    const g = toGrid(asInput, 'input');
    expect(g.shape).toEqual([1, 3, 2]);
    expect([...g.values]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.isDisposed).toBe(false);
    t.dispose();
    expect(() => toGrid(t, 'input')).toThrow(/input: the tensor is disposed/);
  });

  it('rejects ragged arrays with the path of the bad row', () => {
    const err = (() => {
      try {
        toGrid([[1, 2], [3]], 'state');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(VizShapeError);
    expect(err).toBeInstanceOf(VizError);
    expect((err as Error).message).toMatch(/state: ragged nested array: expected length 2 at state\[1\], received length 1/);
  });

  it('rejects non-numbers, strings tensors and a shape that disagrees with the data', () => {
    expect(() => toGrid([[1, 'a']], 'x')).toThrow(VizValueError);
    expect(() => toGrid({ shape: [2], dtype: 'string', dataSync: () => [] }, 'x')).toThrow(/numeric tensor/);
    expect(() => toGrid({ shape: [2, 3], data: [1, 2] }, 'x')).toThrow(/x: shape \[2,3\] needs 6 values, received 2/);
    expect(() => toGrid(undefined, 'output')).toThrow(/output: expected a tensor or an array, received undefined/);
    expect(() => toGrid({ foo: 1 }, 'x')).toThrow(VizValueError);
  });

  it('wraps a failing dataSync in a VizValueError', () => {
    const broken = {
      shape: [1],
      dataSync: () => {
        throw new Error('context lost');
      },
    };
    expect(() => toGrid(broken, 'x')).toThrow(/x: could not read the tensor's values \(Error: context lost\)/);
  });
});

describe('shape checks', () => {
  it('names the argument, the expected and the received shape', () => {
    const g = toGrid([[1, 2]], 'input');
    expect(() => expectRank(g, [3], '[batch, timesteps, features]')).toThrow(
      'input: expected shape [batch, timesteps, features] (rank 3), received shape [1,2] (rank 2)',
    );
    const empty = toGrid({ shape: [2, 0, 3], data: [] }, 'input');
    expect(() => expectNonEmpty(empty, ['batch', 'timesteps', 'features'])).toThrow(
      /input: expected at least 1 timestep, received shape \[2,0,3\]/,
    );
  });

  it('checks the example index', () => {
    expect(checkExample(undefined, 4)).toBe(0);
    expect(checkExample(3, 4)).toBe(3);
    expect(() => checkExample(4, 4)).toThrow('example: expected an integer in [0, 3] (the batch has 4 examples), received 4');
    expect(() => checkExample(-1, 4)).toThrow(VizValueError);
    expect(() => checkExample(1.5, 4)).toThrow(VizValueError);
  });
});
