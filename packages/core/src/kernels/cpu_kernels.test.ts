// The cpu backend's fused recurrence kernels against the composite path, through the whole seam: the op
// dispatches to the registered kernel, core's one gradient runs and calls the backward op's kernel.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BasicRNN, RnnSequence, RnnSequenceGrad, getBackendInfo, setFusedKernelsEnabled } from '../index.js';

/** Kernel names run by `f`, as tfjs's profiler records them. */
async function kernelsRun(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => {
    const out = f();
    tf.dispose(out);
  });
  return info.kernelNames;
}

describe('cpu fused recurrence kernels', () => {
  afterAll(() => setFusedKernelsEnabled(true));

  it('forward is one kernel call and its gradient one more, for any sequence length', async () => {
    const model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 1 });
    for (const steps of [3, 40]) {
      const x = tf.randomNormal([2, steps, 3]);
      const forward = await kernelsRun(() => model.predict(x));
      expect(forward.filter((k) => k === RnnSequence)).toHaveLength(1);
      expect(forward.length).toBeLessThanOrEqual(8);
      const backward = await kernelsRun(() => tf.grad((a: tf.Tensor) => tf.sum(model.predict(a)))(x));
      expect(backward.filter((k) => k === RnnSequenceGrad)).toHaveLength(1);
      expect(backward.length).toBeLessThanOrEqual(30);
      x.dispose();
    }
    model.dispose();
  });

  it.each([
    ['tanh', false, false],
    ['relu', true, false],
    ['sigmoid', false, true],
    ['linear', true, true],
  ] as const)('%s (goBackwards %s, mask %s): fused forward and core gradient equal the composite path', (activation, goBackwards, masked) => {
    const before = tf.memory().numTensors;
    const model = new BasicRNN({ hiddenSize: 5, outputSize: 2, activation, goBackwards, returnSequences: true, seed: 4 });
    model.build([null, null, 4]);
    const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 1);
    const h0 = tf.randomNormal([3, 5], 0, 0.5, 'float32', 2);
    const mask = masked ? tf.tensor2d([[1, 0, 1, 1, 0, 1], [1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1]]) : undefined;
    const run = () => {
      const vars = model.trainableVariables();
      const f = () => {
        const { output, state } = model.call(x, { initialState: h0, ...(mask ? { mask } : {}) });
        return tf.add(tf.sum(tf.square(output)), tf.sum(state)) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(f, vars);
      const [dx, dh0] = tf.grads((a: tf.Tensor, c: tf.Tensor) => {
        const { output, state } = model.call(a, { initialState: c, ...(mask ? { mask } : {}) });
        return tf.add(tf.sum(tf.square(output)), tf.sum(state));
      })([x, h0]);
      const out = [value, ...vars.map((v) => grads[v.name]!), dx!, dh0!].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, dx!, dh0!, ...Object.values(grads)]);
      return out;
    };
    setFusedKernelsEnabled(true);
    expect(getBackendInfo().fusedKernels).toBe(true);
    const fused = run();
    setFusedKernelsEnabled(false);
    expect(getBackendInfo().fusedKernels).toBe(false);
    const composite = run();
    fused.forEach((values, i) => values.forEach((v, k) => expect(Math.abs(v - composite[i]![k]!), `tensor ${i}[${k}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))));
    tf.dispose([x, h0, ...(mask ? [mask] : [])]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
