type GetContext = (this: unknown, kind: string, options?: { failIfMajorPerformanceCaveat?: boolean }) => unknown;

/**
 * Makes this page behave like a browser whose WebGL is limited: 'software-only' refuses contexts requested with
 * `failIfMajorPerformanceCaveat` (what Chromium does on a blocklisted GPU or SwiftShader), 'none' refuses every
 * WebGL context. Returns the function that restores the real `getContext`.
 */
export function stubWebGLContexts(mode: 'software-only' | 'none'): () => void {
  const prototypes = [OffscreenCanvas.prototype, HTMLCanvasElement.prototype] as unknown as { getContext: GetContext }[];
  const originals = prototypes.map((proto) => proto.getContext);
  prototypes.forEach((proto, i) => {
    const original = originals[i]!;
    proto.getContext = function (this: unknown, kind, options) {
      const webgl = kind === 'webgl' || kind === 'webgl2' || kind === 'experimental-webgl';
      if (webgl && (mode === 'none' || options?.failIfMajorPerformanceCaveat === true)) return null;
      return original.call(this, kind, options);
    };
  });
  return () => {
    prototypes.forEach((proto, i) => {
      proto.getContext = originals[i]!;
    });
  };
}
