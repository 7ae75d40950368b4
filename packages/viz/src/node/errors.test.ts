import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { simulateRnn, trainingHistory } from '../test/fixtures.js';
import * as viz from './index.js';
import {
  VizError,
  VizValueError,
  backendChartSvg,
  hiddenStatesSvg,
  plotHiddenStates,
  plotRnnWorking,
  plotTrainingCurves,
  plotWeights,
  renderRnnWorking,
  rnnWorkingSvg,
  svgToPng,
  trainingCurvesSvg,
  weightsSvg,
} from './index.js';

const run = simulateRnn(2, 6, 2, 4);

async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('viz errors are basicrnn library errors', () => {
  const classes = Object.entries(viz).filter(([, v]) => typeof v === 'function' && v.prototype instanceof Error) as [
    string,
    new (message: string) => Error,
  ][];

  it('each exported error class is named as exported and carries the basicrnn brand (core reads it)', () => {
    expect(classes.map(([name]) => name).sort()).toEqual(
      ['VizDisposedError', 'VizEnvironmentError', 'VizError', 'VizShapeError', 'VizValueError'].sort(),
    );
    for (const [name, ErrorClass] of classes) {
      const e = new ErrorClass('m');
      expect(e.name).toBe(name);
      expect(String(e)).toBe(`${name}: m`);
      expect((e as unknown as Record<symbol, unknown>)[Symbol.for('basicrnn.error')]).toBe(true);
      expect(e).toBeInstanceOf(VizError);
    }
    expect((new Error('m') as unknown as Record<symbol, unknown>)[Symbol.for('basicrnn.error')]).toBeUndefined();
  });
});

describe('missing data: a VizValueError naming the argument, never a raw TypeError', () => {
  const { document } = parseHTML('<!doctype html><html><body><div id="host"></div></body></html>');
  const host = document.getElementById('host')!;
  const none = undefined as never;
  it.each([
    ['rnnWorkingSvg()', () => rnnWorkingSvg(none), /^rnnWorkingSvg\(data\): expected an object \{ input, output, state, target, example \}, received undefined$/],
    ['hiddenStatesSvg()', () => hiddenStatesSvg(none), /^hiddenStatesSvg\(data\): expected an object \{ hiddenStates, example \}/],
    ['weightsSvg()', () => weightsSvg(none), /^weightsSvg\(data\): expected an object \{ kernel, recurrentKernel, bias \}/],
    ['trainingCurvesSvg()', () => trainingCurvesSvg(none), /^history: expected a History/],
    ['backendChartSvg()', () => backendChartSvg(none), /^results: expected an array/],
    ['weightsSvg(null)', () => weightsSvg(null as never), /^weightsSvg\(data\): expected an object .* received null/],
    ['renderRnnWorking()', () => renderRnnWorking(none, { document }), /^renderRnnWorking\(data\): expected an object/],
    ['plotRnnWorking(el)', () => plotRnnWorking(host, none), /^plotRnnWorking\(data\): expected an object/],
    ['plotHiddenStates(el)', () => plotHiddenStates(host, none), /^plotHiddenStates\(data\): expected an object/],
    ['plotWeights(el)', () => plotWeights(host, none), /^plotWeights\(data\): expected an object/],
    ['a results row that is null', () => backendChartSvg([null as never]), /^results\[0\]: expected an object/],
  ] as const)('%s', async (_, call, pattern) => {
    const e = await failure(call);
    expect(e).toBeInstanceOf(VizValueError);
    expect((e as Error).message).toMatch(pattern);
  });
});

describe('unknown option keys: refused with a did-you-mean, at every entry point', () => {
  const { document } = parseHTML('<!doctype html><html><body><div id="host"></div></body></html>');
  const host = document.getElementById('host')!;
  it.each([
    ['rnnWorkingSvg options', () => rnnWorkingSvg(run, { colourExtent: 1 } as never), 'rnnWorkingSvg(data, options): unknown key "colourExtent"; did you mean "colorExtent"?'],
    ['hiddenStatesSvg data', () => hiddenStatesSvg({ hiddenStates: run.hiddenStates, exmple: 1 } as never), 'hiddenStatesSvg(data): unknown key "exmple"; did you mean "example"?'],
    ['weightsSvg data', () => weightsSvg({ kernel: run.kernel, recurrentKernel: run.recurrentKernel, bais: [0, 0, 0, 0] } as never), 'weightsSvg(data): unknown key "bais"; did you mean "bias"?'],
    ['trainingCurvesSvg options', () => trainingCurvesSvg(trainingHistory(3), { lossscale: 'log' } as never), 'trainingCurvesSvg(data, options): unknown key "lossscale"; did you mean "lossScale"?'],
    ['backendChartSvg options', () => backendChartSvg([], { tolerence: 1e-5 } as never), 'backendChartSvg(data, options): unknown key "tolerence"; did you mean "tolerance"?'],
    ['backendChartSvg row', () => backendChartSvg([{ backend: 'cpu', forwardMS: 1 } as never]), 'results[0]: unknown key "forwardMS"; did you mean "forwardMs"?'],
    ['svgToPng options', () => svgToPng('<svg></svg>', { scal: 1 } as never), 'svgToPng(svg, options): unknown key "scal"; did you mean "scale"?'],
    ['renderRnnWorking options', () => renderRnnWorking(run, { document, widht: 500 } as never), 'renderRnnWorking(data, options): unknown key "widht"; did you mean "width"?'],
    ['plotRnnWorking options', () => plotRnnWorking(host, run, { fnot: false } as never), 'plotRnnWorking(data, options): unknown key "fnot"; did you mean "font"?'],
    ['plotTrainingCurves options', () => plotTrainingCurves(host, trainingHistory(2), { panelheight: 200 } as never), 'plotTrainingCurves(target, data, options): unknown key "panelheight"; did you mean "panelHeight"?'],
  ] as const)('%s', async (_, call, message) => {
    const e = await failure(call);
    expect(e).toBeInstanceOf(VizValueError);
    expect((e as Error).message.startsWith(message)).toBe(true);
    expect((e as Error).message).toMatch(/Valid keys: /);
  });

  it('data bundles with other keys are fine; only near-misses of a data key are refused', async () => {
    // `run` carries sequenceOutput, kernel, … beside input, output, state: not misspellings of anything.
    await expect(rnnWorkingSvg(run)).resolves.toMatch(/<svg/);
    const view = plotRnnWorking(host, run, { font: false, title: 't' });
    view.dispose();
  });
});
