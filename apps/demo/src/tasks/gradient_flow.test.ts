// hiddenStateGradientsOf / gatesOf on a BasicRNN: the last step's ∂loss/∂h is the Dense head's MSE gradient and the
// step before it one BPTT step back (float64 in plain JS from the model's own states and weights); nothing leaks.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BasicRNN, setBackend } from '@basicrnn/core';
import { gatesOf, hiddenStateGradientsOf } from './gradient_flow.js';

const [B, T, I, H] = [3, 5, 2, 4];

describe('gradient flow of a BasicRNN', () => {
  it('SimpleRNN: ∂L/∂h_{T−1} = 2/B·(ŷ − y)·Vᵀ and ∂L/∂h_{T−2} = (∂L/∂h_{T−1} ⊙ (1 − h_{T−1}²))·Uᵀ', async () => {
    await setBackend('cpu');
    const model = new BasicRNN({ hiddenSize: H, outputSize: 1, seed: 3 });
    model.build([null, T, I]);
    const x = tf.randomUniform([B, T, I], -1, 1, 'float32', 4) as tf.Tensor3D;
    const y = tf.randomUniform([B, 1], 0, 2, 'float32', 5);
    const before = tf.memory().numTensors;
    const result = hiddenStateGradientsOf(model, x, y);
    expect(tf.memory().numTensors).toBe(before + 1); // the result only
    const g = result.arraySync();
    result.dispose();
    const { output, state, hiddenStates } = model.call(x, { returnHiddenStates: true });
    const yHat = output.arraySync() as number[][];
    const hs = hiddenStates!.arraySync() as number[][][];
    const weights = model.getWeights();
    const [U, V] = [weights[1]!.arraySync() as number[][], weights[3]!.arraySync() as number[][]];
    const labels = y.arraySync() as number[][];
    for (let b = 0; b < B; b++) {
      const last = V.map((row) => (2 / B) * (yHat[b]![0]! - labels[b]![0]!) * row[0]!);
      for (let j = 0; j < H; j++) expect(g[b]![T - 1]![j]!).toBeCloseTo(last[j]!, 6);
      const dz = last.map((v, k) => v * (1 - hs[b]![T - 1]![k]! ** 2));
      for (let j = 0; j < H; j++) expect(g[b]![T - 2]![j]!).toBeCloseTo(dz.reduce((s, v, k) => s + v * U[j]![k]!, 0), 6);
    }
    tf.dispose([x, y, output, state, hiddenStates!, ...weights]);
    model.dispose();
  });

  it("LSTM: gatesOf's states are the model's own; the forget gate starts near σ(1) (unit forget bias)", async () => {
    await setBackend('cpu');
    const model = new BasicRNN({ hiddenSize: H, outputSize: 1, seed: 3, cell: 'lstm' });
    model.build([null, T, I]);
    const x = tf.zeros([B, T, I]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const gates = gatesOf(model, x);
    expect(tf.memory().numTensors - before).toBe(6);
    const { output, state, cellState, hiddenStates } = model.call(x, { returnHiddenStates: true });
    expect(Array.from(gates.hiddenStates.dataSync())).toEqual(Array.from(hiddenStates!.dataSync()));
    expect(Array.from(tf.slice(gates.cellStates, [0, T - 1, 0], [B, 1, H]).dataSync())).toEqual(Array.from(cellState!.dataSync()));
    // Zero input, zero state: z_f = bias_f = 1 at the first step.
    expect(tf.slice(gates.forget, [0, 0, 0], [B, 1, H]).dataSync().every((v) => Math.abs(v - 1 / (1 + Math.exp(-1))) < 1e-6)).toBe(true);
    tf.dispose([x, output, state, cellState!, hiddenStates!, ...Object.values(gates)]);
    model.dispose();
  });
});
