import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BasicRNN, setFusedKernelsEnabled } from '../index.js';

// Regular tests from counterexamples that the property tests (test-kit/src/model.property.test.ts) shrank.

describe('core gradients: shrunk counterexamples', () => {
  afterAll(() => setFusedKernelsEnabled(true));

  it('unstack into a single tensor: the tape hands its gradient over as a tensor, not an array', () => {
    const x = tf.tensor2d([[1, 2, 3]]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.unstack(t)[0]!, tf.tensor1d([4, 5, 6]))))(x);
    expect(Array.from(dx.dataSync())).toEqual([4, 5, 6]);
    tf.dispose([x, dx]);
  });

  it('a one-step sequence trains through the composite recurrence (was: "Argument tensors passed to stack must be a Tensor[]")', () => {
    // Counterexample: batch 1, steps 1, inputSize 1, hidden 1, outputSize 1, tanh, useBias false, composite path.
    const gradients = (fused: boolean): number[] => {
      setFusedKernelsEnabled(fused);
      const model = new BasicRNN({ hiddenSize: 1, outputSize: 1, useBias: false, seed: 0 });
      model.build([null, null, 1]);
      const x = tf.tensor3d([[[0.05]]]);
      const { value, grads } = tf.variableGrads(() => {
        const { output, state } = model.call(x);
        state.dispose();
        return tf.sum(output) as tf.Scalar;
      }, model.trainableVariables());
      const values = Object.values(grads).map((g) => g.dataSync()[0]!);
      tf.dispose([x, value, ...Object.values(grads)]);
      model.dispose();
      return values;
    };
    const composite = gradients(false);
    const fused = gradients(true);
    expect(composite).toHaveLength(3);
    composite.forEach((g, i) => expect(g).toBeCloseTo(fused[i]!, 6));
  });
});
