import { FONT_FAMILY } from './theme.js';

/** Where the browser loads the shipped font from; `false` skips loading (the page provides the font, or not). */
export type FontSource = false | { readonly regular: string | URL; readonly semibold: string | URL };

const loaded = new WeakMap<Document, Promise<void>>();

/**
 * The shipped TTFs, resolved next to this module (src/ and dist/ sit at the same depth, so both find
 * `../fonts/`). Bundlers that understand `new URL(…, import.meta.url)` (Vite, webpack 5, Rollup plugins) copy them.
 */
export function defaultFontSource(): { regular: URL; semibold: URL } {
  return {
    regular: new URL('../fonts/IBMPlexSans-Regular.ttf', import.meta.url),
    semibold: new URL('../fonts/IBMPlexSans-SemiBold.ttf', import.meta.url),
  };
}

/**
 * Registers IBM Plex Sans with `document.fonts` once per document so plots look as they do in PNGs from Node.
 * Resolves when the faces are loaded, or failed to load (text then falls back to system-ui): never rejects.
 */
export function ensureFont(document: Document, source: FontSource | undefined): Promise<void> {
  if (source === false) return Promise.resolve();
  const existing = loaded.get(document);
  if (existing) return existing;
  const view = document.defaultView as (Window & typeof globalThis) | null;
  const FontFaceCtor = view?.FontFace;
  const fonts = (document as Document & { fonts?: FontFaceSet }).fonts;
  if (!FontFaceCtor || !fonts) return Promise.resolve();
  const { regular, semibold } = source ?? defaultFontSource();
  const faces = [
    new FontFaceCtor(FONT_FAMILY, `url(${JSON.stringify(String(regular))})`, { weight: '400', style: 'normal' }),
    new FontFaceCtor(FONT_FAMILY, `url(${JSON.stringify(String(semibold))})`, { weight: '600', style: 'normal' }),
  ];
  for (const face of faces) fonts.add(face);
  const ready = Promise.allSettled(faces.map((f) => f.load())).then(() => undefined);
  loaded.set(document, ready);
  return ready;
}
