import { defineConfig } from 'vitest/config';
import { browserConfig } from '../../vitest.shared.ts';

// Not part of `pnpm test`: a quick timing of the fused kernels against the composite and tfjs-layers in headless
// Chromium (software WebGL here). Run with `pnpm exec vitest run -c vitest.timing-webgl.config.ts`.
export default defineConfig(browserConfig({ include: ['src/test/*.timing.ts'], testTimeout: 600_000 }));
