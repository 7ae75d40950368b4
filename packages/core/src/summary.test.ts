import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BasicRNN, ConfigError } from './index.js';

describe('summary({ lineLength })', () => {
  // Shrunk counterexample of test-kit's options.property.test.ts: lineLength: Number.MAX_VALUE threw a raw
  // RangeError ("Invalid string length"); NaN and negative lengths did too.
  for (const bad of [Number.MAX_VALUE, 2 ** 53, 1001, NaN, -1, 0, 1.5, '65']) {
    it(`refuses ${String(bad)} with ConfigError`, () => {
      const model = new BasicRNN({ hiddenSize: 2, outputSize: 1, seed: 1 });
      model.build([null, 3, 2]);
      const before = tf.memory().numTensors;
      expect(() => model.summary({ printFn: () => {}, lineLength: bad as number })).toThrow(ConfigError);
      expect(() => model.summary({ printFn: () => {}, lineLength: bad as number })).toThrow(/summary\(options\)\.lineLength: expected an integer from 1 to 1000/);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  it('accepts the bounds', () => {
    const model = new BasicRNN({ hiddenSize: 2, outputSize: 1, seed: 1 });
    model.build([null, 3, 2]);
    expect(model.summary({ printFn: () => {}, lineLength: 1000 }).split('\n')[1]).toHaveLength(1000);
    expect(() => model.summary({ printFn: () => {}, lineLength: 1 })).not.toThrow();
    model.dispose();
  });
});
