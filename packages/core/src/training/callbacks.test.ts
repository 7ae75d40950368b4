// earlyStopping driven epoch by epoch with hand-written logs (Keras 3 EarlyStopping semantics: an improvement is
// beating the best by more than minDelta; stop once `wait >= patience` after epoch 0), and callback-list checks.
// A stand-in model records stopTraining and the weights put back. Core and tfjs-core only.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import { ConfigError } from '../errors.js';
import type { BasicRNN } from '../model.js';
import { type Callback, earlyStopping, normalizeCallbacks } from './callbacks.js';

/** A model stand-in: getWeights returns [scalar(epoch)] for the epoch it is told it is at. */
function fakeModel() {
  const state = { epoch: -1, stopTraining: false, restored: null as number | null };
  const model = {
    get stopTraining() {
      return state.stopTraining;
    },
    set stopTraining(v: boolean) {
      state.stopTraining = v;
    },
    getWeights: () => [tf.scalar(state.epoch)],
    setWeights: (w: tf.Tensor[]) => {
      state.restored = w[0]!.dataSync()[0]!;
    },
    // fit holds the model while callbacks run, so restoreBestWeights assigns the variables directly.
    trainableVariables: () => [
      {
        assign: (t: tf.Tensor) => {
          state.restored = t.dataSync()[0]!;
        },
      },
    ],
  };
  return { state, model: model as unknown as BasicRNN };
}

/** Runs `values` through the callback as epoch logs of `key`, as fit would; returns the epoch it stopped at. */
function drive(cb: ReturnType<typeof earlyStopping>, key: string, values: number[], state = fakeModel()): number | null {
  state.state.stopTraining = false;
  cb.setModel!(state.model);
  cb.onTrainBegin!({});
  let stoppedAt: number | null = null;
  for (let epoch = 0; epoch < values.length; epoch++) {
    state.state.epoch = epoch;
    void cb.onEpochEnd!(epoch, { [key]: values[epoch]!, other: 0 });
    // fit ends after the epoch in which a hook set stopTraining
    if (state.state.stopTraining) {
      stoppedAt = epoch;
      break;
    }
  }
  cb.onTrainEnd!({});
  return stoppedAt;
}

