import { defineConfig } from 'vite';

// COOP + COEP make the page cross-origin isolated: SharedArrayBuffer, so tfjs loads the threaded wasm build.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The web app (`pnpm demo`): index.html + src/web/. Sibling packages are read from their TypeScript sources
// through the "@basicrnn/source" export condition, so the dev server needs no build of them.
export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['@basicrnn/source', 'module', 'browser', 'development|production'] },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  // Pre-bundle every dependency up front: one tfjs-core module for all importers (one engine), and no
  // "new dependencies found, reloading" in the middle of a session.
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-wasm',
      '@basicrnn/core > @tensorflow/tfjs-backend-cpu',
      '@basicrnn/backend-webgl > @tensorflow/tfjs-backend-webgl',
      '@basicrnn/viz > @observablehq/plot',
    ],
  },
  // The model worker (src/web/worker.ts) is an ES module worker; no renaming there either (see below).
  worker: {
    format: 'es',
    rolldownOptions: { output: { minify: { compress: false, mangle: false } } },
  },
  build: {
    // dist/ holds the CLI (tsc); the web build goes beside it.
    outDir: 'dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // tfjs and its backends are large by nature.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      // No renaming: tfjs starts each wasm thread from the source text of its module factory
      // (`wasmFactoryThreadedSimd.toString()`), which must still name what it reads from its enclosing scope.
      output: { minify: { compress: false, mangle: false } },
    },
  },
});
