// tfjs-layers as a second, independent oracle: SimpleRNN + Dense from @tensorflow/tfjs (the union package:
// tfjs-layers needs its chained ops), given the same weights, on the same backend as the model under test.
// Importing this module registers tfjs's gradients over core's: only test files of their own may load it
// (through `@basicrnn/test-kit/oracle`), never the parity suite's files.
import * as tfl from '@tensorflow/tfjs';
import type { RefConfig } from './reference.js';

/** tfjs-layers SimpleRNN + Dense built with a BasicRNN's weights. */
export interface LayersModel {
  rnn: tfl.layers.Layer;
  dense: tfl.layers.Layer;
  /** [output, state] for x (and an optional initial state and [B,T] mask); the caller disposes them. */
  run(x: tfl.Tensor, h0?: tfl.Tensor, mask?: tfl.Tensor): [tfl.Tensor, tfl.Tensor];
  dispose(): void;
}

/** Builds tfjs-layers SimpleRNN + Dense for `c`, with the weights of a BasicRNN (Keras order). */
export function layersModel(c: RefConfig & { useBias: boolean }, weights: tfl.Tensor[]): LayersModel {
  const rnn = tfl.layers.simpleRNN({
    units: c.hidden,
    activation: c.activation,
    useBias: c.useBias,
    returnSequences: c.returnSequences,
    returnState: true,
    goBackwards: c.goBackwards ?? false,
  });
  const dense = tfl.layers.dense({ units: c.outputSize, useBias: c.useBias, activation: c.outputActivation ?? 'linear' });
  // Build by applying once (tfjs-layers' RNN.build does not mark the layer built when called directly).
  tfl.tidy(() => {
    const [seq] = rnn.apply(tfl.zeros([1, c.steps, c.inputSize])) as tfl.Tensor[];
    dense.apply(seq!);
  });
  const rnnCount = c.useBias ? 3 : 2;
  rnn.setWeights(weights.slice(0, rnnCount));
  dense.setWeights(weights.slice(rnnCount));
  return {
    rnn,
    dense,
    run(x, h0, mask) {
      return tfl.tidy(() => {
        const kwargs = { ...(h0 ? { initialState: [h0] } : {}), ...(mask ? { mask: tfl.cast(mask, 'bool') } : {}) };
        const [seq, state] = rnn.apply(x, kwargs) as tfl.Tensor[];
        return [dense.apply(seq!) as tfl.Tensor, state!];
      }) as [tfl.Tensor, tfl.Tensor];
    },
    dispose() {
      rnn.dispose();
      dense.dispose();
    },
  };
}

/** The @tensorflow/tfjs union package the oracle runs on (tfjs-layers needs its chained ops). */
export { tfl };

/**
 * A compiled tfjs-layers Sequential (SimpleRNN + Dense) with the given weights, for training parity:
 * same optimizer, same loss, compare weights after `trainOnBatch`.
 */
export function layersSequential(
  c: RefConfig & { useBias: boolean },
  weights: tfl.Tensor[],
  compile: { optimizer: tfl.Optimizer; loss: 'meanSquaredError' | 'binaryCrossentropy' },
): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.simpleRNN({
        units: c.hidden,
        activation: c.activation,
        useBias: c.useBias,
        returnSequences: c.returnSequences,
        inputShape: [c.steps, c.inputSize],
      }),
      tfl.layers.dense({ units: c.outputSize, useBias: c.useBias, activation: c.outputActivation ?? 'linear' }),
    ],
  });
  model.setWeights(weights);
  model.compile(compile);
  return model;
}
