import { expect } from 'vitest';
import { getWasmInfo } from '../index.js';

/**
 * Asserts the wasm module runs the build the current suite is about: the threaded SIMD build with at least two
 * threads on the cross-origin isolated page, the SIMD build with one thread on the plain page.
 */
export function expectWasmBuildOfSuite(): void {
  expect(self.crossOriginIsolated).toBe(__WASM_THREADS_SUITE__);
  const info = getWasmInfo();
  expect(info.initialized).toBe(true);
  expect(info.simd).toBe(true);
  if (__WASM_THREADS_SUITE__) {
    expect(info.binary).toBe('tfjs-backend-wasm-threaded-simd.wasm');
    expect(info.threads).toBeGreaterThanOrEqual(2);
  } else {
    expect(info.binary).toBe('tfjs-backend-wasm-simd.wasm');
    expect(info.threads).toBe(1);
  }
}
