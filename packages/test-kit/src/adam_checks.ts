import * as tf from '@tensorflow/tfjs-core';
import { AdamUpdate, layers, sequential, type AdamUpdateAttrs } from '@basicrnn/core';
import { uniform } from './data.js';

// Shared by the backends' AdamUpdate suites (backend-wasm's adam_update.test.ts, backend-webgl's
// adam_update.browser.test.ts): the reference a fused Adam kernel must match bit for bit, and the training check.

/** The attrs of one Adam step (step 3 of lr 0.01 with Keras's β and ε), as core's FusedAdam passes them. */
export const ADAM_TEST_ATTRS: AdamUpdateAttrs = {
  learningRate: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  c1: Math.fround(1 - 0.9 ** 3),
  c2: Math.fround(1 - 0.999 ** 3),
};

/** tfjs's Adam step (adam_optimizer.js) as its own ops on the active backend: [value', m', v']. */
export function tfjsAdamStep(value: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, attrs: AdamUpdateAttrs = ADAM_TEST_ATTRS): tf.Tensor[] {
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, attrs.beta1), tf.mul(g, 1 - attrs.beta1));
    const v1 = tf.add(tf.mul(v, attrs.beta2), tf.mul(tf.square(g), 1 - attrs.beta2));
    const mh = tf.div(m1, tf.scalar(attrs.c1));
    const vh = tf.div(v1, tf.scalar(attrs.c2));
    return [tf.add(tf.mul(tf.div(mh, tf.add(tf.sqrt(vh), attrs.epsilon)), -attrs.learningRate), value), m1, v1];
  });
}

/**
 * Trains one small LSTM + Dense model `steps` Adam steps twice on the active backend: with `backendName`'s
 * AdamUpdate kernel unregistered (tfjs's Adam ops) and with it registered (counting its calls). Returns both
 * models' weights afterwards and the kernel's calls; the kernel is registered as before on return.
 */
export async function trainWithAndWithoutAdamKernel(backendName: string, steps: number): Promise<{ want: number[][]; got: number[][]; calls: number }> {
  const x = tf.tensor(uniform(3 * 5 * 4, 7, -1, 1), [3, 5, 4]);
  const y = tf.tensor(uniform(3, 8, -1, 1), [3, 1]);
  const train = async (): Promise<number[][]> => {
    const model = sequential({ layers: [layers.lstm({ units: 6 }), layers.dense({ units: 1 })], seed: 3 });
    model.build([3, 5, 4]);
    model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'meanSquaredError' });
    for (let s = 0; s < steps; s++) await model.trainOnBatch(x, y);
    const out = await Promise.all(model.trainableVariables().map(async (w) => Array.from(await w.data())));
    model.dispose();
    return out;
  };
  const config = tf.getKernel(AdamUpdate, backendName);
  if (config === undefined) throw new Error(`${backendName} registers no ${AdamUpdate} kernel`);
  let calls = 0;
  try {
    tf.unregisterKernel(AdamUpdate, backendName);
    let want: number[][];
    try {
      want = await train();
    } finally {
      tf.registerKernel({ ...config, kernelFunc: (args) => (calls++, config.kernelFunc(args)) });
    }
    const got = await train();
    return { want, got, calls };
  } finally {
    tf.unregisterKernel(AdamUpdate, backendName);
    tf.registerKernel(config);
    tf.dispose([x, y]);
  }
}
