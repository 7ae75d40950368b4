import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, type CellType, type FitOptions, type LossName, type OptimizerName } from '@basicrnn/core';
import { cellStatesSvg, gradientFlowSvg, lstmGatesSvg } from '@basicrnn/viz/node';
import { gatesOf, hiddenStateGradientsOf } from './gradient_flow.js';

/** Display names of the cells, as the gradient-flow legend shows them. */
export const CELL_LABELS: Record<CellType, string> = { simpleRNN: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' };

/** What {@link longDependencyViews} needs: the trained model of the chosen cell, the data, and how it was trained. */
export interface LongDependencyInputs {
  model: BasicRNN;
  settings: {
    hiddenSize: number;
    seed: number;
    optimizer: OptimizerName;
    learningRate: number;
    loss: LossName;
    epochs: number;
    batchSize: number;
  };
  xTrain: tf.Tensor3D;
  yTrain: tf.Tensor;
  xTest: tf.Tensor3D;
  yTest: tf.Tensor;
  /** Where a line of progress goes. */
  line(text: string): void;
}

/**
 * The seed's limitation as pictures: trains the two other cells exactly as the chosen one was trained (same data,
 * seeds, optimizer, epochs), prints every cell's test loss, and draws ∂loss/∂h_t of all three on the same test
 * examples (gradient flow), and the LSTM's cell state and gates on the first one. Disposes everything it made.
 */
export async function longDependencyViews(o: LongDependencyInputs): Promise<{ name: 'gradient-flow' | 'cell-states' | 'lstm-gates'; svg: string }[]> {
  const s = o.settings;
  const models = new Map<CellType, BasicRNN>([[o.model.cell, o.model]]);
  const owned: BasicRNN[] = [];
  const tensors: tf.Tensor[] = [];
  try {
    for (const cell of (['simpleRNN', 'lstm', 'gru'] as const).filter((c) => c !== o.model.cell)) {
      o.line(`Training a ${CELL_LABELS[cell]} the same way, for the comparison…`);
      const model = new BasicRNN({ hiddenSize: s.hiddenSize, outputSize: 1, seed: s.seed, cell });
      owned.push(model);
      model.compile({ optimizer: s.optimizer, learningRate: s.learningRate, loss: s.loss });
      model.build([null, o.xTrain.shape[1], o.xTrain.shape[2]]);
      const fit: FitOptions = { epochs: s.epochs, batchSize: s.batchSize, validationSplit: 0.2, seed: s.seed };
      if (s.epochs > 0) await model.fit(o.xTrain, o.yTrain, fit);
      models.set(cell, model);
    }
    const results: string[] = [];
    for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
      const loss = [await models.get(cell)!.evaluate(o.xTest, o.yTest, { batchSize: s.batchSize })].flat()[0]!;
      results.push(`${CELL_LABELS[cell]} ${loss.toFixed(4)}`);
    }
    o.line(`Test loss per cell (predicting the mean gives ≈ 0.167): ${results.join(', ')}`);

    const count = Math.min(32, o.xTest.shape[0]);
    const x = tf.slice(o.xTest, [0, 0, 0], [count, -1, -1]) as tf.Tensor3D;
    const y = tf.slice(o.yTest, [0, 0], [count, -1]);
    tensors.push(x, y);
    const gradients: Record<string, tf.Tensor3D> = {};
    for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
      gradients[CELL_LABELS[cell]] = hiddenStateGradientsOf(models.get(cell)!, x, y);
      tensors.push(gradients[CELL_LABELS[cell]]!);
    }
    const first = tf.slice(x, [0, 0, 0], [1, -1, -1]) as tf.Tensor3D;
    tensors.push(first);
    const markerRow = tf.tidy(() => tf.squeeze(tf.slice(first, [0, 0, 1], [1, -1, 1])).dataSync() as Float32Array);
    const markers = Array.from(markerRow).flatMap((v, t) => (v === 1 ? [t] : []));
    const gates = gatesOf(models.get('lstm')!, first);
    tensors.push(...Object.values(gates));
    const steps = x.shape[1];
    return [
      {
        name: 'gradient-flow',
        svg: await gradientFlowSvg({ gradients }, { subtitle: `adding problem, T = ${steps}: the loss on the last output, carried back to every step, for ${count} test sequences` }),
      },
      { name: 'cell-states', svg: await cellStatesSvg({ cellStates: gates.cellStates }, { markSteps: markers, subtitle: 'test example 0; dashed rules: the two marked steps' }) },
      { name: 'lstm-gates', svg: await lstmGatesSvg(gates, { subtitle: 'test example 0' }) },
    ];
  } finally {
    tf.dispose(tensors);
    for (const model of owned) model.dispose();
  }
}
