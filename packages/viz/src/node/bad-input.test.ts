import { describe, expect, it } from 'vitest';
import { backendResults, simulateRnn, trainingHistory } from '../test/fixtures.js';
import { count, decodePng, inkRatio, panel, parseSvg, texts, writeOutput } from '../test/inspect.js';
import {
  VizError,
  VizShapeError,
  VizValueError,
  backendChartSvg,
  hiddenStatesSvg,
  rnnWorkingSvg,
  svgToPng,
  trainingCurvesSvg,
  weightsSvg,
} from './index.js';

const run = simulateRnn(4, 12, 3, 8);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('bad input: typed errors that name the argument, expected and received', () => {
  it('mismatched batch sizes', async () => {
    const err = await rejection(rnnWorkingSvg({ input: run.input, output: run.output.slice(0, 3), state: run.state }));
    expect(err).toBeInstanceOf(VizShapeError);
    expect(err).toBeInstanceOf(VizError);
    expect(err.message).toBe(
      "output: batch size 3 does not match input's batch size 4 (output shape [3,1], input shape [4,12,3])",
    );
    await expect(rnnWorkingSvg({ input: run.input, output: run.output, state: run.state.slice(1) })).rejects.toThrow(
      /^state: batch size 3 does not match input's batch size 4/,
    );
  });

  it('sequence output with a different number of timesteps', async () => {
    const output = run.sequenceOutput.map((ys) => ys.slice(0, 5));
    await expect(rnnWorkingSvg({ input: run.input, output, state: run.state })).rejects.toThrow(
      "output: 5 timesteps do not match input's 12",
    );
  });

  it('example out of range', async () => {
    const err = await rejection(rnnWorkingSvg({ ...run, example: 4 }));
    expect(err).toBeInstanceOf(VizValueError);
    expect(err.message).toBe('example: expected an integer in [0, 3] (the batch has 4 examples), received 4');
    await expect(hiddenStatesSvg({ hiddenStates: run.hiddenStates, example: -1 })).rejects.toThrow(VizValueError);
  });

  it('an empty sequence (T = 0)', async () => {
    const input = { shape: [4, 0, 3], data: [] };
    const err = await rejection(rnnWorkingSvg({ input, output: run.output, state: run.state }));
    expect(err).toBeInstanceOf(VizShapeError);
    expect(err.message).toBe(
      'input: expected at least 1 timestep, received shape [4,0,3] (an empty sequence has nothing to draw)',
    );
    await expect(hiddenStatesSvg({ hiddenStates: { shape: [1, 0, 8], data: [] } })).rejects.toThrow(
      /hiddenStates: expected at least 1 timestep/,
    );
  });

  it('wrong ranks and mismatched weight shapes', async () => {
    await expect(hiddenStatesSvg({ hiddenStates: run.state })).rejects.toThrow(
      'hiddenStates: expected shape [batch, timesteps, units] (rank 3), received shape [4,8] (rank 2)',
    );
    await expect(
      weightsSvg({ kernel: run.kernel, recurrentKernel: run.recurrentKernel.slice(1) }),
    ).rejects.toThrow('recurrentKernel: expected shape [8,8] to match kernel\'s 8 units (kernel shape [3,8]), received [7,8]');
    await expect(
      weightsSvg({ kernel: run.kernel, recurrentKernel: run.recurrentKernel, bias: [1, 2] }),
    ).rejects.toThrow("bias: expected shape [8] to match kernel's 8 units, received [2]");
  });

  it('bad histories, backend rows and options', async () => {
    await expect(trainingCurvesSvg({ epoch: [0, 1], history: { loss: [1] } })).rejects.toThrow(
      'history.history.loss: expected 2 values (one per entry of history.epoch), received 1',
    );
    await expect(backendChartSvg([{ backend: 'cpu' }, { backend: 'cpu' }])).rejects.toThrow(/appears twice/);
    await expect(backendChartSvg([{ backend: 'cpu', forwardMs: -1 }])).rejects.toThrow(
      'results[0].forwardMs: expected a number ≥ 0 or undefined, received -1',
    );
    await expect(rnnWorkingSvg(run, { width: 10 })).rejects.toThrow(/width: expected a number of pixels/);
    await expect(hiddenStatesSvg({ hiddenStates: run.hiddenStates }, { scheme: 'rainbow' as never })).rejects.toThrow(
      /scheme: expected one of 'PuOr'/,
    );
    await expect(trainingCurvesSvg({ epoch: [0], history: { loss: [0] } }, { lossScale: 'log' })).rejects.toThrow(
      /lossScale: 'log' needs loss > 0/,
    );
  });
});

