import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, describe } from '../errors.js';
import { UnknownOptionError, checkOptions, closestName, type OptionSchema } from '../options.js';
import { assertBoolean, assertFiniteNumber, assertNonNegativeInt, assertString, oneOf } from '../validate.js';
import type { TrainableModel } from './trainable.js';

/** Per-epoch or per-batch values: `loss`, metrics, `val_*`, and `batch`/`size` in batch logs. */
export type Logs = Record<string, number>;

/**
 * Keras-style training hooks; every hook may be async and is awaited. Set `model.stopTraining = true` from a hook
 * to end `fit` after the current epoch.
 */
export interface Callback {
  /** Called once per `fit` with the model being trained. */
  setModel?(model: TrainableModel): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
}

const HOOKS = ['setModel', 'onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/**
 * Checks `fit`'s callbacks: each an object with at least one hook. Callback objects may carry other members (state,
 * getters), so other keys are accepted, except a function whose name is a likely misspelling of a hook
 * (`onEpochEnds`), which would otherwise never be called.
 */
export function normalizeCallbacks(callbacks: Callback | Callback[] | undefined): Callback[] {
  if (callbacks === undefined) return [];
  const list = Array.isArray(callbacks) ? callbacks : [callbacks];
  list.forEach((cb, i) => {
    const where = `fit(x, y, options).callbacks[${i}]`;
    if (cb === null || typeof cb !== 'object' || !HOOKS.some((h) => typeof (cb as Record<string, unknown>)[h] === 'function')) {
      throw new ConfigError(`${where}: expected an object with hooks (${HOOKS.join(', ')}), received ${describe(cb)}`);
    }
    for (const key of Object.keys(cb)) {
      if ((HOOKS as readonly string[]).includes(key) || typeof (cb as Record<string, unknown>)[key] !== 'function') continue;
      const suggestion = closestName(key, HOOKS);
      if (suggestion !== undefined) {
        throw new UnknownOptionError(
          `${where}: unknown hook ${JSON.stringify(key)}; did you mean ${JSON.stringify(suggestion)}? Hooks: ${HOOKS.join(', ')}`,
          key,
          suggestion,
        );
      }
    }
  });
  return list;
}

/** Schema of {@link earlyStopping}'s options. */
export const EARLY_STOPPING_OPTIONS: OptionSchema = {
  monitor: assertString,
  patience: assertNonNegativeInt,
  minDelta: assertFiniteNumber,
  mode: oneOf(['min', 'max', 'auto']),
  restoreBestWeights: assertBoolean,
};

/** Options of {@link earlyStopping} (Keras `EarlyStopping`). */
export interface EarlyStoppingOptions {
  /** The log key to watch. Default 'val_loss'. */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** 'min', 'max', or 'auto' (max for accuracy-like keys, else min). Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** At the end of training, put back the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
}

/**
 * Stops `fit` when a monitored value stops improving (Keras semantics).
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2,
 *   callbacks: [earlyStopping({ monitor: 'val_loss', patience: 5, restoreBestWeights: true })] });
 * ```
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback & { readonly stoppedEpoch: number | null; readonly best: number } {
  checkOptions<EarlyStoppingOptions>(options, EARLY_STOPPING_OPTIONS, 'earlyStopping(options)');
  const monitor = options.monitor ?? 'val_loss';
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  const mode = options.mode ?? 'auto';
  // Case-insensitive: core's metric keys are camelCase (binaryAccuracy, val_categoricalAccuracy).
  const maximize = mode === 'max' || (mode === 'auto' && /acc|auc/i.test(monitor));
  let model: TrainableModel | null = null;
  let best = maximize ? -Infinity : Infinity;
  let wait = 0;
  let bestWeights: tf.Tensor[] | null = null;
  let stoppedEpoch: number | null = null;

  return {
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    get best() {
      return best;
    },
    setModel(m) {
      model = m;
    },
    onTrainBegin() {
      best = maximize ? -Infinity : Infinity;
      wait = 0;
      stoppedEpoch = null;
      tf.dispose(bestWeights ?? []);
      bestWeights = null;
    },
    onEpochEnd(epoch, logs) {
      const current = logs[monitor];
      if (current === undefined) {
        throw new ConfigError(`earlyStopping({ monitor: '${monitor}' }): no such value in the epoch logs; available: ${Object.keys(logs).join(', ')}`);
      }
      const improved = maximize ? current > best + minDelta : current < best - minDelta;
      if (improved) {
        best = current;
        wait = 0;
        if (options.restoreBestWeights === true && model !== null) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights();
        }
        return;
      }
      wait++;
      if (wait >= patience && epoch > 0) {
        stoppedEpoch = epoch;
        if (model !== null) model.stopTraining = true;
      }
    },
    onTrainEnd() {
      // fit still holds the model (setWeights is refused while it runs): write the variables directly, between steps.
      if (bestWeights !== null && model !== null) model.trainableVariables().forEach((v, i) => v.assign(bestWeights![i]!));
      tf.dispose(bestWeights ?? []);
      bestWeights = null;
    },
  };
}
