// Node-side helpers to read back what the renderers produced: the SVG as a DOM, the PNG as pixels.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import { DOMParser } from 'linkedom';

export const outputDir = fileURLToPath(new URL('../../test-output/node/', import.meta.url));

export function writeOutput(name: string, content: string | Uint8Array): void {
  mkdirSync(outputDir, { recursive: true });
  writeFileSync(`${outputDir}${name}`, content);
}

export function parseSvg(svg: string): Document {
  return new DOMParser().parseFromString(svg, 'image/svg+xml') as unknown as Document;
}

export function texts(root: ParentNode, selector: string): string[] {
  return Array.from(root.querySelectorAll(selector), (n) => n.textContent ?? '');
}

export function panel(doc: Document, key: string): Element {
  const found = doc.querySelector(`[data-panel="${key}"]`);
  if (!found) throw new Error(`no panel ${key}`);
  return found;
}

export function count(root: ParentNode, selector: string): number {
  return root.querySelectorAll(selector).length;
}

export interface Pixels {
  width: number;
  height: number;
  /** Luminance 0–255 at (x, y). */
  lum(x: number, y: number): number;
}

export function decodePng(bytes: Uint8Array): Pixels {
  const png = decode(bytes);
  const { width, height, data, channels } = png;
  const max = png.depth === 16 ? 65535 : 255;
  return {
    width,
    height,
    lum(x, y) {
      const i = (y * width + x) * channels;
      if (channels < 3) return ((data[i] as number) / max) * 255;
      const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number].map((v) => (v / max) * 255);
      return 0.2126 * (r as number) + 0.7152 * (g as number) + 0.0722 * (b as number);
    },
  };
}

/** Pixels darker than `threshold` in the box [x0, x1) × [y0, y1). */
export function darkPixels(p: Pixels, x0: number, y0: number, x1: number, y1: number, threshold = 110): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(p.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(p.width, x1); x++) if (p.lum(x, y) < threshold) n++;
  }
  return n;
}

/** Share of pixels that are not (near) white. */
export function inkRatio(p: Pixels): number {
  let ink = 0;
  for (let y = 0; y < p.height; y += 2) for (let x = 0; x < p.width; x += 2) if (p.lum(x, y) < 245) ink++;
  return ink / (Math.ceil(p.height / 2) * Math.ceil(p.width / 2));
}