describe('NaN and ∞: marked gaps with a note, never a blank picture', () => {
  async function rendered(name: string, svg: string) {
    const png = await svgToPng(svg, { scale: 1 });
    writeOutput(`${name}.svg`, svg);
    writeOutput(`${name}.png`, png);
    expect(inkRatio(decodePng(png))).toBeGreaterThan(0.02);
    return parseSvg(svg);
  }

  it('input lines break at NaN, the column is hatched, the panel says so', async () => {
    const input = structuredClone(run.input);
    input[0]![4]![1] = NaN;
    input[0]![5]![1] = Infinity;
    const state = structuredClone(run.state);
    state[0]![2] = NaN;
    const doc = await rendered('nan-rnn-working', await rnnWorkingSvg({ input, output: run.output, state }));
    const inputPanel = panel(doc, 'input');
    expect(texts(inputPanel, '.viz-panel-warning').join(' ')).toBe(
      '1 NaN value and 1 infinite value: gaps in the lines, hatched columns',
    );
    expect(count(inputPanel, 'g.viz-missing-band rect')).toBe(2);
    // Feature 1's line is split into two pieces by the gap.
    const paths = inputPanel.querySelectorAll('g.viz-input path');
    expect(paths[1]?.getAttribute('d')?.match(/M/g)).toHaveLength(2);
    expect(paths[0]?.getAttribute('d')?.match(/M/g)).toHaveLength(1);
    expect(count(panel(doc, 'state'), 'g.viz-missing-bar rect')).toBe(1);
    expect(texts(panel(doc, 'state'), '.viz-panel-warning')).toEqual(['1 NaN value: hatched bars']);
    expect(texts(panel(doc, 'state'), '.viz-legend-label')).toEqual(['NaN']);
  });

  it('heatmaps hatch NaN cells', async () => {
    const hiddenStates = structuredClone(run.hiddenStates);
    hiddenStates[0]![3]![2] = NaN;
    hiddenStates[0]![7]![5] = NaN;
    const doc = await rendered('nan-hidden-states', await hiddenStatesSvg({ hiddenStates }));
    expect(count(doc, 'g.viz-missing-cell rect')).toBe(2);
    expect(count(doc, 'g.viz-hidden-cell rect')).toBe(12 * 8 - 2);
    expect(texts(doc, '.viz-panel-warning')).toEqual(['2 NaN values: hatched cells']);
    const fill = doc.querySelector('g.viz-missing-cell')?.getAttribute('fill') ?? '';
    const id = /^url\(#(.+)\)$/.exec(fill)?.[1];
    expect(id && doc.getElementById(id)?.tagName.toLowerCase()).toBe('pattern');
  });

  it('all-NaN input still draws axes and says there is nothing finite', async () => {
    const input = run.input.map((seq) => seq.map((x) => x.map(() => NaN)));
    const doc = await rendered('nan-all-input', await rnnWorkingSvg({ input, output: run.output, state: run.state }));
    expect(texts(panel(doc, 'input'), '.viz-empty-note text')).toEqual(['no finite values to draw']);
    expect(count(panel(doc, 'input'), '[aria-label="x-axis tick label"] text')).toBeGreaterThan(2);
  });

  it('training curves with a NaN epoch, an empty history, empty backend results', async () => {
    const doc = await rendered('nan-training-curves', await trainingCurvesSvg(trainingHistory(12, true)));
    expect(texts(panel(doc, 'loss'), '.viz-panel-warning')).toEqual([
      'loss is NaN or infinite at epoch 6: gaps, hatched',
      'val_loss is NaN or infinite at epoch 6: gaps, hatched',
    ]);
    const empty = await rendered('empty-training-curves', await trainingCurvesSvg({ epoch: [], history: {} }));
    expect(texts(empty, '.viz-panel-note')).toEqual(['no epochs yet: the curves grow as fit() reports each epoch']);
    const none = await rendered('empty-backend-chart', await backendChartSvg([]));
    expect(texts(none, '.viz-panel-title')).toEqual(['No backend results yet']);
    const partial = await rendered(
      'partial-backend-chart',
      await backendChartSvg([...backendResults.slice(0, 2), { backend: 'webgpu', forwardMs: NaN }]),
    );
    expect(texts(panel(partial, 'forward'), '.viz-panel-warning')).toEqual(['webgpu reports NaN']);
    expect(texts(panel(partial, 'train'), '.viz-missing-label text')).toEqual(['not measured']);
  });
});
