// Where a known value lands, for every view: inputs that are zero except for a few non-symmetric "hot" entries,
// rendered to SVG in Node, and the hot marks located through the plot's own axes (tick labels), so a transposed
// heatmap, a swapped example, a bar in the wrong slot or a mislabelled axis fails.
import { describe, expect, it } from 'vitest';
import { parseSvg } from '../test/inspect.js';
import { attr, expectAt, linearAxis, placedCells, plotOf, rectCentre, standOut, ticks, warmth } from '../test/positions.js';
import { backendChartSvg, hiddenStatesSvg, rnnWorkingSvg, trainingCurvesSvg, weightsSvg } from './index.js';

const zeros3 = (a: number, b: number, c: number): number[][][] =>
  Array.from({ length: a }, () => Array.from({ length: b }, () => new Array<number>(c).fill(0)));

describe('hidden-states heatmap: units down, timesteps across', () => {
  it('h[example 1, t 5, unit 2] = +1 lands at timestep 5, unit 2 (warm); −1 at t 1, unit 0 (cool)', async () => {
    // [batch 2, timesteps 7, units 4]; example 0 has its own hot cell, which must not be drawn
    const hs = zeros3(2, 7, 4);
    hs[1]![5]![2] = 1;
    hs[1]![1]![0] = -1;
    hs[0]![0]![3] = 1;
    const doc = parseSvg(await hiddenStatesSvg({ hiddenStates: hs, example: 1 }));
    const cells = placedCells(plotOf(doc, 'hidden-states'), 'viz-hidden-cell');
    expect(cells).toHaveLength(7 * 4);
    // every cell sits on an integer (timestep, unit) pair, each pair once
    const keys = new Set(cells.map((c) => `${Math.round(c.col)},${Math.round(c.row)}`));
    expect(keys.size).toBe(28);
    for (const c of cells) {
      expect(c.col).toBeCloseTo(Math.round(c.col), 1);
      expect(Math.round(c.col)).toBeLessThan(7);
      expect(Math.round(c.row)).toBeLessThan(4);
    }
    const hot = standOut(cells);
    expect(hot).toHaveLength(2);
    const warm = hot.find((c) => warmth(c.fill) === 'warm');
    const cool = hot.find((c) => warmth(c.fill) === 'cool');
    expectAt(warm, 5, 2);
    expectAt(cool, 1, 0);
    expect(warm!.title).toBe('unit 2, timestep 5: 1');
  });
});

describe('weights: W feature × unit, U unit(t−1) × unit(t), b per unit', () => {
  it('W[2,4], U[1,3] and b[0] land in their rows and columns, with their signs', async () => {
    const features = 3;
    const units = 5;
    const kernel = Array.from({ length: features }, () => new Array<number>(units).fill(0));
    const recurrentKernel = Array.from({ length: units }, () => new Array<number>(units).fill(0));
    const bias = new Array<number>(units).fill(0);
    kernel[2]![4] = 0.8;
    recurrentKernel[1]![3] = -0.8;
    bias[0] = 0.5;
    const doc = parseSvg(await weightsSvg({ kernel, recurrentKernel, bias }));

    const w = standOut(placedCells(plotOf(doc, 'kernel'), 'viz-kernel-cell'));
    expect(w).toHaveLength(1);
    expectAt(w[0], 4, 2);
    expect(warmth(w[0]!.fill)).toBe('warm');

    const u = standOut(placedCells(plotOf(doc, 'recurrent-kernel'), 'viz-recurrent-cell'));
    expect(u).toHaveLength(1);
    expectAt(u[0], 3, 1);
    expect(warmth(u[0]!.fill)).toBe('cool');

    const b = standOut(placedCells(plotOf(doc, 'bias'), 'viz-bias-cell', false));
    expect(b).toHaveLength(1);
    expectAt(b[0], 0, 0);
    expect(warmth(b[0]!.fill)).toBe('warm');
  });
});

describe('rnn-working: input, output and state of the chosen example', () => {
  it('lines: feature 1 peaks at timestep 4 with value 3; the output and state bars stand at their index and height', async () => {
    // [batch 2, timesteps 6, features 2]; example 0 has a different peak
    const input = zeros3(2, 6, 2);
    input[1]![4]![1] = 3;
    input[0]![2]![0] = 5;
    const output = [
      [0.1, 0.2, 0.3],
      [0.25, 2, -1],
    ];
    const state = [
      [0.9, 0, 0, 0, 0],
      [0.1, -0.2, 0, 0.9, 0.05],
    ];
    const doc = parseSvg(await rnnWorkingSvg({ input, output, state, example: 1 }));

    const inputPlot = plotOf(doc, 'input');
    const x = linearAxis(inputPlot, 'x');
    const y = linearAxis(inputPlot, 'y');
    const dots = Array.from(inputPlot.querySelectorAll('g.viz-input-dot circle'), (c) => ({
      t: x(attr(c, 'cx')),
      v: y(attr(c, 'cy')),
      title: c.querySelector('title')?.textContent ?? '',
    }));
    expect(dots).toHaveLength(12);
    const peak = dots.reduce((a, b) => (b.v > a.v ? b : a));
    expect(peak.t).toBeCloseTo(4, 1);
    expect(peak.v).toBeCloseTo(3, 1);
    expect(peak.title).toMatch(/^feature 1/);
    // every other point lies on 0
    for (const d of dots) if (d !== peak) expect(Math.abs(d.v)).toBeLessThan(0.05);

    const bars = (key: string, cls: string): { i: number; top: number }[] => {
      const plot = plotOf(doc, key);
      const bx = linearAxis(plot, 'x');
      const by = linearAxis(plot, 'y');
      return Array.from(plot.querySelectorAll(`g.${cls} rect`), (r) => {
        const [cx] = rectCentre(r);
        const top = attr(r, 'y');
        const bottom = top + attr(r, 'height');
        // the bar runs from 0 to its value: whichever end is not at 0 is the value
        const ends = [by(top), by(bottom)];
        return { i: bx(cx), top: Math.abs(ends[0]!) > Math.abs(ends[1]!) ? ends[0]! : ends[1]! };
      });
    };
    const out = bars('output', 'viz-output-bar');
    expect(out).toHaveLength(3);
    out.forEach((b, k) => {
      expect(b.i).toBeCloseTo(k, 1);
      expect(b.top).toBeCloseTo(output[1]![k]!, 1);
    });
    const st = bars('state', 'viz-state-bar');
    expect(st).toHaveLength(5);
    st.forEach((b, k) => {
      expect(b.i).toBeCloseTo(k, 1);
      expect(Math.abs(b.top - state[1]![k]!)).toBeLessThan(0.02);
    });
  });

  it('heatmap input (many features): feature 7 at timestep 2 lands in row 7, column 2', async () => {
    const input = zeros3(1, 8, 10);
    input[0]![2]![7] = 1;
    input[0]![6]![1] = -1;
    const doc = parseSvg(await rnnWorkingSvg({ input, output: [[0]], state: [[0, 0]] }));
    const hot = standOut(placedCells(plotOf(doc, 'input'), 'viz-input-cell'));
    expect(hot).toHaveLength(2);
    expectAt(hot.find((c) => warmth(c.fill) === 'warm'), 2, 7);
    expectAt(hot.find((c) => warmth(c.fill) === 'cool'), 6, 1);
  });
});

