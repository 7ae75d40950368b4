/**
 * Look shared by the DOM and the Node renderer: one font (IBM Plex Sans, shipped in `fonts/`), one palette, one
 * set of sizes. Layout never measures text in a live DOM (Node has none), so widths come from the font's own
 * advance table below, which keeps both environments pixel-compatible.
 */

/** The font family every plot uses; `fonts/` ships its Regular and SemiBold TTFs (SIL OFL 1.1). */
export const FONT_FAMILY = 'IBM Plex Sans';

/** The CSS `font-family` list written into SVGs: the shipped font first, then system fallbacks. */
export const FONT_STACK = `${FONT_FAMILY}, system-ui, sans-serif`;

/** Text and axes. */
export const TEXT_COLOR = '#1f2328';
/** Notes, reference lines, hatching. */
export const MUTED_COLOR = '#57606a';
/** Warnings about NaN / ∞ and values over a tolerance. */
export const NOTE_COLOR = '#9a3412';
/** Plot frames. */
export const GRID_COLOR = '#d0d7de';
/** Figure background (PNG viewers and dark pages see the same picture). */
export const BACKGROUND = '#ffffff';

/** Okabe–Ito colours (distinguishable with every common colour-vision deficiency), yellow left out: too light for lines on white. */
export const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'] as const;

/** Dash patterns that take over when series outnumber {@link SERIES_COLORS}. */
export const SERIES_DASHES = ['none', '6,3', '2,2'] as const;

/** A series' stroke colour and dash, cycling colours first, then dashes. */
export function seriesStyle(index: number): { color: string; dash: string } {
  const n = SERIES_COLORS.length;
  return {
    color: SERIES_COLORS[index % n] as string,
    dash: SERIES_DASHES[Math.floor(index / n) % SERIES_DASHES.length] as string,
  };
}

/** Diverging colour schemes of Observable Plot that stay readable with colour-vision deficiencies (ColorBrewer). */
export type DivergingScheme = 'PuOr' | 'BuRd' | 'RdBu' | 'BrBG' | 'PRGn' | 'PiYG';

/** Purple below 0, orange above: safe for the common colour-vision deficiencies. */
export const DEFAULT_SCHEME: DivergingScheme = 'PuOr';

/** Axis, legend and note text (px). */
export const FONT_SIZE = 11;
/** Panel titles (px, semibold). */
export const TITLE_SIZE = 13;
/** Figure titles (px, semibold). */
export const FIGURE_TITLE_SIZE = 16;

// Advance widths (1/1000 em) of IBM Plex Sans for ASCII 32..126, read from the shipped TTFs' hmtx tables.
const REGULAR_WIDTHS = [
  236, 284, 419, 713, 598, 927, 694, 242, 335, 335, 450, 600, 272, 399, 272, 383, 600, 600, 600, 600, 600, 600, 600,
  600, 600, 600, 292, 292, 600, 600, 600, 477, 891, 641, 653, 621, 671, 583, 559, 695, 707, 400, 510, 634, 501, 812,
  707, 708, 606, 708, 640, 581, 572, 678, 609, 891, 613, 593, 580, 317, 383, 317, 600, 565, 600, 534, 580, 503, 580,
  549, 324, 528, 568, 250, 250, 527, 272, 873, 568, 560, 580, 580, 367, 487, 351, 568, 492, 768, 507, 499, 464, 343,
  314, 343, 600,
];
const SEMIBOLD_WIDTHS = [
  236, 309, 471, 656, 600, 960, 713, 260, 337, 337, 556, 600, 299, 402, 299, 437, 600, 600, 600, 600, 600, 600, 600,
  600, 600, 600, 319, 319, 600, 600, 600, 493, 899, 672, 663, 642, 689, 600, 577, 712, 719, 423, 545, 678, 521, 817,
  719, 712, 641, 712, 664, 611, 580, 689, 638, 949, 655, 632, 599, 329, 437, 329, 600, 559, 600, 559, 600, 513, 600,
  558, 350, 545, 588, 275, 275, 562, 294, 888, 588, 563, 600, 600, 393, 499, 374, 588, 524, 819, 544, 524, 502, 363,
  376, 363, 600,
];
const OTHER_WIDTHS: Record<string, number> = { '−': 600, '…': 803, '—': 780, '–': 588, '×': 600, '→': 820, 'Δ': 642, '·': 326, '≈': 600 };

