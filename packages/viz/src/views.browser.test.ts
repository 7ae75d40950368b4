import * as Plot from '@observablehq/plot';
import { page } from 'vitest/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FONT_FAMILY,
  VizDisposedError,
  VizShapeError,
  plotBackendChart,
  plotHiddenStates,
  plotRnnWorking,
  plotTrainingCurves,
  plotWeights,
  trainingCurvesCallback,
  type VizHandle,
} from './index.js';
import { backendResults, fakeTensor, simulateRnn, trainingHistory } from './test/fixtures.js';
import { textWidth } from './theme.js';

const run = simulateRnn(4, 20, 3, 16);
const handles: VizHandle<unknown>[] = [];

function host(id?: string): HTMLElement {
  const div = document.createElement('div');
  if (id) div.id = id;
  div.style.cssText = 'width: 1000px; margin: 0; padding: 0; background: white;';
  document.body.append(div);
  return div;
}

function keep<D>(handle: VizHandle<D>): VizHandle<D> {
  handles.push(handle as VizHandle<unknown>);
  return handle;
}

async function shoot(handle: VizHandle<unknown>, name: string): Promise<void> {
  await handle.ready;
  await page.screenshot({ path: `../test-output/browser/${name}.png`, element: handle.element });
}

function texts(root: ParentNode, selector: string): string[] {
  return Array.from(root.querySelectorAll(selector), (n) => n.textContent ?? '');
}

beforeAll(async () => {
  await page.viewport(1040, 1000);
  document.body.style.margin = '0';
});

afterAll(() => {
  for (const h of handles) h.dispose();
});

