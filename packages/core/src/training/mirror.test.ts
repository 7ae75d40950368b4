import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, BasicRNN, DeviceLostError, OPTIMIZER_NAMES, registerBackendBinding, setBackend, type Callback } from '../index.js';
import { DeviceLossGuard, takeMirror } from './mirror.js';

// A device that can be lost, in Node: the cpu kernels on a backend named 'lossy'. Once lost, reads of data written
// before the loss give zeros (readSync) or never resolve (data()), as a lost WebGL context does; data written after
// the loss stays readable, as tfjs-webgl keeps a new tensor's values in JavaScript until it is first used.
class LossyBackend extends MathBackendCPU {
  lostReason: string | undefined;
  /** Lose the device at the next asynchronous read, before it completes (a loss in the middle of a step). */
  loseOnNextRead: string | undefined;
  private readonly listeners = new Set<(reason: string) => void>();
  private readonly writtenAfterLoss = new WeakSet<object>();

  lose(reason: string): void {
    this.lostReason = reason;
    for (const listener of [...this.listeners]) listener(reason);
  }

  onLost(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const id = super.write(values, shape, dtype);
    if (this.lostReason !== undefined) this.writtenAfterLoss.add(id);
    return id;
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    if (this.lostReason === undefined || this.writtenAfterLoss.has(dataId)) return values;
    return new (values.constructor as new (n: number) => tf.backend_util.BackendValues)(values.length);
  }

  override read(dataId: tf.DataId): Promise<tf.backend_util.BackendValues> {
    if (this.loseOnNextRead !== undefined) {
      this.lose(this.loseOnNextRead);
      this.loseOnNextRead = undefined;
    }
    if (this.lostReason !== undefined && !this.writtenAfterLoss.has(dataId)) return new Promise(() => {});
    return super.read(dataId);
  }
}

let device: LossyBackend;

beforeAll(() => {
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'lossy' });
  tf.registerBackend('lossy', () => (device = new LossyBackend()), 0);
  registerBackendBinding({
    name: 'lossy',
    deviceLost: () => device?.lostReason,
    onDeviceLost: (listener) => device?.onLost(listener) ?? (() => {}),
  });
});

afterEach(async () => {
  await setBackend('cpu');
  if (tf.engine().registry['lossy'] !== undefined) tf.removeBackend('lossy');
  tf.registerBackend('lossy', () => (device = new LossyBackend()), 0);
});

const N = 24;
const BATCH = 8; // 3 steps per epoch

function data() {
  return tf.tidy(() => {
    const x = tf.randomUniform([N, 5, 2], -1, 1, 'float32', 4);
    const y = tf.reshape(tf.cast(tf.greater(tf.sum(x, [1, 2]), 0), 'float32'), [N, 1]);
    return { x, y };
  });
}

function compiled(): BasicRNN {
  const model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 11 });
  model.build([null, 5, 2]);
  model.compile({ optimizer: 'adam', learningRate: 0.05, loss: 'binaryCrossentropy' });
  return model;
}

async function weightsOf(model: BasicRNN): Promise<Float32Array[]> {
  const ws = model.getWeights();
  const values = await Promise.all(ws.map(async (w) => (await w.data()) as Float32Array));
  tf.dispose(ws);
  return values;
}

/** A callback that loses the device before the given step of fit. */
function loseBefore(epoch: number, batch: number, how: 'now' | 'during next read'): Callback {
  return {
    onBatchEnd: async (b) => {
      // onBatchEnd(b) runs after batch b: the next step is b + 1 (or batch 0 of the next epoch).
      const next = b + 1 === N / BATCH ? { epoch: currentEpoch + 1, batch: 0 } : { epoch: currentEpoch, batch: b + 1 };
      if (next.epoch !== epoch || next.batch !== batch) return;
      if (how === 'now') device.lose('simulated context loss');
      else device.loseOnNextRead = 'simulated context loss';
    },
    onEpochBegin: async (e) => {
      currentEpoch = e;
    },
  };
}
let currentEpoch = 0;

