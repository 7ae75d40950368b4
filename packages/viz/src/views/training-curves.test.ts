import { describe, expect, it } from 'vitest';
import { VizValueError } from '../errors.js';
import { trainingCurvesCallback, type TrainingHistory } from './training-curves.js';

function recorder() {
  const seen: TrainingHistory[] = [];
  return { seen, update: (h: TrainingHistory) => void seen.push(h) };
}

describe('trainingCurvesCallback', () => {
  it('records Keras-style logs into a History and redraws after every epoch', () => {
    const sink = recorder();
    const cb = trainingCurvesCallback(sink);
    cb.onEpochEnd(0, { loss: 0.7, val_loss: 0.75, accuracy: 0.5 });
    cb.onEpochEnd(1, { loss: 0.5, val_loss: 0.6, accuracy: 0.7 });
    expect(sink.seen).toHaveLength(2);
    expect(cb.history).toEqual({
      epoch: [0, 1],
      history: { loss: [0.7, 0.5], val_loss: [0.75, 0.6], accuracy: [0.5, 0.7] },
    });
    // Snapshots are copies: later epochs do not change what was already handed out.
    expect(sink.seen[0]!.epoch).toEqual([0]);
  });

  it('continues the epoch count when a second fit starts again at 0', () => {
    const cb = trainingCurvesCallback(recorder());
    cb.onEpochEnd(0, { loss: 1 });
    cb.onEpochEnd(1, { loss: 0.8 });
    cb.onEpochEnd(0, { loss: 0.7 });
    cb.onEpochEnd(1, { loss: 0.6 });
    expect(cb.history.epoch).toEqual([0, 1, 2, 3]);
  });

  it('keeps arrays aligned when keys come and go, reads scalar tensors, skips other values', () => {
    const cb = trainingCurvesCallback(recorder());
    cb.onEpochEnd(0, { loss: 1, note: 'text' });
    cb.onEpochEnd(1, { loss: 0.9, val_loss: { dataSync: () => Float32Array.from([0.95]) } });
    cb.onEpochEnd(2, {});
    const { history } = cb.history;
    expect(Object.keys(history)).toEqual(['loss', 'val_loss']);
    expect(history.loss).toEqual([1, 0.9, NaN]);
    expect(history.val_loss![0]).toBeNaN();
    expect(history.val_loss![1]).toBeCloseTo(0.95);
  });

  it('reset forgets everything and redraws', () => {
    const sink = recorder();
    const cb = trainingCurvesCallback(sink);
    cb.onEpochEnd(0, { loss: 1 });
    cb.reset();
    expect(sink.seen.at(-1)).toEqual({ epoch: [], history: {} });
  });

  it('needs something to update', () => {
    expect(() => trainingCurvesCallback({} as never)).toThrow(VizValueError);
  });
});
