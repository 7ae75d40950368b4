// The recurrent-network views (gradient flow, LSTM cell state, LSTM gates) rendered in Node: known values land where
// they must (log-scale positions, notes, cell colours), bad input gets typed errors.
import { describe, expect, it } from 'vitest';
import { count, decodePng, inkRatio, panel, parseSvg, texts, writeOutput } from '../test/inspect.js';
import { VizShapeError, VizValueError, cellStatesSvg, gradientFlowSvg, gradientNorms, lstmGatesSvg, svgToPng } from './index.js';

const T = 12;

/** [batch 2, T, units 2] where every example's ‖g_t‖ is norm(t): the units are 3k and 4k (a 3-4-5 triangle). */
function gradientsWithNorms(norm: (t: number) => number): number[][][] {
  return [0, 1].map(() => Array.from({ length: T }, (_, t) => [0.6 * norm(t), 0.8 * norm(t)]));
}

async function png(name: string, svg: string): Promise<void> {
  const bytes = await svgToPng(svg);
  writeOutput(`${name}.svg`, svg);
  writeOutput(`${name}.png`, bytes);
  expect(inkRatio(decodePng(bytes))).toBeGreaterThan(0.02);
}

/** The centre y of every dot of a series, from the dots' own attributes. */
function dotYs(doc: Document, className: string): number[] {
  return Array.from(doc.querySelectorAll(`g.${className}-dot circle`), (c) => Number(c.getAttribute('cy')));
}

describe('gradient flow', () => {
  const vanishing = (t: number) => 10 ** (-(T - 1 - t) / 2);
  const data = { gradients: { SimpleRNN: gradientsWithNorms(vanishing), LSTM: gradientsWithNorms(() => 1) } };

  it('reduces [B, T, H] to the batch mean of the L2 norm per step', () => {
    const [rnn, lstm] = gradientNorms(data);
    expect(rnn!.label).toBe('SimpleRNN');
    expect(rnn!.norms[T - 1]).toBeCloseTo(1, 12);
    expect(rnn!.norms[T - 3]).toBeCloseTo(0.1, 12);
    expect(Array.from(lstm!.norms)).toEqual(Array.from({ length: T }, () => expect.closeTo(1, 12)));
  });

  it('draws one line per model on a log axis: a geometric decay falls in equal steps, a constant is flat', async () => {
    const svg = await gradientFlowSvg(data);
    const doc = parseSvg(svg);
    await png('gradient-flow', svg);
    expect(texts(doc, '.viz-panel-title')).toEqual(['|∂loss/∂h(t)| per timestep (mean over 2 examples)']);
    expect(texts(doc, '.viz-legend-label text')).toEqual(['SimpleRNN', 'LSTM']);
    expect(count(doc, 'g.viz-line path')).toBe(2);
    const rnn = dotYs(doc, 'viz-gradient-SimpleRNN');
    const lstm = dotYs(doc, 'viz-gradient-LSTM');
    expect(rnn).toHaveLength(T);
    // Half a decade per step on a log axis: equal pixel steps, falling towards the early steps (larger y).
    const steps = rnn.slice(1).map((y, i) => rnn[i]! - y);
    for (const s of steps) expect(s).toBeCloseTo(steps[0]!, 6);
    expect(steps[0]!).toBeGreaterThan(5);
    // The LSTM line is flat, at the height where the SimpleRNN's ends (both norms are 1 at the last step).
    expect(new Set(lstm.map((y) => y.toFixed(3))).size).toBe(1);
    expect(lstm[0]).toBeCloseTo(rnn[T - 1]!, 6);
    expect(texts(doc, '.viz-panel-note')).toEqual([
      `SimpleRNN: |∂L/∂h| at step 0 is 3.2e−6 × its value at step ${T - 1}`,
      `LSTM: |∂L/∂h| at step 0 is 1 × its value at step ${T - 1}`,
    ]);
    expect(texts(doc, '[aria-label="y-axis tick label"] text')).toContain('1e−5');
  });

  it('refuses bad input with typed errors naming the argument', async () => {
    await expect(gradientFlowSvg({ gradients: {} })).rejects.toThrow(new VizValueError('gradients: expected at least one entry, received an empty object'));
    await expect(gradientFlowSvg({ gradients: { a: [[1, 2]] } })).rejects.toThrow(VizShapeError);
    await expect(gradientFlowSvg({ gradients: { a: gradientsWithNorms(() => 1), b: [[[1]]] } })).rejects.toThrow(
      `gradients.b: 1 timesteps do not match gradients.a's ${T} (every model must see the same sequences)`,
    );
    await expect(gradientFlowSvg(data, { scale: 'log2' as 'log' })).rejects.toThrow(/scale: expected one of 'linear', 'log'/);
    await expect(gradientFlowSvg(data, { hieght: 3 } as never)).rejects.toThrow(/unknown key "hieght"; did you mean "height"/);
  });
});

