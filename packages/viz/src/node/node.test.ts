import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendResults, simulateRnn, trainingHistory } from '../test/fixtures.js';
import { formatDigits } from '../theme.js';
import { count, darkPixels, decodePng, inkRatio, panel, parseSvg, texts, writeOutput } from '../test/inspect.js';
import {
  VizValueError,
  backendChartSvg,
  fontFiles,
  hiddenStatesSvg,
  rnnWorkingSvg,
  svgToPng,
  trainingCurvesSvg,
  weightsSvg,
} from './index.js';

/** Renders, writes SVG + PNG to test-output/node/, and checks the PNG is a real picture with a legible title. */
async function renderBoth(name: string, svg: string, titleBox: [number, number, number, number]) {
  expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
  const doc = parseSvg(svg);
  const root = doc.documentElement;
  expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
  expect(root.getAttribute('font-family')).toMatch(/^IBM Plex Sans,/);
  const width = Number(root.getAttribute('width'));
  const height = Number(root.getAttribute('height'));
  expect(root.getAttribute('viewBox')).toBe(`0 0 ${width} ${height}`);

  const png = await svgToPng(svg);
  writeOutput(`${name}.svg`, svg);
  writeOutput(`${name}.png`, png);
  const pixels = decodePng(png);
  expect(pixels.width).toBe(width * 2);
  expect(pixels.height).toBe(height * 2);
  expect(inkRatio(pixels)).toBeGreaterThan(0.02);
  // Text drawn with the shipped font: dark glyph pixels where the title is (box in SVG px, PNG is 2×).
  const [x0, y0, x1, y1] = titleBox.map((v) => v * 2) as [number, number, number, number];
  expect(darkPixels(pixels, x0, y0, x1, y1)).toBeGreaterThan(200);
  // …and none in the white margin above it.
  expect(darkPixels(pixels, 0, 0, pixels.width, 16)).toBe(0);
  return doc;
}

