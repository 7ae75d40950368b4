import { describe, expect, it } from 'vitest';
import { BasicRNNError, ConfigError } from './errors.js';
import { UnknownOptionError, checkOptions, closestName, editDistance } from './options.js';
import { assertBoolean, assertPositiveInt } from './validate.js';

const schema = { returnSequences: assertBoolean, hiddenSize: assertPositiveInt, goBackwards: assertBoolean, name: null };

describe('checkOptions', () => {
  it('refuses an unknown key, naming it and suggesting the closest valid one', () => {
    const err = (() => {
      try {
        checkOptions({ returnSequence: true }, schema, 'BasicRNN(config)');
      } catch (e) {
        return e;
      }
      return undefined;
    })() as UnknownOptionError;
    expect(err).toBeInstanceOf(UnknownOptionError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(BasicRNNError);
    expect(err.option).toBe('returnSequence');
    expect(err.suggestion).toBe('returnSequences');
    expect(err.message).toBe(
      'BasicRNN(config): unknown option "returnSequence"; did you mean "returnSequences"? Valid options: returnSequences, hiddenSize, goBackwards, name',
    );
  });

  it('gives no suggestion when nothing is close', () => {
    expect(() => checkOptions({ learningRate: 1 }, schema, 'f(o)')).toThrow(/unknown option "learningRate"\. Valid options/);
  });

  it('checks each present value with its check, naming the key', () => {
    expect(() => checkOptions({ hiddenSize: 0 }, schema, 'BasicRNN(config)')).toThrow(
      'BasicRNN(config).hiddenSize: expected a positive integer, received 0',
    );
    expect(() => checkOptions({ goBackwards: 'yes' }, schema, 'g(o)')).toThrow(/g\(o\)\.goBackwards: expected a boolean/);
  });

  it('treats undefined as absent and accepts any value for a null check', () => {
    const options = { hiddenSize: undefined, name: 42 };
    expect(checkOptions(options, schema, 'f(o)')).toBe(options);
  });

  it('enforces required keys', () => {
    expect(() => checkOptions({}, schema, 'f(o)', ['hiddenSize'])).toThrow('f(o): the option "hiddenSize" is required, received undefined');
    expect(() => checkOptions({ hiddenSize: undefined }, schema, 'f(o)', ['hiddenSize'])).toThrow(ConfigError);
  });

  it('refuses what is not an options object', () => {
    for (const bad of [null, 3, 'x', [1], { shape: [2], dtype: 'float32' }]) {
      expect(() => checkOptions(bad, schema, 'f(o)')).toThrow(/f\(o\): expected an options object/);
    }
  });

  it('ignores inherited keys but refuses own ones', () => {
    const proto = { hiddenSize: 3 };
    expect(() => checkOptions(Object.create(proto), schema, 'f(o)')).not.toThrow();
  });
});

describe('closestName', () => {
  const names = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'seed', 'signal', 'callbacks'];
  it.each([
    ['epoch', 'epochs'],
    ['batchsize', 'batchSize'],
    ['BATCHSIZE', 'batchSize'],
    ['validation_split', 'validationSplit'],
    ['shufle', 'shuffle'],
    ['callback', 'callbacks'],
    ['sede', 'seed'],
  ])('%s → %s', (typo, want) => {
    expect(closestName(typo, names)).toBe(want);
  });
  it('returns undefined for names far from every candidate', () => {
    expect(closestName('optimizer', names)).toBeUndefined();
    expect(closestName('x', names)).toBeUndefined();
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['a', '', 1],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['epochs', 'epoch', 1],
  ])('%s ↔ %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});
