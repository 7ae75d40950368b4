// The forward pass with every hidden state, for the CLI's plots (main_job.ts) and the web worker's panels alike.
// Browser-safe: tfjs-core and @basicrnn/core only.
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, RecurrentLayer, type Sequential } from '@basicrnn/core';

/** A forward pass with what the hidden-state views draw. Every tensor is new: the caller disposes them ({@link disposeStatesRun}). */
export interface StatesRun {
  /** What the recurrent layer reads per step: a copy of the input, or (embedding first) the embedded words [B, T, E]. */
  input: tf.Tensor;
  /** The model's output, as its `call` gives it. */
  output: tf.Tensor;
  /** The recurrent layer's final hidden state h [B, units] (carried over padded steps: the state at the last real step). */
  state: tf.Tensor;
  /** The hidden state h of every step [B, T, units], in processing order. */
  hiddenStates: tf.Tensor;
  /** An LSTM's final cell state c [B, units]; absent for SimpleRNN and GRU. */
  cellState?: tf.Tensor;
}

/**
 * Runs `x` through `model` and returns the recurrent layer's hidden state at every step with the model's output.
 * A BasicRNN returns its states from `call`; for a sequential model (embedding → recurrent layer → …) the layers
 * before the recurrent one run as in the model (an embedding's maskZero mask included) and the recurrent layer's
 * own sequence run gives every state, carried over padded steps as the model computes them.
 *
 * @throws Error when a sequential model has no recurrent layer.
 */
export function forwardWithStates(model: BasicRNN | Sequential, x: tf.Tensor): StatesRun {
  if (model instanceof BasicRNN) {
    const r = model.call(x, { returnHiddenStates: true });
    const run: StatesRun = { input: x.clone(), output: r.output, state: r.state, hiddenStates: r.hiddenStates! };
    if (r.cellState !== undefined) run.cellState = r.cellState;
    return run;
  }
  const index = model.layers.findIndex((l) => l instanceof RecurrentLayer);
  if (index < 0) throw new Error('the sequential model has no recurrent layer to show the hidden states of');
  const recurrent = model.layers[index] as RecurrentLayer;
  const output = model.call(x);
  const tensors = tf.tidy(() => {
    let h: tf.Tensor = x;
    let mask: tf.Tensor | null = null;
    for (const layer of model.layers.slice(0, index)) {
      const r = layer.forward(h, { mask, training: false });
      h = r.outputs[0]!;
      mask = r.mask;
    }
    const run = recurrent.run(h, { mask });
    return [h === x ? x.clone() : h, run.hiddenStates, ...run.finalStates];
  });
  const [input, hiddenStates, state, cellState] = tensors as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
  const run: StatesRun = { input, output, state, hiddenStates };
  if (cellState !== undefined) run.cellState = cellState;
  return run;
}

/** Every tensor of a {@link StatesRun}, for tf.dispose or a list of owned tensors. */
export function statesRunTensors(run: StatesRun): tf.Tensor[] {
  return [run.input, run.output, run.state, run.hiddenStates, ...(run.cellState === undefined ? [] : [run.cellState])];
}

/** Disposes every tensor of a {@link StatesRun}. */
export function disposeStatesRun(run: StatesRun): void {
  tf.dispose(statesRunTensors(run));
}
