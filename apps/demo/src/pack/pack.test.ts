// Every publishable package, packed on its own, installed from the tarballs into a project outside the
// workspace: a Node script and a Vite-built page (in Debian Chromium) must both work there.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright';
import { describe, expect, inject, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '@basicrnn/test-kit/chromium';
import { PACKAGES, run } from './packed_project.js';

// Packed and installed once for every file in src/pack (packed_project.ts, the suite's globalSetup).
const { root, project, tarball } = inject('packed');

describe('packages as published', () => {
  it.each(PACKAGES)('%s: the tarball carries real versions (no workspace:*), dist, types and a README', (name) => {
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarball[name]!, 'package/package.json'], { encoding: 'utf8' }));
    const ranges = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
    for (const [dep, range] of Object.entries(ranges)) expect(String(range), `${name} → ${dep}`).not.toMatch(/workspace:/);
    if (name.startsWith('backend-')) expect(manifest.dependencies['@basicrnn/core'] ?? manifest.peerDependencies?.['@basicrnn/core']).toMatch(/^\^?\d+\.\d+\.\d+$/);
    expect(manifest.peerDependencies['@tensorflow/tfjs-core']).toBe('4.22.0');
    expect(manifest.engines).toEqual({ node: '>=20.19' });
    const files = execFileSync('tar', ['-tzf', tarball[name]!], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/README.md');
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
  });

  it.each(PACKAGES)('%s passes publint', (name) => {
    const out = run('pnpm', ['exec', 'publint', '--strict'], join(root, 'packages', name));
    expect(out).toMatch(/All good!/);
  });

  describe('installed from the tarballs into a project outside the workspace', () => {
    it('a Node script builds, runs, trains and plots on wasm', () => {
      writeFileSync(
        join(project, 'main.mjs'),
        `import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend, getBackendInfo, getBackend } from '@basicrnn/core';
import '@basicrnn/backend-wasm';
import { rnnWorkingSvg, svgToPng } from '@basicrnn/viz/node';
const before = getBackend();
await setBackend('wasm');
const model = new BasicRNN({ hiddenSize: 16, outputSize: 1, seed: 7 });
model.build([null, 20, 10]);
const x = tf.randomNormal([4, 20, 10]);
const { output, state } = model.call(x);
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
const loss = await model.trainOnBatch(x, tf.ones([4, 1]));
const svg = await rnnWorkingSvg({ input: x, output, state });
const png = await svgToPng(svg);
let summary = '';
model.summary({ printFn: (l) => (summary += l + '\\n') });
console.log(JSON.stringify({ before, info: getBackendInfo(), output: output.shape, state: state.shape, loss, svg: svg.length, png: png.length, params: model.countParams() }));
`,
      );
      const result = JSON.parse(run('node', ['main.mjs'], project).trim().split('\n').at(-1)!);
      expect(result.before).toBe('cpu');
      expect(result.info).toMatchObject({ name: 'wasm', simd: true, threads: 1 });
      expect(result.output).toEqual([4, 1]);
      expect(result.state).toEqual([4, 16]);
      expect(Number.isFinite(result.loss)).toBe(true);
      expect(result.params).toBe(16 * (10 + 16 + 1) + 17);
      expect(result.svg).toBeGreaterThan(1000);
      expect(result.png).toBeGreaterThan(1000);
    });

    it('a Vite-built page runs the model on wasm and webgl and plots it in Chromium', async () => {
      writeFileSync(join(project, 'index.html'), '<!doctype html><html><body><div id="plot"></div><pre id="result"></pre><script type="module" src="/src/main.js"></script></body></html>');
      writeFileSync(
        join(project, 'src', 'main.js'),
        `import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, setBackend, getBackendInfo } from '@basicrnn/core';
import { configureWasm } from '@basicrnn/backend-wasm';
import '@basicrnn/backend-webgl';
import { plotRnnWorking } from '@basicrnn/viz';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import threaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
configureWasm({ wasmPaths: { 'tfjs-backend-wasm.wasm': plain, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': threaded } });
const out = {};
try {
  const model = new BasicRNN({ hiddenSize: 8, outputSize: 2, seed: 3 });
  const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1);
  for (const backend of ['wasm', 'webgl', 'cpu']) {
    await setBackend(backend);
    const y = model.predict(x);
    out[backend] = { info: getBackendInfo(), y: Array.from(await y.data()) };
    y.dispose();
  }
  const { output, state } = model.call(x);
  const handle = plotRnnWorking('#plot', { input: x, output, state });
  await handle.ready;
  out.svg = document.querySelectorAll('#plot svg').length;
} catch (e) {
  out.error = String(e && e.stack || e);
}
document.getElementById('result').textContent = JSON.stringify(out);
`,
      );
      run('pnpm', ['exec', 'vite', 'build', '--logLevel', 'error'], project);
      expect(existsSync(join(project, 'dist', 'index.html'))).toBe(true);
      const { preview } = await import(join(project, 'node_modules', 'vite', 'dist', 'node', 'index.js'));
      const server = await preview({ root: project, logLevel: 'error', preview: { port: 0, host: '127.0.0.1' } });
      const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(server.resolvedUrls.local[0]);
        await page.waitForFunction(() => document.getElementById('result')!.textContent !== '', undefined, { timeout: 120_000 });
        const out = JSON.parse((await page.textContent('#result'))!);
        expect(out.error).toBeUndefined();
        expect(errors).toEqual([]);
        expect(out.wasm.info).toMatchObject({ name: 'wasm', simd: true });
        expect(out.webgl.info).toMatchObject({ name: 'webgl', webglVersion: 2 });
        for (const backend of ['wasm', 'webgl']) {
          out[backend].y.forEach((v: number, i: number) => expect(Math.abs(v - out.cpu.y[i])).toBeLessThan(1e-3));
        }
        expect(out.svg).toBeGreaterThan(0);
      } finally {
        await browser.close();
        await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      }
    });
  });
});