describe('training survives a lost device (simulated in Node)', () => {
  for (const how of ['now', 'during next read'] as const) {
    it(`fit rejects within one step (loss ${how}); weights come from the last epoch's copy; cpu continues from there`, async () => {
      let { x, y } = data();
      const start = tf.memory().numTensors;

      // Control: 1 epoch, then 2 more, all on cpu.
      const control = compiled();
      await control.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false });
      const controlAfterEpoch0 = await weightsOf(control);
      await control.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false });
      const controlFinal = await weightsOf(control);
      control.dispose();

      await setBackend('lossy');
      const model = compiled();
      const batchesRun: string[] = [];
      const error = await model
        .fit(x, y, {
          epochs: 3,
          batchSize: BATCH,
          shuffle: false,
          callbacks: [loseBefore(1, 2, how), { onBatchEnd: async (b) => void batchesRun.push(`${currentEpoch}:${b}`) }],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(DeviceLostError);
      expect(error).toBeInstanceOf(BackendError);
      const lost = error as DeviceLostError;
      // The step after the loss never finished; no later step started.
      expect(batchesRun).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1']);
      expect(lost.message).toMatch(/fit: the lossy backend lost its device at epoch 1, batch 2 \(simulated context loss\)/);
      expect(lost.message).toMatch(/restored from the copy taken after epoch 0, batch 2 \(step 3\)/);
      expect(lost.mirror).toMatchObject({ step: 3, epoch: 0, batch: 2 });
      expect(lost.mirror!.optimizer!.map((t) => t.name)[0]).toBe('iter');
      expect(Array.from(lost.mirror!.optimizer![0]!.values)).toEqual([3]);

      // Readable on the lost device, and equal to the copy (which equals the control after one epoch).
      const restored = await weightsOf(model);
      restored.forEach((w, i) => {
        expect(w).toEqual(lost.mirror!.weights[i]!.values);
        expect(w).toEqual(controlAfterEpoch0[i]);
      });

      // Further training on the lost device is refused at once, changing nothing.
      await expect(model.trainOnBatch(x, y)).rejects.toBeInstanceOf(DeviceLostError);
      await expect(model.evaluate(x, y)).rejects.toBeInstanceOf(DeviceLostError);

      await setBackend('cpu');
      // x and y lived on the lost device too: like any tensor there they read as zeros now.
      expect(Array.from(y.dataSync()).every((v) => v === 0)).toBe(true);
      tf.dispose([x, y]);
      ({ x, y } = data());
      await model.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false });
      const resumed = await weightsOf(model);
      // Same kernels, same state (weights, Adam's moments and iteration count): the same numbers as the control.
      resumed.forEach((w, i) => expect(w).toEqual(controlFinal[i]));

      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
      tf.dispose([x, y]);
    });
  }

  for (const optimizer of OPTIMIZER_NAMES.filter((name) => name !== 'adamax')) {
    it(`${optimizer}: its state survives the loss (resumed on cpu = trained on cpu throughout)`, async () => {
      let { x, y } = data();
      const start = tf.memory().numTensors;
      const make = () => {
        const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 8 });
        model.build([null, 5, 2]);
        model.compile({ optimizer, learningRate: 0.05, loss: 'meanSquaredError' });
        return model;
      };
      const control = make();
      await control.fit(x, y, { epochs: 3, batchSize: BATCH, shuffle: false });
      const expected = await weightsOf(control);
      control.dispose();

      await setBackend('lossy');
      const model = make();
      const error = await model
        .fit(x, y, { epochs: 3, batchSize: BATCH, shuffle: false, callbacks: [loseBefore(2, 0, 'now')] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceLostError);
      expect((error as DeviceLostError).mirror).toMatchObject({ step: 6, epoch: 1, batch: 2 });
      await setBackend('cpu');
      tf.dispose([x, y]);
      ({ x, y } = data());
      await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false });
      (await weightsOf(model)).forEach((w, i) => expect(w).toEqual(expected[i]));
      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
      tf.dispose([x, y]);
    });
  }

  it('without a copy (trainOnBatch only) the error says the weights are lost', async () => {
    const { x, y } = data();
    await setBackend('lossy');
    const model = compiled();
    await model.trainOnBatch(x, y);
    device.lose('simulated context loss');
    await expect(model.trainOnBatch(x, y)).rejects.toThrow(/No copy of the weights had been taken/);
    await setBackend('cpu');
    model.dispose();
    tf.dispose([x, y]);
  });

  it('mirrorEvery: a copy every 2 steps; validated', async () => {
    const { x, y } = data();
    const model = compiled();
    const before = tf.memory().numTensors;
    await expect(model.fit(x, y, { mirrorEvery: 0 })).rejects.toThrow(/fit\(x, y, options\)\.mirrorEvery: expected a positive integer, received 0/);
    expect(tf.memory().numTensors).toBe(before);
    await setBackend('lossy');
    const error = (await model
      .fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false, mirrorEvery: 2, callbacks: [loseBefore(1, 2, 'now')] })
      .catch((e: unknown) => e)) as DeviceLostError;
    expect(error.mirror).toMatchObject({ step: 4, epoch: 1, batch: 0 });
    await setBackend('cpu');
    model.dispose();
    tf.dispose([x, y]);
  });

  it('an optimizer that cannot export its state (Adamax): weights restored, training refused until compile()', async () => {
    const { x, y } = data();
    await setBackend('lossy');
    const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    model.compile({ optimizer: 'adamax', loss: 'binaryCrossentropy' });
    const error = (await model
      .fit(x, y, { epochs: 2, batchSize: BATCH, callbacks: [loseBefore(1, 0, 'now')] })
      .catch((e: unknown) => e)) as DeviceLostError;
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error.mirror!.optimizer).toBeNull();
    expect(error.message).toMatch(/could not export its state: compile\(\) again/);
    await setBackend('cpu');
    await expect(model.trainOnBatch(x, y)).rejects.toThrow(/call compile\(\) again/);
    model.compile({ optimizer: 'adamax', loss: 'binaryCrossentropy' });
    expect(Number.isFinite(await model.trainOnBatch(x, y))).toBe(true);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('takeMirror copies, DeviceLossGuard passes results and errors through on a healthy device', async () => {
    const v = tf.variable(tf.tensor([1, 2, 3]));
    const optimizer = tf.train.sgd(0.1);
    const before = tf.memory().numTensors;
    const mirror = await takeMirror([v], optimizer, { step: 0, epoch: -1, batch: -1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(mirror.weights[0]!.values)).toEqual([1, 2, 3]);
    expect(mirror.optimizer).toEqual([{ name: 'iter', shape: [], dtype: 'int32', values: Int32Array.from([0]) }]);
    const guard = new DeviceLossGuard(() => [v], optimizer);
    await expect(guard.run('x', { epoch: 0, batch: 0 }, async () => 7)).resolves.toBe(7);
    await expect(guard.run('x', { epoch: 0, batch: 0 }, async () => Promise.reject(new RangeError('boom')))).rejects.toThrow(RangeError);
    tf.dispose([v]);
    optimizer.dispose();
  });
});
