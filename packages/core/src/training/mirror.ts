import * as tf from '@tensorflow/tfjs-core';
import { activeDeviceLost, onActiveDeviceLost } from '../backend_registry.js';
import { BackendError, DeviceLostError } from '../errors.js';

/** Where in training a {@link TrainingMirror} was taken. */
export interface TrainingPosition {
  /** Optimizer steps applied by this compiled model so far (every `trainOnBatch` and `fit` batch). */
  step: number;
  /** The fit epoch of the last step included, or -1 for a copy taken before any step of that fit. */
  epoch: number;
  /** The batch (within `epoch`) of the last step included, or -1. */
  batch: number;
}

/** One tensor copied to the CPU. */
export interface MirroredTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

/**
 * A copy in JavaScript memory of a model's trainable variables and its optimizer's state, taken at a step boundary
 * during `fit` (every `mirrorEvery` steps). It survives the loss of the device that held the tensors (a lost WebGL
 * context), and training resumes from it on another backend.
 */
export interface TrainingMirror extends TrainingPosition {
  /** The trainable variables, in the model's (Keras) order. */
  weights: MirroredTensor[];
  /**
   * What `optimizer.getWeights()` returned (its iteration count first), or null when the optimizer cannot export
   * its state (tfjs 4.22's Adamax).
   */
  optimizer: MirroredTensor[] | null;
}

/** Copies the variables and the optimizer's state to JavaScript memory (awaits the device's reads). */
export async function takeMirror(
  variables: readonly tf.Variable[],
  optimizer: tf.Optimizer,
  position: TrainingPosition,
): Promise<TrainingMirror> {
  const weights = await Promise.all(variables.map((v) => copy(v.name, v)));
  let optimizerWeights: Awaited<ReturnType<tf.Optimizer['getWeights']>> | null = null;
  try {
    optimizerWeights = await optimizer.getWeights();
  } catch {
    // tfjs's Adamax (and optimizers of other libraries) cannot export their state: only the weights are kept.
  }
  let optimizerCopy: MirroredTensor[] | null = null;
  if (optimizerWeights !== null) {
    optimizerCopy = await Promise.all(optimizerWeights.map((w) => copy(w.name, w.tensor)));
    // Index 0 is the iteration count, a scalar made for the caller; the rest are the optimizer's live variables.
    optimizerWeights[0]?.tensor.dispose();
  }
  return { ...position, weights, optimizer: optimizerCopy };
}

async function copy(name: string, t: tf.Tensor): Promise<MirroredTensor> {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const data = await t.data();
  const values = dtype === 'int32' ? Int32Array.from(data as ArrayLike<number>) : Float32Array.from(data as ArrayLike<number>);
  return { name, shape: [...t.shape], dtype, values };
}

/**
 * Points each variable at a new tensor holding the mirrored values. Nothing is read from the device: on a lost
 * WebGL context the new data stays in JavaScript memory until used, and moves to the next backend intact (tfjs
 * would read zeros from the lost textures).
 */
export function restoreVariables(variables: readonly tf.Variable[], mirror: TrainingMirror): void {
  if (variables.length !== mirror.weights.length) {
    throw new BackendError(`the mirror holds ${mirror.weights.length} weights, the model has ${variables.length}`);
  }
  variables.forEach((v, i) => {
    const m = mirror.weights[i]!;
    const t = tf.tensor(m.values, m.shape, m.dtype);
    v.assign(t);
    t.dispose();
  });
}

/**
 * Gives the optimizer the mirrored state. Runs on a working backend (Adam recomputes its beta powers with a
 * kernel). tfjs's `setWeights` creates new state variables without disposing the old ones, which lived on the lost
 * device: they are disposed here (disposal reads nothing).
 */
export async function restoreOptimizer(optimizer: tf.Optimizer, mirror: TrainingMirror): Promise<void> {
  if (mirror.optimizer === null) return;
  const old = await optimizer.getWeights();
  const values = mirror.optimizer.map((m) => ({ name: m.name, tensor: tf.tensor(m.values, m.shape, m.dtype) }));
  try {
    await optimizer.setWeights(values);
  } finally {
    // setWeights made variables sharing these tensors' data; the tensors themselves are ours to drop.
    tf.dispose(values.map((v) => v.tensor));
  }
  tf.dispose(old.map((w) => w.tensor));
  remakeHyperparameterScalars(optimizer);
}

/**
 * tfjs's SGD keeps its learning rate as a scalar tensor (`c`) and Momentum its momentum (`m`): created once, they
 * lived on the lost device too (found by the per-optimizer test: training resumed with a learning rate of 0).
 * Remade here from the numbers the optimizer keeps.
 */
function remakeHyperparameterScalars(optimizer: tf.Optimizer): void {
  const o = optimizer as unknown as {
    learningRate?: number;
    c?: tf.Tensor;
    setLearningRate?: (learningRate: number) => void;
    momentum?: number;
    m?: tf.Tensor;
  };
  if (o.c instanceof tf.Tensor && typeof o.setLearningRate === 'function' && typeof o.learningRate === 'number') {
    o.setLearningRate(o.learningRate);
  }
  if (o.m instanceof tf.Tensor && typeof o.momentum === 'number') {
    const lost = o.m;
    o.m = tf.scalar(o.momentum);
    lost.dispose();
  }
}