describe('earlyStopping', () => {
  it('min mode with minDelta: only a drop of more than minDelta resets the wait', () => {
    const cb = earlyStopping({ monitor: 'val_loss', patience: 2, minDelta: 0.1 });
    // best 1.0 → 0.95 no (not below 0.9) → 0.85 yes → 0.8 no → 0.79 no: wait 2 ≥ 2 at epoch 4
    expect(drive(cb, 'val_loss', [1.0, 0.95, 0.85, 0.8, 0.79, 0.1])).toBe(4);
    expect(cb.stoppedEpoch).toBe(4);
    expect(cb.best).toBe(0.85);
  });

  it('an equal value is no improvement in min mode; in max mode minDelta is a margin above the best', () => {
    expect(drive(earlyStopping({ monitor: 'loss', patience: 1 }), 'loss', [1, 1])).toBe(1);
    // best 0.5 → 0.55 is not above 0.5 + 0.1 → stop at epoch 1; 0.7 would have been
    expect(drive(earlyStopping({ monitor: 'accuracy', patience: 1, minDelta: 0.1 }), 'accuracy', [0.5, 0.55])).toBe(1);
    expect(drive(earlyStopping({ monitor: 'accuracy', patience: 1, minDelta: 0.1 }), 'accuracy', [0.5, 0.7, 0.85])).toBe(null);
  });

  it('a negative minDelta counts as its magnitude (Keras takes abs)', () => {
    const cb = earlyStopping({ monitor: 'loss', patience: 1, minDelta: -0.1 });
    expect(drive(cb, 'loss', [1.0, 0.95])).toBe(1);
  });

  it('auto mode maximises accuracy-like keys: an equal value is not an improvement', () => {
    const cb = earlyStopping({ monitor: 'val_accuracy', patience: 1 });
    expect(drive(cb, 'val_accuracy', [0.5, 0.6, 0.6, 0.9])).toBe(2);
    expect(cb.best).toBe(0.6);
    for (const key of ['acc', 'accuracy', 'binaryAccuracy', 'val_categoricalAccuracy', 'val_auc', 'AUC']) {
      expect(drive(earlyStopping({ monitor: key, patience: 1 }), key, [0.5, 0.7, 0.8, 0.4])).toBe(3);
    }
  });

  it('auto mode minimises other keys; explicit modes override', () => {
    expect(drive(earlyStopping({ monitor: 'mae', patience: 1 }), 'mae', [0.5, 0.4, 0.45])).toBe(2);
    expect(drive(earlyStopping({ monitor: 'mae', mode: 'max', patience: 1 }), 'mae', [0.5, 0.6, 0.55])).toBe(2);
    expect(drive(earlyStopping({ monitor: 'val_accuracy', mode: 'min', patience: 1 }), 'val_accuracy', [0.5, 0.4, 0.45])).toBe(2);
    expect(drive(earlyStopping({ monitor: 'val_accuracy', mode: 'auto', patience: 1 }), 'val_accuracy', [0.5, 0.4])).toBe(1);
  });

  it('defaults: monitor val_loss, patience 0 (stop at the first epoch after 0 without improvement)', () => {
    const cb = earlyStopping();
    expect(drive(cb, 'val_loss', [1, 0.5, 0.6, 0.1])).toBe(2);
    expect(cb.best).toBe(0.5);
  });

  it('never stops at epoch 0, even when epoch 0 does not improve (a NaN)', () => {
    const cb = earlyStopping({ monitor: 'loss', patience: 0 });
    expect(drive(cb, 'loss', [Number.NaN, 0.5, 0.4])).toBe(null);
    expect(cb.stoppedEpoch).toBe(null);
    expect(drive(earlyStopping({ monitor: 'loss', patience: 0 }), 'loss', [Number.NaN, Number.NaN])).toBe(1);
  });

  it('restoreBestWeights puts back the best epoch\'s weights at the end and frees the copies', () => {
    const before = tf.memory().numTensors;
    const state = fakeModel();
    const cb = earlyStopping({ monitor: 'loss', patience: 5, restoreBestWeights: true });
    drive(cb, 'loss', [3, 1, 2, 0.5, 0.7], state);
    expect(state.state.restored).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    // without the option nothing is put back
    const plain = fakeModel();
    drive(earlyStopping({ monitor: 'loss', patience: 5 }), 'loss', [3, 1, 2], plain);
    expect(plain.state.restored).toBe(null);
  });

  it('onTrainBegin starts over: a second fit does not inherit best, wait or the stopped epoch', () => {
    const cb = earlyStopping({ monitor: 'loss', patience: 1 });
    expect(drive(cb, 'loss', [0.1, 0.2])).toBe(1);
    expect(drive(cb, 'loss', [5, 4, 3])).toBe(null);
    expect(cb.stoppedEpoch).toBe(null);
    expect(cb.best).toBe(3);
    const max = earlyStopping({ monitor: 'accuracy', patience: 1 });
    drive(max, 'accuracy', [0.9, 0.8]);
    expect(drive(max, 'accuracy', [0.1, 0.2])).toBe(null);
  });

  it('a monitor missing from the logs is a ConfigError listing what is there', () => {
    const cb = earlyStopping({ monitor: 'val_loss' });
    expect(() => cb.onEpochEnd!(0, { loss: 1, mae: 2 })).toThrow(ConfigError);
    expect(() => cb.onEpochEnd!(0, { loss: 1, mae: 2 })).toThrow(
      "earlyStopping({ monitor: 'val_loss' }): no such value in the epoch logs; available: loss, mae",
    );
  });

  it.each([
    [{ patience: -1 }, /earlyStopping\(options\)\.patience: expected a non-negative integer, received -1/],
    [{ patience: 1.5 }, /patience/],
    [{ mode: 'up' as 'min' }, /earlyStopping\(options\)\.mode: expected one of 'min', 'max', 'auto', received/],
    [{ monitor: 3 as unknown as string }, /earlyStopping\(options\)\.monitor: expected a string, received 3/],
  ])('refuses %o', (options, message) => {
    expect(() => earlyStopping(options)).toThrow(ConfigError);
    expect(() => earlyStopping(options)).toThrow(message);
  });
});

describe('normalizeCallbacks', () => {
  it('accepts nothing, one callback or a list', () => {
    const cb: Callback = { onEpochEnd: () => undefined };
    expect(normalizeCallbacks(undefined)).toEqual([]);
    expect(normalizeCallbacks(cb)).toEqual([cb]);
    expect(normalizeCallbacks([cb, { setModel: () => undefined }])).toHaveLength(2);
  });

  it('refuses an entry with no hook, naming its index', () => {
    const ok: Callback = { onTrainEnd: () => undefined };
    expect(() => normalizeCallbacks([ok, { onEpochEnd: 3 } as unknown as Callback])).toThrow(
      /^fit\(x, y, options\)\.callbacks\[1\]: expected an object with hooks \(setModel, onTrainBegin, onEpochBegin, onBatchEnd, onEpochEnd, onTrainEnd\), received/,
    );
    expect(() => normalizeCallbacks(null as unknown as Callback)).toThrow(ConfigError);
    expect(() => normalizeCallbacks('x' as unknown as Callback)).toThrow(/callbacks\[0\]/);
  });
});
