import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BasicRNN, ConfigError } from './index.js';

// Shrunk counterexamples of the property tests in test-kit (options.property.test.ts), kept as regular tests.

describe('property-test counterexamples', () => {
  it('compile({ optimizer: null }) is a ConfigError (was a raw TypeError from tfjs\'s Optimizer instanceof check)', () => {
    const model = new BasicRNN({ hiddenSize: 2, outputSize: 1, seed: 1 });
    model.build([null, 3, 2]);
    const before = tf.memory().numTensors;
    for (const optimizer of [null, undefined]) {
      expect(() => model.compile({ optimizer, loss: 'meanSquaredError' } as never)).toThrow(ConfigError);
      expect(() => model.compile({ optimizer, loss: 'meanSquaredError' } as never)).toThrow(/compile\((config|\{ optimizer \})\)/);
    }
    expect(model.isCompiled).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a compiled momentum optimizer leaves no tensor behind on dispose (tfjs 4.22 forgets its learning-rate scalar)', async () => {
    const before = tf.memory().numTensors;
    const model = new BasicRNN({ hiddenSize: 2, outputSize: 1, seed: 1 });
    const x = tf.ones([2, 3, 2]);
    const y = tf.zeros([2, 1]);
    model.compile({ optimizer: 'momentum', loss: 'meanSquaredError' });
    await model.trainOnBatch(x, y);
    model.compile({ optimizer: 'momentum', loss: 'meanSquaredError' }); // replaces (and disposes) the first
    model.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