describe('Node rendering: SVG documents and PNG bytes', () => {
  it('ships the font the rasteriser uses', () => {
    const files = fontFiles();
    expect(files).toHaveLength(2);
    for (const f of files) expect(existsSync(f)).toBe(true);
  });

  it('rnnWorkingSvg: input lines, output bar, state bars for the chosen example', async () => {
    const run = simulateRnn(4, 20, 3, 16);
    const svg = await rnnWorkingSvg({ input: run.input, output: run.output, state: run.state, example: 2 });
    const doc = await renderBoth('rnn-working', svg, [16, 16, 260, 32]);
    expect(texts(doc, '.viz-panel-title')).toEqual([
      'Input sequence (example 2 of 4)',
      'Output (example 2 of 4)',
      'Memory: final hidden state (example 2 of 4)',
    ]);
    const input = panel(doc, 'input');
    expect(texts(input, '[aria-label="x-axis label"] text')).toEqual(['timestep']);
    expect(texts(input, '[aria-label="y-axis label"] text')).toEqual(['input value']);
    expect(count(input, 'g.viz-input path')).toBe(3);
    expect(count(input, 'g.viz-input-dot circle')).toBe(60);
    expect(texts(input, '.viz-legend-label text')).toEqual(['feature 0', 'feature 1', 'feature 2']);
    const output = panel(doc, 'output');
    expect(texts(output, '[aria-label="x-axis label"] text')).toEqual(['output unit']);
    expect(count(output, 'g.viz-output-bar rect')).toBe(1);
    const state = panel(doc, 'state');
    expect(texts(state, '[aria-label="x-axis label"] text')).toEqual(['unit']);
    expect(count(state, 'g.viz-state-bar rect')).toBe(16);
    expect(texts(state, '.viz-legend-title')).toEqual(['state value']);
    // The example drawn is example 2: its output value is printed on the bar.
    expect(texts(output, '.viz-value-label text')).toEqual([formatDigits(run.output[2]![0] as number, 3)]);
  });

  it('rnnWorkingSvg: many features become a heatmap, many units a strip; sequence outputs are lines', async () => {
    const run = simulateRnn(2, 30, 10, 64, 2);
    const svg = await rnnWorkingSvg(
      { input: run.input, output: run.sequenceOutput, state: run.state, example: 1 },
      { outputLabel: 'logit' },
    );
    const doc = await renderBoth('rnn-working-large', svg, [16, 16, 260, 32]);
    expect(count(panel(doc, 'input'), 'g.viz-input-cell rect')).toBe(10 * 30);
    expect(texts(panel(doc, 'input'), '[aria-label="y-axis label"] text')).toEqual(['feature']);
    const output = panel(doc, 'output');
    expect(texts(output, '.viz-panel-title')).toEqual(['Output per timestep (example 1 of 2)']);
    expect(count(output, 'g.viz-output path')).toBe(2);
    expect(texts(output, '[aria-label="y-axis label"] text')).toEqual(['logit']);
    expect(count(panel(doc, 'state'), 'g.viz-state-cell rect')).toBe(64);
  });

  it('hiddenStatesSvg: one cell per unit and timestep, diverging key centred on 0', async () => {
    const run = simulateRnn(3, 24, 2, 20);
    const svg = await hiddenStatesSvg({ hiddenStates: run.hiddenStates, example: 1 });
    const doc = await renderBoth('hidden-states', svg, [16, 16, 300, 32]);
    expect(texts(doc, '.viz-panel-title')).toEqual(['Hidden state over time (example 1 of 3)']);
    expect(count(doc, 'g.viz-hidden-cell rect')).toBe(24 * 20);
    expect(texts(doc, '[aria-label="x-axis label"] text')).toContain('timestep');
    expect(texts(doc, '[aria-label="y-axis label"] text')).toContain('unit');
    expect(texts(doc, '.viz-legend-title')).toEqual(['activation h(t)']);
    expect(texts(doc, '.viz-legend [aria-label="x-axis tick label"] text')).toEqual(['−1', '−0.5', '0', '0.5', '1']);
    expect(count(doc, 'g.viz-legend-ramp rect')).toBeGreaterThan(50);
  });

  it('weightsSvg: W, U and b with aligned unit columns and one shared key', async () => {
    const run = simulateRnn(1, 4, 3, 12);
    const svg = await weightsSvg({ kernel: run.kernel, recurrentKernel: run.recurrentKernel, bias: run.bias });
    const doc = await renderBoth('weights', svg, [16, 16, 180, 34]);
    expect(texts(doc, '.viz-title')).toEqual(['SimpleRNN weights']);
    expect(count(doc, 'g.viz-kernel-cell rect')).toBe(3 * 12);
    expect(count(doc, 'g.viz-recurrent-cell rect')).toBe(12 * 12);
    expect(count(doc, 'g.viz-bias-cell rect')).toBe(12);
    expect(count(doc, '.viz-legend')).toBe(1);
    expect(texts(panel(doc, 'kernel'), '[aria-label="y-axis label"] text')).toEqual(['feature']);
    expect(texts(panel(doc, 'recurrent-kernel'), '[aria-label="x-axis label"] text')).toEqual(['unit at t (receives)']);
    const plotX = (key: string) => doc.querySelector(`[data-panel="${key}"] > svg.viz-plot`)?.getAttribute('width');
    expect(plotX('kernel')).toBe(plotX('recurrent-kernel'));
    expect(plotX('kernel')).toBe(plotX('bias'));
  });

  it('trainingCurvesSvg: loss and accuracy panels, validation dashed', async () => {
    const svg = await trainingCurvesSvg(trainingHistory(25));
    const doc = await renderBoth('training-curves', svg, [16, 16, 160, 34]);
    expect(texts(doc, '.viz-panel-title')).toEqual(['Loss per epoch', 'Accuracy per epoch']);
    expect(count(panel(doc, 'loss'), 'g.viz-line path')).toBe(2);
    expect(count(panel(doc, 'metrics'), 'g.viz-line path')).toBe(2);
    expect(texts(panel(doc, 'loss'), '.viz-legend-label text')).toEqual(['loss', 'val_loss']);
    expect(doc.querySelector('g.viz-curve-val_loss')?.getAttribute('stroke-dasharray')).toBe('6,3');
    expect(texts(doc, '[aria-label="x-axis label"] text')).toEqual(['epoch', 'epoch']);
    expect(texts(panel(doc, 'loss'), '.viz-panel-note')[0]).toMatch(/^epoch 25: loss 0\.\d+ · val_loss 0\.\d+$/);
  });

  it('backendChartSvg: time bars, parity on a log axis, tolerance flagged', async () => {
    const svg = await backendChartSvg(backendResults, { tolerance: 1e-5, reference: 'cpu' });
    const doc = await renderBoth('backend-chart', svg, [16, 16, 240, 34]);
    expect(texts(doc, '.viz-panel-title')).toEqual(['Forward pass time', 'Training time', 'Parity with cpu']);
    expect(count(doc, 'g.viz-forward-bar rect')).toBe(4);
    expect(count(doc, 'g.viz-train-bar rect')).toBe(4);
    expect(count(doc, 'g.viz-parity-dot circle')).toBe(4);
    expect(texts(panel(doc, 'forward'), '[aria-label="x-axis label"] text')).toEqual(['time per forward pass (ms)']);
    expect(texts(panel(doc, 'forward'), '[aria-label="y-axis tick label"] text')).toEqual(
      backendResults.map((r) => r.backend),
    );
    expect(texts(panel(doc, 'parity'), '.viz-value-label text')).toContain('0 (exact)');
    expect(texts(panel(doc, 'parity'), '.viz-panel-warning').join(' ')).toMatch(/webgl: 3\.1e−4 is over the tolerance 1e−5/);
    expect(count(doc, 'g.viz-tolerance line')).toBe(1);
  });

  it('svgToPng honours width and rejects what is not an SVG', async () => {
    const svg = await backendChartSvg(backendResults);
    const pixels = decodePng(await svgToPng(svg, { width: 490 }));
    expect(pixels.width).toBe(490);
    await expect(svgToPng('hello')).rejects.toThrow(VizValueError);
    await expect(svgToPng(svg, { scale: 0 })).rejects.toThrow(/scale: expected a number in \(0, 16\], received 0/);
    await expect(svgToPng('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')).rejects.toThrow(/resvg could not render it/);
  });
});
