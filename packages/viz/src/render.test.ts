import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { VizEnvironmentError, plotRnnWorking, renderHiddenStates, renderRnnWorking } from './index.js';
import { simulateRnn } from './test/fixtures.js';

const run = simulateRnn(2, 6, 2, 4);

describe('root entry in Node', () => {
  it('renders into any document it is given', () => {
    const { document } = parseHTML('<!doctype html><html><body></body></html>');
    const svg = renderRnnWorking(run, { document });
    expect(svg.tagName.toLowerCase()).toBe('svg');
    expect(svg.querySelectorAll('.viz-panel')).toHaveLength(3);
    const hidden = renderHiddenStates({ hiddenStates: run.hiddenStates }, { document, width: 400 });
    expect(hidden.getAttribute('width')).toBe('400');
  });

  it('says what to do when there is no document', () => {
    expect(() => renderRnnWorking(run)).toThrow(VizEnvironmentError);
    expect(() => renderRnnWorking(run)).toThrow(/pass \{ document \}.*@basicrnn\/viz\/node/);
    expect(() => plotRnnWorking('#rnn', run)).toThrow(VizEnvironmentError);
  });

  it('mounts into a linkedom element, too', () => {
    const { document } = parseHTML('<!doctype html><html><body><div id="host"></div></body></html>');
    const host = document.getElementById('host')!;
    const view = plotRnnWorking(host, run, { font: false });
    expect(host.children).toHaveLength(1);
    view.update({ ...run, example: 1 });
    expect(host.querySelector('.viz-panel-title')?.textContent).toBe('Input sequence (example 1 of 2)');
    view.dispose();
    expect(host.children).toHaveLength(0);
  });
});
