import type { VizHandle } from '@basicrnn/viz';

/** Widest a plot is drawn; wider columns centre it. */
const MAX_WIDTH = 1100;
/** Width before the host is laid out (a hidden or empty host measures 0). */
const FALLBACK_WIDTH = 900;

/**
 * A viz plot drawn at its host's width, so text keeps its size from a phone to a desktop (a fixed-width SVG scaled
 * down to 390 px makes 11 px labels 4 px). It redraws when the host's width changes by more than a few pixels.
 */
export class FittedPlot<D> {
  private handle: VizHandle<D> | null = null;
  private data: D | null = null;
  private width = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly mountAt: (host: HTMLElement, data: D, width: number) => VizHandle<D>,
    private readonly minWidth: number,
  ) {
    new ResizeObserver(() => {
      // A closed <details> measures 0: redraw when it opens, at the width it has then.
      if (this.host.clientWidth === 0) return;
      if (this.data !== null && Math.abs(this.fit() - this.width) > 16) this.show(this.data, true);
    }).observe(host);
  }

  private fit(): number {
    const w = Math.floor(this.host.clientWidth);
    return w > 0 ? Math.max(this.minWidth, Math.min(MAX_WIDTH, w)) : FALLBACK_WIDTH;
  }

  /** Draws `data`: an in-place update when the width is unchanged, a new plot otherwise. */
  show(data: D, remount = false): void {
    this.data = data;
    const width = this.fit();
    if (this.handle !== null && !remount && width === this.width) {
      this.handle.update(data);
    } else {
      this.handle?.dispose();
      this.host.replaceChildren();
      this.handle = this.mountAt(this.host, data, width);
      this.width = width;
    }
    unlabelParts(this.handle.element);
  }

  /** Removes the plot, leaving `placeholder` (or nothing) in the host. */
  clear(placeholder?: Node): void {
    this.handle?.dispose();
    this.handle = null;
    this.data = null;
    this.host.replaceChildren(...(placeholder === undefined ? [] : [placeholder]));
  }
}

/**
 * A viz figure is one `role="img"` named by its panel titles; Observable Plot also puts `aria-label` on its inner
 * `<g>` and `<rect>` parts ("x-axis tick"), which ARIA forbids on elements without a role (axe:
 * aria-prohibited-attr) and which a screen reader never reaches inside an image anyway.
 */
function unlabelParts(svg: SVGSVGElement): void {
  for (const part of svg.querySelectorAll('[aria-label]')) if (part !== svg && !part.hasAttribute('role')) part.removeAttribute('aria-label');
}

/** A readable height for a units × timesteps heatmap: rows of 4–7 px, 150–300 px in all. */
export function heatmapHeight(units: number): number {
  return Math.min(300, Math.max(150, units * 5)) + 40;
}
