import { defineConfig } from 'vitest/config';
import { browserConfig } from '../../vitest.shared.ts';

// WebGL2 in headless Chromium (SwiftShader); wasm is loaded too for the cross-backend tests.
export default defineConfig(browserConfig({ setupFiles: ['src/test/setup_wasm_paths.ts'] }));
