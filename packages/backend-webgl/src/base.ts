import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { BackendError, type BackendBinding, type BackendInfo } from '@basicrnn/core';

/** The tfjs backend name this package binds. */
export const WEBGL_BACKEND_NAME = 'webgl';

/** Why `setBackend('webgl')` fails where no canvas can be created (Node, Deno, workers without OffscreenCanvas). */
export const NO_WEBGL_CONTEXT = 'no WebGL context: WebGL needs a browser (or OffscreenCanvas)';

/**
 * {@link BackendInfo} of the webgl backend, with one field core's type does not have yet.
 *
 * `floatPrecision` is what tfjs's `floatPrecision()` says, and tfjs 4.22 says 16 whenever it renders to float32
 * textures (its underflow check only runs when float32 rendering is off). That value drives tfjs's `epsilon()`
 * (1e-4 instead of 1e-7) and so Adam's default epsilon: pin epsilon when comparing backends.
 * `float32Textures` tells the truth about the storage precision.
 */
export interface WebGLBackendInfo extends BackendInfo {
  /** 1 or 2: the WebGL version tfjs obtained (2 when the browser has WebGL2). */
  webglVersion: number;
  /** What tfjs's `floatPrecision()` reports: 16 even on float32 textures (see above). */
  floatPrecision: number;
  /** Whether tensors live in float32 textures (full float32 precision); false means float16 textures. */
  float32Textures: boolean;
}

/**
 * The webgl backend instance tfjs created, or null before the first successful `setBackend('webgl')`. Reads the
 * engine's registry directly: `tf.findBackend` would start the backend as a side effect.
 */
function webglBackend(): MathBackendWebGL | null {
  const registry = tf.engine().registry as Record<string, tf.KernelBackend | undefined>;
  return (registry[WEBGL_BACKEND_NAME] as MathBackendWebGL | undefined) ?? null;
}

/**
 * What the webgl backend runs on: WebGL version, the float precision tfjs reports and whether textures are
 * float32. `undefined` until `setBackend('webgl')` has succeeded once; afterwards it works whichever backend is
 * active. `getBackendInfo()` from core returns the same fields while webgl is active.
 *
 * @example
 * ```ts
 * import { setBackend } from '@basicrnn/core';
 * import { getWebGLInfo } from '@basicrnn/backend-webgl';
 * await setBackend('webgl');
 * getWebGLInfo(); // { name: 'webgl', webglVersion: 2, floatPrecision: 16, float32Textures: true }
 * ```
 */
export function getWebGLInfo(): WebGLBackendInfo | undefined {
  const backend = webglBackend();
  if (backend === null) return undefined;
  const env = tf.env();
  return {
    name: WEBGL_BACKEND_NAME,
    webglVersion: env.getNumber('WEBGL_VERSION'),
    floatPrecision: backend.floatPrecision(),
    float32Textures: env.getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
  };
}

/**
 * Whether this runtime can create a canvas for a WebGL context at all: a DOM `document` or `OffscreenCanvas`.
 * False in Node, where `setBackend('webgl')` rejects with {@link NO_WEBGL_CONTEXT}.
 */
export function canCreateWebGLCanvas(): boolean {
  return typeof OffscreenCanvas !== 'undefined' || typeof document !== 'undefined';
}

type Availability = 'accelerated' | 'software-only' | 'none';

let probed: Availability | undefined;

/**
 * The core binding for the tfjs `webgl` backend; importing this package registers it. `prepare()` lets tfjs use a
 * software-rendered context (SwiftShader in headless Chromium, blocklisted GPUs) when that is the only one the
 * browser offers, which tfjs refuses by default; `describe()` reports the WebGL version and float precision;
 * `explainFailure()` says why no context could be had.
 */
