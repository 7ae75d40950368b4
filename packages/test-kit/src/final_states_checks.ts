import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@basicrnn/core';
import { expect } from 'vitest';

// Shared by the backends that register core's final-states kernels (backend-wasm's gated kernel tests, backend-webgl's
// gated_sequence.browser.test.ts).

/**
 * A stateful recurrent layer with `returnState` that returns no sequence (the final-states kernel, outside a tape)
 * gives, call after call, the same states bit for bit as the same layer returning sequences (the sequence kernel):
 * `x` is [5, 6, 3]; two calls, so the second starts from the states the first left.
 */
export function expectFinalStatesLikeSequences(cell: 'lstm' | 'gru', x: tf.Tensor): void {
  const withState = layers[cell]({ units: 9, returnState: true, stateful: true, seed: 5 });
  const plain = layers[cell]({ units: 9, returnState: true, stateful: true, returnSequences: true, seed: 5 });
  try {
    withState.build([5, 6, 3]);
    plain.build([5, 6, 3]);
    for (let call = 0; call < 2; call++) {
      const a = withState.apply(x) as tf.Tensor[];
      const b = plain.apply(x) as tf.Tensor[];
      try {
        expect(a).toHaveLength(cell === 'lstm' ? 3 : 2);
        for (let k = 1; k < a.length; k++) expect(Array.from(a[k]!.dataSync()), `call ${call} state ${k}`).toEqual(Array.from(b[k]!.dataSync()));
      } finally {
        tf.dispose([...a, ...b]);
      }
    }
  } finally {
    withState.dispose();
    plain.dispose();
  }
}