describe('LSTM cell state and gates', () => {
  // A unit that stores 0.8 at step 3 and holds it; another that decays.
  const cellStates = [Array.from({ length: T }, (_, t) => [t < 3 ? 0 : 0.8, 0.9 ** t])];

  it('cell state: one line per unit, a held value flat at its height, marked steps ruled', async () => {
    const svg = await cellStatesSvg({ cellStates }, { markSteps: [3, 9] });
    const doc = parseSvg(svg);
    await png('cell-states', svg);
    expect(texts(doc, '.viz-panel-title')).toEqual(['Cell state c(t) (example 0 of 1)']);
    expect(texts(doc, '.viz-legend-label text')).toEqual(['unit 0', 'unit 1']);
    const held = dotYs(doc, 'viz-cell-unit-0');
    expect(new Set(held.slice(3).map((y) => y.toFixed(3))).size).toBe(1);
    expect(held[0]!).toBeGreaterThan(held[3]!); // 0 is drawn below 0.8
    // unit 1 starts at 1 (above the held 0.8) and decays below it.
    const decaying = dotYs(doc, 'viz-cell-unit-1');
    expect(decaying[0]!).toBeLessThan(held[3]!);
    expect(decaying[T - 1]!).toBeGreaterThan(held[T - 1]!);
    expect(count(doc, 'g.viz-mark-x line')).toBe(2);
    await expect(cellStatesSvg({ cellStates }, { markSteps: [T] })).rejects.toThrow(`markSteps: expected a non-empty array of timestep indices in [0, ${T - 1}]`);
    await expect(cellStatesSvg({ cellStates }, { units: [2] })).rejects.toThrow(VizValueError);
  });

  it('gates: four heatmaps on one key; a closed gate is white, an open one full colour', async () => {
    const [B, H] = [2, 3];
    const gate = (v: (t: number, h: number) => number) => Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => Array.from({ length: H }, (_, h) => v(t, h))));
    const data = {
      input: gate((t) => (t === 3 ? 1 : 0)),
      forget: gate(() => 1),
      candidate: gate((_, h) => h - 1),
      output: gate(() => 0.5),
      example: 1,
    };
    const svg = await lstmGatesSvg(data);
    const doc = parseSvg(svg);
    await png('lstm-gates', svg);
    expect(texts(doc, '.viz-panel-title')).toEqual([
      'Input gate i(t) (example 1 of 2)',
      'Forget gate f(t) (example 1 of 2)',
      'Candidate c̃(t) (example 1 of 2)',
      'Output gate o(t) (example 1 of 2)',
    ]);
    for (const key of ['input', 'forget', 'candidate', 'output']) expect(count(doc, `g.viz-gate-${key}-cell rect`)).toBe(T * H);
    expect(count(doc, '.viz-legend')).toBe(1);
    const fill = (key: string, title: RegExp) =>
      Array.from(panel(doc, key).querySelectorAll('rect')).find((r) => title.test(r.querySelector('title')?.textContent ?? ''))?.getAttribute('fill');
    // Value 0 is the scale's white midpoint; 1 the far end, the same colour in every panel.
    const open = fill('forget', /unit 0, timestep 0:/);
    expect(fill('input', /unit 0, timestep 3:/)).toBe(open);
    expect(fill('input', /unit 0, timestep 4:/)).toBe(fill('candidate', /unit 1, timestep 0:/));
    expect(fill('input', /unit 0, timestep 4:/)).not.toBe(open);
    expect(texts(panel(doc, 'output'), '.viz-panel-note')[0]).toMatch(/mean 0\.5$/);
    await expect(lstmGatesSvg({ ...data, output: gate(() => 1).slice(1) })).rejects.toThrow('output: expected the shape of input, [2,12,3], received [1,12,3]');
    await expect(lstmGatesSvg({ ...data, example: 2 })).rejects.toThrow(VizValueError);
  });
});