describe('views in the DOM (headless Chromium)', () => {
  it('plotRnnWorking mounts three panels with the shipped font, updates in place, disposes', async () => {
    const target = host();
    const input = fakeTensor([4, 20, 3], run.input.flat(2));
    const view = keep(plotRnnWorking(target, { input, output: run.output, state: run.state, example: 1 }));
    await view.ready;
    const svg = view.element;
    expect(svg.parentElement).toBe(target);
    expect(texts(svg, '.viz-panel-title')).toEqual([
      'Input sequence (example 1 of 4)',
      'Output (example 1 of 4)',
      'Memory: final hidden state (example 1 of 4)',
    ]);
    expect(texts(svg, '[aria-label="x-axis label"] text')).toEqual(['timestep', 'output unit', 'unit']);
    expect(svg.querySelectorAll('g.viz-input path')).toHaveLength(3);
    expect(svg.querySelectorAll('g.viz-state-bar rect')).toHaveLength(16);

    // The shipped font is loaded and used: real glyph widths match the layout's font metrics.
    expect(document.fonts.check(`600 13px "${FONT_FAMILY}"`)).toBe(true);
    const title = svg.querySelector<SVGTextElement>('.viz-panel-title')!;
    expect(title.getComputedTextLength()).toBeCloseTo(textWidth(title.textContent!, 13, 'semibold'), 0);
    // Nested Plot SVGs keep their size (no stray `height: auto` from Plot's stylesheet).
    // A stand-alone Plot elsewhere on the page injects Plot's stylesheet; the nested panels must not stretch.
    document.body.append(Plot.plot({ marks: [Plot.dot([1, 2])], height: 60 }));
    const frame = svg.querySelector('[data-panel="input"] svg.viz-plot rect[aria-label="frame"]')!.getBoundingClientRect();
    expect(frame.height).toBeCloseTo(240 - 8 - 36, 0);
    const rootBox = svg.getBoundingClientRect();
    expect(rootBox.width).toBeCloseTo(980, 0);
    expect(rootBox.height).toBeCloseTo(Number(svg.getAttribute('height')), 0);
    await shoot(view, 'rnn-working');

    const before = view.element;
    view.update({ input, output: run.output, state: run.state, example: 3 });
    expect(before.isConnected).toBe(false);
    expect(view.element.parentElement).toBe(target);
    expect(target.children).toHaveLength(1);
    expect(texts(view.element, '.viz-panel-title')[0]).toBe('Input sequence (example 3 of 4)');

    // Bad data keeps the last good picture.
    const good = view.element;
    expect(() => view.update({ input, output: run.output.slice(0, 2), state: run.state })).toThrow(VizShapeError);
    expect(good.isConnected).toBe(true);

    view.dispose();
    expect(target.children).toHaveLength(0);
    expect(() => view.update({ input, output: run.output, state: run.state })).toThrow(VizDisposedError);
    view.dispose();
  });

  it('plotHiddenStates draws units × timesteps cells', async () => {
    const big = simulateRnn(2, 30, 4, 32);
    const view = keep(plotHiddenStates(host(), { hiddenStates: big.hiddenStates, example: 1 }));
    const svg = view.element;
    expect(texts(svg, '.viz-panel-title')).toEqual(['Hidden state over time (example 1 of 2)']);
    expect(svg.querySelectorAll('g.viz-hidden-cell rect')).toHaveLength(30 * 32);
    expect(texts(svg, '[aria-label="y-axis label"] text')).toEqual(['unit']);
    expect(svg.querySelectorAll('g.viz-legend-ramp rect').length).toBeGreaterThan(50);
    // Each cell carries a tooltip with its value.
    expect(svg.querySelector('g.viz-hidden-cell rect title')?.textContent).toMatch(/^unit 0, timestep 0: /);
    await shoot(view, 'hidden-states');
  });

  it('plotWeights draws W, U and b', async () => {
    const w = simulateRnn(1, 2, 5, 24);
    const view = keep(plotWeights(host(), { kernel: w.kernel, recurrentKernel: w.recurrentKernel, bias: w.bias }));
    const svg = view.element;
    expect(svg.querySelectorAll('g.viz-kernel-cell rect')).toHaveLength(5 * 24);
    expect(svg.querySelectorAll('g.viz-recurrent-cell rect')).toHaveLength(24 * 24);
    expect(svg.querySelectorAll('g.viz-bias-cell rect')).toHaveLength(24);
    expect(texts(svg, '.viz-panel-title')).toEqual([
      'Input kernel W [5×24]: feature → unit',
      'Recurrent kernel U [24×24]: unit at t−1 → unit at t',
      'Bias b [24]',
    ]);
    await shoot(view, 'weights');
  });

  it('plotTrainingCurves grows live from the fit callback', async () => {
    const view = keep(plotTrainingCurves(host()));
    expect(texts(view.element, '.viz-panel-note')).toEqual(['no epochs yet: the curves grow as fit() reports each epoch']);
    const callback = trainingCurvesCallback(view);
    const full = trainingHistory(18);
    for (let e = 0; e < 18; e++) {
      const logs = Object.fromEntries(Object.entries(full.history).map(([k, v]) => [k, v[e]]));
      await callback.onEpochEnd(e, logs);
    }
    const svg = view.element;
    expect(svg.querySelectorAll('g.viz-line path')).toHaveLength(4);
    expect(svg.querySelectorAll('g.viz-curve-loss-dot circle')).toHaveLength(18);
    expect(texts(svg, '.viz-panel-title')).toEqual(['Loss per epoch', 'Accuracy per epoch']);
    expect(texts(svg, '.viz-panel-note')[0]).toMatch(/^epoch 18: loss /);
    expect(callback.history.epoch).toHaveLength(18);
    await shoot(view, 'training-curves');
  });

  it('plotBackendChart mounts by selector', async () => {
    host('backends');
    const view = keep(plotBackendChart('#backends', backendResults, { tolerance: 1e-5, reference: 'cpu' }));
    const svg = view.element;
    expect(svg.parentElement?.id).toBe('backends');
    expect(svg.querySelectorAll('g.viz-forward-bar rect')).toHaveLength(4);
    expect(svg.querySelectorAll('g.viz-parity-dot circle')).toHaveLength(4);
    expect(texts(svg, '[aria-label="x-axis label"] text')).toEqual([
      'time per forward pass (ms)',
      'time per training step (ms)',
      'max |output − cpu|',
    ]);
    await shoot(view, 'backend-chart');
  });

  it('NaN cells are hatched with a pattern the browser resolves', async () => {
    const hs = structuredClone(run.hiddenStates);
    hs[0]![2]![3] = NaN;
    const view = keep(plotHiddenStates(host(), { hiddenStates: hs }));
    const cell = view.element.querySelector('g.viz-missing-cell rect')!;
    const id = /url\("?#([^")]+)"?\)/.exec(getComputedStyle(cell).fill)?.[1];
    expect(id && document.getElementById(id)?.tagName).toBe('pattern');
    expect(texts(view.element, '.viz-panel-warning')).toEqual(['1 NaN value: hatched cells']);
    await shoot(view, 'hidden-states-nan');
  });
});
