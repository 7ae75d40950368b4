import { fileURLToPath } from 'node:url';
import { VizValueError, describeValue } from '../errors.js';
import { checkKeys } from '../options.js';
import { FONT_FAMILY } from '../theme.js';

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG pixel (default 2, for sharp text on high-density screens and in documents). */
  readonly scale?: number;
  /** Output width in pixels; overrides `scale`. */
  readonly width?: number;
  /** Background behind transparent areas (figures already paint white); any CSS colour. */
  readonly background?: string;
}

/**
 * Paths of the TTFs shipped in the package's `fonts/` folder. `src/node/` and `dist/node/` sit at the same depth,
 * so the relative URL holds for the sources and for the build.
 */
export function fontFiles(): string[] {
  return [
    fileURLToPath(new URL('../../fonts/IBMPlexSans-Regular.ttf', import.meta.url)),
    fileURLToPath(new URL('../../fonts/IBMPlexSans-SemiBold.ttf', import.meta.url)),
  ];
}

/**
 * Rasterises an SVG document (from the `…Svg` functions) to PNG bytes with resvg, using only the shipped font so
 * the text looks the same on every machine. Runs off the main thread.
 *
 * @example
 * ```ts
 * const png = await svgToPng(await trainingCurvesSvg(history), { scale: 1 });
 * await writeFile('training.png', png);
 * ```
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  if (typeof svg !== 'string' || !svg.includes('<svg')) {
    throw new VizValueError(`svg: expected an SVG document string, received ${describeValue(svg)}`);
  }
  checkKeys(options, ['scale', 'width', 'background'], 'svgToPng(svg, options)');
  const { scale = 2, width, background } = options;
  if (!(typeof scale === 'number' && scale > 0 && scale <= 16)) {
    throw new VizValueError(`scale: expected a number in (0, 16], received ${describeValue(scale)}`);
  }
  if (width !== undefined && !(typeof width === 'number' && Number.isInteger(width) && width > 0 && width <= 20_000)) {
    throw new VizValueError(`width: expected an integer number of pixels in [1, 20000], received ${describeValue(width)}`);
  }
  const { renderAsync } = await import('@resvg/resvg-js');
  let image;
  try {
    image = await renderAsync(svg, {
      font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
      fitTo: width !== undefined ? { mode: 'width', value: width } : { mode: 'zoom', value: scale },
      ...(background !== undefined ? { background } : {}),
      logLevel: 'off',
    });
  } catch (cause) {
    throw new VizValueError(`svg: resvg could not render it (${String(cause)})`, { cause });
  }
  const png = image.asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
