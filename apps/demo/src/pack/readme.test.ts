// Every code block of every README runs, as a user would run it: in the project that installed the packed
// tarballs (packed_project.ts). The rule, by the block's info string:
//   ```ts / ```js                 runs in Node (TypeScript transpiled to an ES module, top-level await allowed)
//   ```ts browser / ```js browser  runs in a page built by Vite in that project, in headless Chromium
//   ```ts file=PATH               is the file PATH of this repository verbatim (run by its own suite)
//   ```sh, ```text, ``` (none)    commands and printed output: not run
// Any other marker on a ts/js block fails the test, so a typo cannot hide a block. New READMEs under packages/*
// and new blocks are picked up automatically.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chromium } from 'playwright';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '@basicrnn/test-kit/chromium';

const { root, project } = inject('packed');

/** A fenced code block of a README. */
interface Block {
  readme: string;
  line: number;
  info: string;
  code: string;
  kind: 'node' | 'browser' | 'file' | 'not run' | 'unknown';
  /** A file-name-safe id: README path and line. */
  id: string;
}

const READMES = [
  'README.md',
  ...['packages', 'apps'].flatMap((dir) =>
    readdirSync(join(root, dir))
      .map((name) => `${dir}/${name}/README.md`)
      .filter((path) => existsSync(join(root, path))),
  ),
];

/** How a block runs, from its info string (see the rule at the top of this file). */
export function blockKind(info: string): Block['kind'] {
  const [lang = '', ...attrs] = info.trim().split(/\s+/);
  if (!['ts', 'js', 'typescript', 'javascript'].includes(lang)) return 'not run';
  if (attrs.length === 0) return 'node';
  if (attrs.length === 1 && attrs[0] === 'browser') return 'browser';
  if (attrs.length === 1 && attrs[0]!.startsWith('file=')) return 'file';
  return 'unknown';
}

function blocksOf(readme: string): Block[] {
  const text = readFileSync(join(root, readme), 'utf8');
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const info = open[1]!;
    const id = `${readme.replace(/[^a-z0-9]+/gi, '-')}-L${i + 1}`.replace(/^-+/, '');
    blocks.push({ readme, line: i + 1, info, code: lines.slice(i + 1, end).join('\n') + '\n', kind: blockKind(info), id });
    i = end;
  }
  return blocks;
}

const blocks = READMES.flatMap(blocksOf);
const where = (b: Block) => `${b.readme}:${b.line} (\`\`\`${b.info})`;
const dir = join(project, 'readme');
mkdirSync(dir, { recursive: true });

describe('README code blocks', () => {
  it('the rule: every ts/js block says where it runs; there are Node and browser blocks to run', () => {
    expect(blocks.filter((b) => b.kind === 'unknown').map(where)).toEqual([]);
    expect(blocks.filter((b) => b.kind === 'node').length).toBeGreaterThanOrEqual(5);
    expect(blocks.filter((b) => b.kind === 'browser').length).toBeGreaterThanOrEqual(3);
  });

  it.each(blocks.filter((b) => b.kind === 'file').map((b) => [where(b), b] as const))('%s is that file verbatim', (_, b) => {
    const path = b.info.split(/\s+/)[1]!.slice('file='.length);
    expect(readFileSync(join(root, path), 'utf8')).toBe(b.code);
  });

  it.each(blocks.filter((b) => b.kind === 'node').map((b) => [where(b), b] as const))('%s runs in Node in the packed project', (_, b) => {
    const js = ts.transpileModule(b.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    }).outputText;
    const file = join(dir, `${b.id}.mjs`);
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
    expect(r.stderr, `${where(b)} wrote to stderr`).not.toMatch(/Error|\n\s+at /);
    expect(r.status, `${where(b)} exited ${r.status}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  });

  describe('browser blocks, in one Vite build of the packed project, in Chromium', () => {
    const browserBlocks = blocks.filter((b) => b.kind === 'browser');
    let url = '';
    let close = async () => {};
    let browser: import('playwright').Browser | undefined;

    beforeAll(async () => {
      const input: Record<string, string> = {};
      for (const b of browserBlocks) {
        writeFileSync(join(dir, `${b.id}.ts`), b.code);
        // The page reports how the block ended; an import error or a rejected top-level await is a failure.
        writeFileSync(
          join(dir, `${b.id}.html`),
          `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><script type="module">
window.__readme = 'running';
import('./${b.id}.ts').then(() => { window.__readme = 'ok'; }, (e) => { window.__readme = 'error: ' + ((e && e.stack) || e); });
</script></body></html>`,
        );
        input[b.id] = join(dir, `${b.id}.html`);
      }
      const vite = await import(join(project, 'node_modules', 'vite', 'dist', 'node', 'index.js'));
      await vite.build({ root: project, configFile: false, logLevel: 'error', build: { outDir: 'dist-readme', target: 'esnext', rollupOptions: { input } } });
      const server = await vite.preview({ root: project, configFile: false, logLevel: 'error', build: { outDir: 'dist-readme' }, preview: { port: 0, host: '127.0.0.1' } });
      url = server.resolvedUrls.local[0];
      close = () => new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    }, 600_000);

    afterAll(async () => {
      await browser?.close();
      await close();
    });

    it.each(browserBlocks.map((b) => [where(b), b] as const))('%s runs in the page', async (_, b) => {
      const page = await browser!.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(new URL(`readme/${b.id}.html`, url).href);
      await page.waitForFunction(() => (window as unknown as { __readme: string }).__readme !== 'running', undefined, { timeout: 240_000 });
      const result = await page.evaluate(() => (window as unknown as { __readme: string }).__readme);
      await page.close();
      expect(result, relative(root, join(root, b.readme))).toBe('ok');
      expect(errors).toEqual([]);
    });
  });
});
