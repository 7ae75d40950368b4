import { DEFAULT_LEARNING_RATES, OPTIMIZER_NAMES } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { VOCABULARY } from '../tasks/index.js';
import {
  DEFAULT_SETTINGS,
  adaptToOptimizer,
  adaptToTask,
  architectureKey,
  effectiveInputSize,
  parseNumber,
  sanitizeSettings,
  trainingProblem,
  type Settings,
} from './settings.js';

// The web app's pure logic, in Node (the browser side is covered by app.e2e.test.ts).

const settings = (patch: Partial<Settings> = {}): Settings => ({ ...DEFAULT_SETTINGS, ...patch });

describe('web settings', () => {
  it('defaults to the seed: BasicRNN(64, 1) on [32, 20, 10], trainable on the marker task', () => {
    const s = settings();
    expect([s.hiddenSize, s.outputSize, s.batchSize, s.seqLength, effectiveInputSize(s)]).toEqual([64, 1, 32, 20, 10]);
    expect(trainingProblem(s)).toBeNull();
  });

  it('starts at the Keras default learning rate of the optimizer (Adam 0.001), as the CLI does', () => {
    expect(DEFAULT_SETTINGS.optimizer).toBe('adam');
    expect(DEFAULT_SETTINGS.learningRate).toBe(0.001);
    expect(DEFAULT_SETTINGS.learningRate).toBe(DEFAULT_LEARNING_RATES[DEFAULT_SETTINGS.optimizer]);
  });

  it('moves a default learning rate with the optimizer, and keeps one the user typed', () => {
    const sgd = adaptToOptimizer(settings(), 'sgd');
    expect(sgd.settings).toMatchObject({ optimizer: 'sgd', learningRate: 0.01 });
    expect(sgd.changes).toEqual(['learning rate 0.01 (the Keras default for sgd)']);
    for (const name of OPTIMIZER_NAMES) {
      expect(adaptToOptimizer(sgd.settings, name).settings.learningRate).toBe(DEFAULT_LEARNING_RATES[name]);
    }
    expect(adaptToOptimizer(settings(), 'rmsprop')).toEqual({ settings: settings({ optimizer: 'rmsprop' }), changes: [] });
    const typed = adaptToOptimizer(settings({ learningRate: 0.003 }), 'sgd');
    expect(typed).toEqual({ settings: settings({ optimizer: 'sgd', learningRate: 0.003 }), changes: [] });
  });

  it('checks numbers against their bounds and says what it expected', () => {
    expect(parseNumber('hiddenSize', '32')).toEqual({ value: 32 });
    expect(parseNumber('hiddenSize', '3.5')).toEqual({ error: 'expected a whole number, got 3.5' });
    expect(parseNumber('hiddenSize', '0')).toEqual({ error: 'expected 1 to 512, got 0' });
    expect(parseNumber('learningRate', '')).toEqual({ error: 'expected a number, got ""' });
    expect(parseNumber('learningRate', '0.003')).toEqual({ value: 0.003 });
  });

  it('refuses training settings that do not fit the task, as the CLI does', () => {
    expect(trainingProblem(settings({ returnSequences: true }))).toMatch(/Return sequences does not fit the marker task/);
    expect(trainingProblem(settings({ task: 'sine' }))).toMatch(/binaryCrossentropy does not fit the sine task/);
    expect(trainingProblem(settings({ loss: 'meanSquaredError' }))).toMatch(/does not fit the marker task \(a classification\)/);
    expect(trainingProblem(settings({ loss: 'sparseCategoricalCrossentropy' }))).toMatch(/Output size 1 does not fit .* use 2/);
    expect(trainingProblem(settings({ task: 'sine', loss: 'huber', returnSequences: true }))).toBeNull();
  });

  it('adapts the sequence length, loss, output size and forward input to a new task, and says so', () => {
    const { settings: s, changes } = adaptToTask(settings({ loss: 'sparseCategoricalCrossentropy', outputSize: 2 }), 'sentiment');
    expect(s).toMatchObject({ task: 'sentiment', seqLength: 8, loss: 'sparseCategoricalCrossentropy', outputSize: 2, exampleInput: 'task' });
    expect(changes).toEqual(['sequence length 8', 'forward-pass input: examples of the task']);
    expect(effectiveInputSize(s)).toBe(VOCABULARY.length);
    const sine = adaptToTask(s, 'sine');
    expect(sine.settings).toMatchObject({ seqLength: 20, loss: 'meanSquaredError', outputSize: 1 });
    expect(trainingProblem(sine.settings)).toBeNull();
  });

  it('reads stored settings field by field, keeping defaults for anything invalid', () => {
    const s = sanitizeSettings({ hiddenSize: 16, outputSize: -1, task: 'nope', threads: 4, backend: 'webgl', loss: 'huber' });
    expect(s).toMatchObject({ hiddenSize: 16, outputSize: 1, task: 'marker', threads: 4, backend: 'webgl', loss: 'huber' });
    expect(sanitizeSettings('garbage')).toEqual(DEFAULT_SETTINGS);
  });

  it('knows which settings need a new model', () => {
    expect(architectureKey(settings({ learningRate: 0.1, epochs: 3 }))).toBe(architectureKey(settings()));
    expect(architectureKey(settings({ hiddenSize: 32 }))).not.toBe(architectureKey(settings()));
    expect(architectureKey(settings({ task: 'sine', inputSize: 1 }))).not.toBe(architectureKey(settings({ inputSize: 1 })));
    // The input size field only counts for marker.
    expect(architectureKey(settings({ task: 'sine', inputSize: 3 }))).toBe(architectureKey(settings({ task: 'sine', inputSize: 10 })));
  });
});
