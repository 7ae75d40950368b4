// Shared vitest settings. Node suites and browser suites (Debian Chromium through Playwright) read sibling
// packages' TypeScript sources through the "@basicrnn/source" export condition, so no build is needed to test.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { playwright } from '@vitest/browser-playwright';
import type { ViteUserConfig } from 'vitest/config';
import { assertChromium, chromiumArgs, chromiumPath } from './packages/test-kit/src/chromium.ts';

export const sourceCondition = '@basicrnn/source';

export { chromiumArgs, chromiumPath };

const tfjsPackages = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs',
];

// Pre-bundle tfjs once per suite so every importer shares one engine module (and the page loads fast).
function resolvableFromCwd(names: string[]): string[] {
  return names.filter((name) => existsSync(join(process.cwd(), 'node_modules', name)));
}

/** `pnpm test:fast` sets BASICRNN_FAST=1: slow files are left out and slow cases skip themselves. */
const fast = process.env.BASICRNN_FAST === '1';

// Read by tests through vitest's inject() (packages/test-kit/src/run_flags.ts), the same in Node and Chromium.
const provide = { basicrnnFast: fast, basicrnnMeasure: process.env.BASICRNN_MEASURE === '1' };

export interface NodeSuiteOptions {
  include?: string[];
  exclude?: string[];
  /** Files left out of `pnpm test:fast` (still run by `pnpm test`). */
  slow?: string[];
  testTimeout?: number;
}

export function nodeConfig(options: NodeSuiteOptions = {}): ViteUserConfig {
  return {
    resolve: { conditions: [sourceCondition, 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: [sourceCondition, 'module', 'node', 'import', 'default'] } },
    test: {
      environment: 'node',
      include: options.include ?? ['src/**/*.test.ts'],
      exclude: ['**/node_modules/**', '**/*.browser.test.ts', ...(options.exclude ?? []), ...(fast ? (options.slow ?? []) : [])],
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      provide,
      // One process per test file (forks + isolation): a file that loads @tensorflow/tfjs registers tfjs's
      // gradients over core's, and must not share its process with the parity suite.
      pool: 'forks',
      isolate: true,
      fileParallelism: false,
    },
  };
}

export interface BrowserSuiteOptions {
  include?: string[];
  setupFiles?: string[];
  /** Serve with COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer, wasm threads). */
  crossOriginIsolated?: boolean;
  testTimeout?: number;
  define?: Record<string, string>;
}

export function browserConfig(options: BrowserSuiteOptions = {}): ViteUserConfig {
  assertChromium();
  const headers: Record<string, string> = options.crossOriginIsolated
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};
  return {
    resolve: { conditions: [sourceCondition, 'module', 'browser', 'import', 'default'] },
    server: { headers },
    preview: { headers },
    define: options.define ?? {},
    optimizeDeps: { include: resolvableFromCwd(tfjsPackages) },
    test: {
      include: options.include ?? ['src/**/*.browser.test.ts'],
      setupFiles: options.setupFiles ?? [],
      provide,
      // One page (iframe) per test file, for the same reason as in Node.
      isolate: true,
      testTimeout: options.testTimeout ?? 120_000,
      hookTimeout: 120_000,
      fileParallelism: false,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({
          launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
        }),
        instances: [{ browser: 'chromium' }],
      },
    },
  };
}
