// Every file the app fetches besides its own modules, as URLs Vite serves from this origin (no CDN). Vite
// pre-bundles tfjs away from its folder, so tfjs cannot find its .wasm files on its own; and viz's default font
// URLs can miss under the dev server's pre-bundling (see packages/viz/README.md), so both are passed explicitly.
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import regular from '@basicrnn/viz/fonts/IBMPlexSans-Regular.ttf?url';
import semibold from '@basicrnn/viz/fonts/IBMPlexSans-SemiBold.ttf?url';
import type { WasmBinaryName } from '@basicrnn/backend-wasm';
import type { FontSource } from '@basicrnn/viz';

export const wasmUrls: Record<WasmBinaryName, string> = {
  'tfjs-backend-wasm.wasm': plain,
  'tfjs-backend-wasm-simd.wasm': simd,
  'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd,
};

export const vizFont: FontSource = { regular, semibold };
