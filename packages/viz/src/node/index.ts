/**
 * `@basicrnn/viz/node`: the same views as complete SVG documents and PNG bytes, without a browser. A DOM comes from
 * linkedom and the PNG from resvg with the shipped IBM Plex Sans, so text renders on a fresh machine with no fonts
 * installed. Browser bundles never reach this entry.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { rnnWorkingSvg, svgToPng } from '@basicrnn/viz/node';
 * const svg = await rnnWorkingSvg({ input: x, output, state, example: 3 });
 * await writeFile('rnn.svg', svg);
 * await writeFile('rnn.png', await svgToPng(svg));
 * ```
 */
export * from '../index.js';
export {
  backendChartSvg,
  hiddenStatesSvg,
  rnnWorkingSvg,
  trainingCurvesSvg,
  weightsSvg,
  gradientFlowSvg,
  cellStatesSvg,
  lstmGatesSvg,
  createDocument,
  serializeSvg,
} from './svg.js';
export { svgToPng, fontFiles, type PngOptions } from './png.js';
