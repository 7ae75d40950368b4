// The browser half of the benchmark: one page load runs one variant (wasm, wasm with threads on a cross-origin
// isolated page, or webgl) and hands its BackendReport to the Playwright driver through exposed functions.
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { configureWasm, getKernelThreadStats, getWasmInfo, wasmKernelThreadsReady } from '@basicrnn/backend-wasm';
import { getWebGLInfo } from '@basicrnn/backend-webgl';
import { setBackend } from '@basicrnn/core';
import { THREADED_VARIANTS, type WorkerRequest } from './configs.js';
import type { OrtModule } from './ort.js';
import { runSuite } from './suite.js';

declare global {
  interface Window {
    /** Exposed by the driver: receives the BackendReport as JSON. */
    __benchDone?: (json: string) => Promise<void>;
    /** Exposed by the driver: receives the rows measured so far (after each config). */
    __benchProgress?: (json: string) => Promise<void>;
    /** Exposed by the driver: receives a failure message. */
    __benchFail?: (message: string) => Promise<void>;
  }
}

async function main(): Promise<void> {
  const raw = new URLSearchParams(location.search).get('request');
  if (raw === null) throw new Error('no ?request= in the page URL: this page is driven by bench/run.mjs');
  const request = JSON.parse(raw) as WorkerRequest;
  // Threads asked of the threaded wasm build (the driver pretends the machine has 8 logical cores), and of the
  // fused kernels' own threads (the same, unless the request says otherwise).
  const REQUESTED_THREADS = THREADED_VARIANTS[request.variant] ?? 1;
  const KERNEL_THREADS = request.kernelThreads ?? REQUESTED_THREADS;
  const threaded = REQUESTED_THREADS > 1;
  const backend = request.variant === 'browser-webgl' ? 'webgl' : 'wasm';
  if (threaded && !self.crossOriginIsolated) throw new Error(`${request.variant} needs a cross-origin isolated page (COOP/COEP headers)`);

  configureWasm({
    wasmPaths: {
      'tfjs-backend-wasm.wasm': plainWasm,
      'tfjs-backend-wasm-simd.wasm': simdWasm,
      'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdWasm,
    },
    ...(threaded ? { threads: REQUESTED_THREADS, kernelThreads: KERNEL_THREADS } : {}),
  });

  if (threaded) {
    // The fused kernels' workers start in the background: start them now, so that no timed run misses them.
    await setBackend('wasm');
    await wasmKernelThreadsReady();
  }

  let ort: OrtModule | undefined;
  if (request.ort) {
    ort = (await import('onnxruntime-web/wasm')) as unknown as OrtModule;
    ort.env.wasm.wasmPaths = { wasm: ortWasm };
    ort.env.wasm.numThreads = 1; // one thread, no proxy worker
    ort.env.logLevel = 'error';
  }

  const report = await runSuite({
    variant: request.variant,
    backend,
    configs: request.configs,
    cells: request.cells,
    quick: request.quick,
    deadline: request.deadline,
    ...(ort ? { ort } : {}),
    log: (line) => console.log(line),
    onProgress: (partial) => void window.__benchProgress?.(JSON.stringify(partial)),
    environment: {
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated: self.crossOriginIsolated,
      webglRenderer: webglRenderer(),
      ...(backend === 'wasm' ? { wasm: getWasmInfo(), requestedThreads: REQUESTED_THREADS, requestedKernelThreads: threaded ? KERNEL_THREADS : 1 } : {}),
      ...(backend === 'webgl' ? { webgl: getWebGLInfo() } : {}),
      ...(ort ? { ortVersion: ort.env.versions.web ?? ort.env.versions.common } : {}),
    },
    beforeConfigs: () => {
      // The contract for the threaded variants: they must really run threads, else the row is meaningless.
      if (threaded) {
        const threads = getWasmInfo().threads ?? 1;
        if (threads < 2) throw new Error(`${request.variant}: asked for ${REQUESTED_THREADS} threads, got ${threads}`);
        const kernelThreads = getWasmInfo().kernelThreads ?? 1;
        if (kernelThreads !== KERNEL_THREADS) {
          throw new Error(`${request.variant}: asked for ${KERNEL_THREADS} kernel threads, got ${kernelThreads} (${getKernelThreadStats().error?.message ?? 'no error'})`);
        }
        console.log(`${request.variant}: tfjs threads ${threads}, fused kernel threads ${kernelThreads} (${getKernelThreadStats().split} split)`);
      }
    },
  });
  await window.__benchDone!(JSON.stringify(report));
}

/** The unmasked WebGL renderer (e.g. SwiftShader): says whether webgl numbers come from a GPU at all. */
function webglRenderer(): string | undefined {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (gl === null) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return undefined;
  }
}

main().catch(async (e: unknown) => {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  console.error(message);
  await window.__benchFail?.(message);
});