/**
 * Runs training steps so that a lost device ends them with a {@link DeviceLostError} within one step, and keeps
 * the mirror they are restored from. One per compiled model.
 */
export class DeviceLossGuard {
  private mirror: TrainingMirror | null = null;
  /** Set when the weights were restored on a lost device: the optimizer follows on the next working backend. */
  private optimizerRestorePending = false;
  private lostAfterSteps: number | null = null;

  constructor(
    private readonly variables: () => tf.Variable[],
    private readonly optimizer: tf.Optimizer,
  ) {}

  /** The latest copy, or null before the first one. */
  get lastMirror(): TrainingMirror | null {
    return this.mirror;
  }

  /** Takes a copy now (call it at a step boundary). */
  async snapshot(position: TrainingPosition): Promise<void> {
    this.mirror = await takeMirror(this.variables(), this.optimizer, position);
  }

  /**
   * Runs `body` (one step, or an evaluation pass). Before it: refuses a lost device and completes a pending
   * optimizer restore. During it: a lost device ends the wait at once (a read from a lost WebGL context may never
   * resolve). After it: a device lost in the meantime makes the result worthless, so it is refused too.
   */
  async run<T>(what: string, position: { epoch: number; batch: number }, body: () => Promise<T>): Promise<T> {
    const before = activeDeviceLost();
    if (before !== undefined) throw this.lost(before, what, position, undefined);
    if (this.optimizerRestorePending) {
      if (this.mirror === null || this.mirror.optimizer === null) {
        throw new BackendError(
          `${what}: the optimizer's state was lost with the device and no copy of it exists ` +
            '(the optimizer cannot export it); call compile() again to start a fresh optimizer',
        );
      }
      await restoreOptimizer(this.optimizer, this.mirror);
      this.optimizerRestorePending = false;
    }
    let stopListening = (): void => {};
    const lostDuring = new Promise<never>((_, reject) => {
      stopListening = onActiveDeviceLost((reason) => reject(new LostSignal(reason)));
    });
    const running = body();
    // If the device goes first, the body may still settle later; its outcome no longer matters.
    running.catch(() => {});
    try {
      const result = await Promise.race([running, lostDuring]);
      const after = activeDeviceLost();
      if (after !== undefined) throw new LostSignal(after);
      return result;
    } catch (error) {
      const reason = error instanceof LostSignal ? error.reason : activeDeviceLost();
      if (reason === undefined) throw error;
      throw this.lost(reason, what, position, error instanceof LostSignal ? undefined : error);
    } finally {
      stopListening();
    }
  }

  /** Restores the weights from the mirror (once per loss) and describes what happened. */
  private lost(
    reason: string,
    what: string,
    position: { epoch: number; batch: number },
    cause: unknown,
  ): DeviceLostError {
    const where = position.epoch < 0 ? '' : ` at epoch ${position.epoch}, batch ${position.batch}`;
    const head = `${what}: the ${tf.getBackend()} backend lost its device${where} (${reason}). `;
    const m = this.mirror;
    if (m === null) {
      return new DeviceLostError(
        `${head}No copy of the weights had been taken, so they are lost with it; build or load the model again on ` +
          `another backend (setBackend('wasm') or 'cpu')`,
        null,
        { cause },
      );
    }
    if (this.lostAfterSteps !== m.step) {
      restoreVariables(this.variables(), m);
      this.optimizerRestorePending = true;
      this.lostAfterSteps = m.step;
    }
    const at = m.epoch < 0 ? `before the first step of a fit (step ${m.step})` : `after epoch ${m.epoch}, batch ${m.batch} (step ${m.step})`;
    const optimizer = m.optimizer === null ? ' (the optimizer could not export its state: compile() again)' : ' and optimizer state';
    return new DeviceLostError(
      `${head}The weights${optimizer} were restored from the copy taken ${at}; switch to another backend ` +
        `(setBackend('wasm') or 'cpu') and train again to continue from there. Other tensors that lived on the ` +
        'lost device (inputs, labels) read as zeros: create them again',
      m,
      { cause },
    );
  }
}

/**
 * `t.data()`, except that it rejects as soon as the active backend's device is lost (a read from a lost WebGL
 * context may never resolve), so the caller's cleanup runs.
 */
export async function readUnlessLost(t: tf.Tensor): Promise<tf.backend_util.TypedArray> {
  let stopListening = (): void => {};
  const lostDuring = new Promise<never>((_, reject) => {
    stopListening = onActiveDeviceLost((reason) => reject(new LostSignal(reason)));
  });
  const read = t.data() as Promise<tf.backend_util.TypedArray>;
  read.catch(() => {});
  try {
    return await Promise.race([read, lostDuring]);
  } finally {
    stopListening();
  }
}

/** Internal: carries the loss reason through the race. */
class LostSignal extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
