import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { VizShapeError, VizValueError, renderHiddenStates, renderRnnWorking } from '../index.js';
import { MIN_PANEL_WIDTH, wrapRow, type PanelSpec } from '../figure.js';
import { simulateRnn } from '../test/fixtures.js';

// What the web app asked of the views: targets over forecasts, words on the time axis, and panels that stack on a
// phone instead of shrinking their text.

const { document } = parseHTML('<!doctype html><html><body></body></html>');
const run = simulateRnn(2, 6, 2, 4);

function panelTops(svg: SVGSVGElement): number[] {
  return [...svg.querySelectorAll('.viz-panel')].map((g) => Number(/translate\([^,]+,([^)]+)\)/.exec(g.getAttribute('transform') ?? '')?.[1]));
}

describe('targets drawn over the output', () => {
  it('draws a dashed tick per output bar, on the target value', () => {
    const output = { shape: [2, 1], data: Float32Array.from([0.2, -0.4]) };
    const target = { shape: [2, 1], data: Float32Array.from([0.9, 0.1]) };
    const svg = renderRnnWorking({ ...run, output, target }, { document });
    const ticks = svg.querySelectorAll('.viz-target line, line.viz-target, .viz-target path');
    expect(ticks.length).toBeGreaterThan(0);
    expect(svg.textContent).toMatch(/dashed:\s*the target/);
    // Without a target there is none.
    expect(renderRnnWorking({ ...run, output }, { document }).querySelectorAll('.viz-target').length).toBe(0);
  });

  it('draws a dashed target line per output over a sequence output', () => {
    const output = { shape: [2, 6, 1], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)) };
    const target = { shape: [2, 6, 1], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)) };
    const svg = renderRnnWorking({ ...run, output, target }, { document, outputView: 'lines' });
    const lines = [...svg.querySelectorAll('.viz-target')];
    expect(lines.length).toBeGreaterThan(0);
    expect(svg.textContent).toContain('target');
  });

  it('refuses a target whose shape is not the output shape', () => {
    const output = { shape: [2, 1], data: Float32Array.from([0.2, -0.4]) };
    expect(() => renderRnnWorking({ ...run, output, target: { shape: [2, 2], data: new Float32Array(4) } }, { document })).toThrow(VizShapeError);
    expect(() => renderRnnWorking({ ...run, output, target: { shape: [2, 2], data: new Float32Array(4) } }, { document })).toThrow(/target: expected the output's shape \[2,1\], received \[2,2\]/);
  });
});

describe('labels on the time axis', () => {
  it('puts one word per timestep under the hidden-state heatmap', () => {
    const words = ['', 'the', 'film', 'was', 'not', 'good'];
    const svg = renderHiddenStates({ hiddenStates: run.hiddenStates }, { document, stepLabels: words, width: 600 });
    const ticks = [...svg.querySelectorAll('text')].map((t) => t.textContent);
    for (const w of words.slice(1)) expect(ticks).toContain(w);
    expect(svg.textContent).toContain('timestep (word read)');
  });

  it('refuses labels that do not match the timesteps', () => {
    expect(() => renderHiddenStates({ hiddenStates: run.hiddenStates }, { document, stepLabels: ['a'] })).toThrow(VizShapeError);
    expect(() => renderHiddenStates({ hiddenStates: run.hiddenStates }, { document, stepLabels: 'abc' as unknown as string[] })).toThrow(VizValueError);
  });
});

describe('narrow figures', () => {
  const p = (key: string, weight = 1): PanelSpec => ({ key, title: key, weight, height: 100, plot: () => document.createElement('g') as unknown as Element });

  it('keeps a row that fits and wraps one whose panels would be narrower than the minimum', () => {
    expect(wrapRow([p('a'), p('b'), p('c')], 920).map((r) => r.map((x) => x.key))).toEqual([['a', 'b', 'c']]);
    expect(wrapRow([p('a'), p('b'), p('c')], 2 * MIN_PANEL_WIDTH + 40).map((r) => r.map((x) => x.key))).toEqual([['a', 'b'], ['c']]);
    expect(wrapRow([p('a'), p('b'), p('c')], 300).map((r) => r.map((x) => x.key))).toEqual([['a'], ['b'], ['c']]);
  });

  it('stacks the three panels of the forward pass at phone width, and keeps them side by side at the default width', () => {
    expect(new Set(panelTops(renderRnnWorking(run, { document }))).size).toBe(1);
    const narrow = panelTops(renderRnnWorking(run, { document, width: 340 }));
    expect(narrow).toHaveLength(3);
    expect(narrow[1]!).toBeGreaterThan(narrow[0]!);
    expect(narrow[2]!).toBeGreaterThan(narrow[1]!);
  });
});