describe('training curves: epoch across, value up', () => {
  it('the lowest loss lands at its epoch (1-based, as Keras prints), at its value', async () => {
    const loss = [1, 0.8, 0.6, 0.2, 0.5, 0.7];
    const valLoss = [1.1, 0.9, 0.3, 0.9, 0.95, 1];
    const doc = parseSvg(await trainingCurvesSvg({ epoch: [0, 1, 2, 3, 4, 5], history: { loss, val_loss: valLoss } }));
    const plot = plotOf(doc, 'loss');
    const x = linearAxis(plot, 'x');
    const y = linearAxis(plot, 'y');
    const read = (cls: string) =>
      Array.from(plot.querySelectorAll(`g.${cls} circle`), (c) => [x(attr(c, 'cx')), y(attr(c, 'cy'))] as const);
    const l = read('viz-curve-loss-dot');
    const v = read('viz-curve-val_loss-dot');
    expect(l).toHaveLength(6);
    expect(v).toHaveLength(6);
    l.forEach(([e, value], i) => {
      expect(e).toBeCloseTo(i + 1, 1);
      expect(value).toBeCloseTo(loss[i]!, 2);
    });
    v.forEach(([e, value], i) => {
      expect(e).toBeCloseTo(i + 1, 1);
      expect(value).toBeCloseTo(valLoss[i]!, 2);
    });
  });
});

describe('backend chart: one row per backend, bar length = time, parity dot ordered on a log axis', () => {
  it('each bar sits in its backend\'s row and ends at its time; the parity dots follow max |Δ|', async () => {
    const results = [
      { backend: 'cpu', forwardMs: 40, trainMs: 100, maxAbsDiff: 0 },
      { backend: 'wasm', forwardMs: 10, trainMs: 30, maxAbsDiff: 1e-7 },
      { backend: 'webgl', forwardMs: 25, trainMs: 60, maxAbsDiff: 1e-4 },
    ];
    const doc = parseSvg(await backendChartSvg(results));
    for (const [key, cls, field] of [
      ['forward', 'viz-forward-bar', 'forwardMs'],
      ['train', 'viz-train-bar', 'trainMs'],
    ] as const) {
      const plot = plotOf(doc, key);
      const x = linearAxis(plot, 'x');
      const rows = ticks(plot, 'y');
      expect(rows.map(([, s]) => s)).toEqual(['cpu', 'wasm', 'webgl']);
      const rects = Array.from(plot.querySelectorAll(`g.${cls} rect`));
      expect(rects).toHaveLength(3);
      for (const r of rects) {
        const [, cy] = rectCentre(r);
        // the row whose label is nearest the bar's centre
        const row = rows.reduce((a, b) => (Math.abs(b[0] - cy) < Math.abs(a[0] - cy) ? b : a));
        const result = results.find((res) => res.backend === row[1])!;
        expect(Math.abs(row[0] - cy)).toBeLessThan(attr(r, 'height') / 2);
        expect(x(attr(r, 'x'))).toBeCloseTo(0, 1);
        expect(x(attr(r, 'x') + attr(r, 'width'))).toBeCloseTo(result[field], 0);
      }
    }
    const parity = plotOf(doc, 'parity');
    const rows = ticks(parity, 'y');
    const dots = Array.from(parity.querySelectorAll('g.viz-parity-dot circle'), (c) => {
      const cy = attr(c, 'cy');
      const row = rows.reduce((a, b) => (Math.abs(b[0] - cy) < Math.abs(a[0] - cy) ? b : a));
      return { backend: row[1], cx: attr(c, 'cx'), title: c.querySelector('title')?.textContent ?? '' };
    });
    expect(dots.map((d) => d.backend).sort()).toEqual(['cpu', 'wasm', 'webgl']);
    for (const d of dots) expect(d.title.startsWith(`${d.backend}:`)).toBe(true);
    const cx = (b: string) => dots.find((d) => d.backend === b)!.cx;
    // exact 0 at the left edge, then 1e-7, then 1e-4: three decades apart on the log axis
    expect(cx('cpu')).toBeLessThan(cx('wasm'));
    expect(cx('wasm')).toBeLessThan(cx('webgl'));
  });
});