/** Width in pixels of `text` set in IBM Plex Sans at `fontSize`. */
export function textWidth(text: string, fontSize: number, weight: 'regular' | 'semibold' = 'regular'): number {
  const table = weight === 'semibold' ? SEMIBOLD_WIDTHS : REGULAR_WIDTHS;
  let sum = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    sum += code >= 32 && code <= 126 ? (table[code - 32] as number) : (OTHER_WIDTHS[ch] ?? 600);
  }
  return (sum / 1000) * fontSize;
}

/** Breaks `text` into lines no wider than `maxWidth` pixels, at spaces. */
export function wrapText(
  text: string,
  fontSize: number,
  maxWidth: number,
  weight: 'regular' | 'semibold' = 'regular',
): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (line && textWidth(next, fontSize, weight) > maxWidth) {
        lines.push(line);
        line = word;
      } else {
        line = next;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Short numeric label: 4 significant digits, exponent form for very small or large magnitudes, a real minus sign. */
export function formatNumber(v: number): string {
  return formatDigits(v, 4);
}

/** {@link formatNumber} with `digits` significant digits. */
export function formatDigits(v: number, digits: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6) {
    const [mantissa = '', exponent = ''] = v.toExponential(Math.min(2, digits - 1)).split('e');
    return `${String(Number(mantissa))}e${exponent.replace('+', '')}`.replaceAll('-', '−');
  }
  return String(Number(v.toPrecision(digits))).replace('-', '−');
}

/** Integer tick values in [lo, hi] at a 1–2–5 step, at most about `maxCount` of them. */
export function integerTicks(lo: number, hi: number, maxCount: number): number[] {
  const span = Math.max(0, hi - lo);
  const raw = Math.max(1, span / Math.max(1, maxCount));
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) ticks.push(v);
  return ticks;
}

/**
 * Half-width of a symmetric colour domain: 1 when every |value| ≤ 1 (tanh states and most weights then share one
 * fixed key, so live updates do not re-colour), otherwise the max |value| rounded up to 1, 2 or 5 × 10ⁿ.
 */
export function symmetricExtent(maxAbsValue: number, fixedUnit = true): number {
  if (!(maxAbsValue > 0)) return 1;
  if (fixedUnit && maxAbsValue <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(maxAbsValue));
  const nice = [1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10].map((m) => m * power).find((s) => s >= maxAbsValue * (1 - 1e-12));
  return nice ?? 10 * power;
}

function tickStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  return factor * power;
}

/** A "nice" linear domain around [lo, hi] and its ticks (about `count`), like d3's `nice()` + `ticks()`. */
export function niceLinear(lo: number, hi: number, count: number): { domain: [number, number]; ticks: number[] } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return niceLinear(-1, 1, count);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceLinear(lo - pad, hi + pad, count);
  }
  const step = tickStep(lo, hi, count);
  const domain: [number, number] = [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
  const ticks: number[] = [];
  for (let i = Math.round(domain[0] / step); i <= Math.round(domain[1] / step); i++) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return { domain: [Number(domain[0].toPrecision(12)), Number(domain[1].toPrecision(12))], ticks };
}

/** Powers of ten covering [lo, hi] (both > 0), for log axes. */
export function logTicks(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  const ticks: number[] = [];
  for (let p = a; p <= b; p += every) ticks.push(10 ** p);
  return { domain: [10 ** a, 10 ** b], ticks };
}