export const webglBinding: BackendBinding = {
  name: WEBGL_BACKEND_NAME,

  prepare(): void {
    const lost = webglContextLost();
    if (lost !== undefined) {
      throw new BackendError(
        `${lost}; tfjs-webgl 4.22 keeps the lost context and never creates a new one, so webgl stays unavailable ` +
          "until the page is reloaded: use setBackend('wasm') or 'cpu'",
      );
    }
    if (webglBackend() !== null) return;
    // Refuse here, before tfjs tries: tfjs's own failed initialisation prints a stack trace through console.warn
    // before setBackend can reject (core turns this throw into its BackendError; the previous backend stays).
    if (!canCreateWebGLCanvas()) throw new Error(`${NO_WEBGL_CONTEXT}; the previous backend stays active`);
    probed ??= probeWebGL();
    // tfjs asks for a context with failIfMajorPerformanceCaveat unless SOFTWARE_WEBGL_ENABLED is set; an
    // explicit setting by the user (or one tfjs already evaluated) is left alone.
    const env = tf.env();
    if (probed === 'software-only' && !('SOFTWARE_WEBGL_ENABLED' in env.getFlags())) {
      env.set('SOFTWARE_WEBGL_ENABLED', true);
    }
  },

  describe(): Omit<BackendInfo, 'name'> {
    const info = getWebGLInfo();
    if (info === undefined) return {};
    const { name: _name, ...rest } = info;
    return rest;
  },

  deviceLost: webglContextLost,
  onDeviceLost: onWebGLContextLost,

  explainFailure(): string | undefined {
    if (!canCreateWebGLCanvas()) return NO_WEBGL_CONTEXT;
    probed ??= probeWebGL();
    if (probed === 'none') {
      return 'no WebGL context: the browser refused to create one (WebGL disabled, GPU blocked, or too many contexts)';
    }
    if (probed === 'software-only' && !tf.env().getBool('SOFTWARE_WEBGL_ENABLED')) {
      return 'only a software-rendered WebGL context is available and SOFTWARE_WEBGL_ENABLED is false';
    }
    return undefined;
  },
};

/**
 * Why the webgl backend cannot work any more (its WebGL context was lost: GPU reset, driver update, too many
 * contexts, or `WEBGL_lose_context`), or undefined while it works or before it started. tfjs-webgl 4.22 listens
 * for the loss only to drop its cached context; the backend instance keeps the lost one.
 *
 * @example
 * ```ts
 * if (webglContextLost() !== undefined) await setBackend('wasm');
 * ```
 */
export function webglContextLost(): string | undefined {
  const gl = webglBackend()?.getGPGPUContext().gl;
  if (gl === undefined || !gl.isContextLost()) return undefined;
  return 'the WebGL context was lost';
}

/**
 * Calls `listener` once when the webgl backend's context is lost (at once if it already is); returns the function
 * that stops listening. A no-op before the backend started.
 */
export function onWebGLContextLost(listener: (reason: string) => void): () => void {
  const canvas = webglBackend()?.getGPGPUContext().gl.canvas as EventTarget | undefined;
  if (canvas === undefined || typeof canvas.addEventListener !== 'function') return () => {};
  let done = false;
  const fire = (): void => {
    if (done) return;
    done = true;
    canvas.removeEventListener('webglcontextlost', fire);
    listener('the WebGL context was lost');
  };
  canvas.addEventListener('webglcontextlost', fire);
  // The event comes in a later task; the context reports the loss at once.
  if (webglContextLost() !== undefined) queueMicrotask(fire);
  return () => {
    done = true;
    canvas.removeEventListener('webglcontextlost', fire);
  };
}

/** Creates throwaway contexts the way tfjs will ask for them, strict first, and releases them. */
function probeWebGL(): Availability {
  let result: Availability = 'none';
  for (const kind of ['webgl2', 'webgl'] as const) {
    for (const failIfMajorPerformanceCaveat of [true, false]) {
      const canvas = createCanvas();
      const gl = canvas?.getContext(kind, { failIfMajorPerformanceCaveat }) as WebGLRenderingContext | null;
      if (gl == null) continue;
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      if (failIfMajorPerformanceCaveat) return 'accelerated';
      result = 'software-only';
    }
  }
  return result;
}

function createCanvas(): OffscreenCanvas | HTMLCanvasElement | null {
  try {
    if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(1, 1);
    if (typeof document !== 'undefined') return document.createElement('canvas');
  } catch {
    // Fall through: a runtime that cannot make a canvas has no WebGL.
  }
  return null;
}
