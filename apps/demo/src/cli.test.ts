// The main job end to end, as a user runs it: `pnpm start` from the repository root with small settings.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { DOMParser } from 'linkedom';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'basicrnn-cli-'));

/** `pnpm -s start -- ARGS`: -s keeps pnpm from echoing the command line it runs (it does so when given args). */
function start(args: string[], cwd = root) {
  const run = spawnSync('pnpm', args.length > 0 ? ['-s', 'start', '--', ...args] : ['start'], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 240_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('pnpm start (the main job)', () => {
  it('prints shapes, the summary and per-epoch lines, and writes SVG, PNG and HTML', () => {
    const out = join(scratch, 'sine');
    const { code, stdout, stderr } = start(['--epochs', '2', '--samples', '120', '--hidden-size', '16', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Backend: wasm \(SIMD, 1 thread, fused kernels\)$/m);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^State shape: \(32, 16\)$/m);
    // 16·(1+16+1) + 1·(16+1) = 288 + 17
    expect(stdout).toMatch(/^ simple_rnn \(SimpleRNN\)\s+\(None, 16\)\s+288$/m);
    expect(stdout).toMatch(/^Total params: 305$/m);
    expect(stdout).toMatch(/^Epoch 1\/2  loss \d+\.\d{4}  mae \d+\.\d{4}  val_loss/m);
    expect(stdout).toMatch(/^Epoch 2\/2 /m);
    expect(stdout).not.toMatch(/turbo|@basicrnn\/demo:/i);
    for (const view of ['rnn-working', 'hidden-states', 'training-curves', 'weights']) {
      const svg = readFileSync(join(out, `${view}.svg`), 'utf8');
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      expect(doc.querySelector('svg'), view).not.toBeNull();
      expect(doc.querySelectorAll('text').length, view).toBeGreaterThan(5);
      const png = decode(readFileSync(join(out, `${view}.png`)));
      expect(png.width).toBeGreaterThan(300);
      expect(png.height).toBeGreaterThan(200);
      const px = png.data;
      const distinct = new Set<number>();
      for (let i = 0; i < px.length; i += 4 * 97) distinct.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
      expect(distinct.size, `${view}.png is not blank`).toBeGreaterThan(5);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<h1>basicrnn — sine<\/h1>/);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('plain `pnpm start` prints only the CLI output and writes to ./basicrnn-out where pnpm was run', () => {
    const { code, stdout, stderr } = start([], join(root, 'packages'));
    // Off a terminal pnpm echoes the script it runs ("$ node scripts/start.mjs") on stderr; nothing else may appear.
    expect(stderr.replace(/^\$ node scripts\/start\.mjs\n/, '')).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('Backend: wasm (SIMD, 1 thread, fused kernels)');
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^State shape: \(32, 64\)$/m);
    expect(stdout).toMatch(/^Epoch 10\/10 /m);
    const out = join(root, 'packages', 'basicrnn-out');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    rmSync(out, { recursive: true, force: true });
  });

  it('trains the marker task with a chosen input size', () => {
    const { code, stdout } = start(['--task', 'marker', '--input-size', '3', '--epochs', '1', '--samples', '40', '--hidden-size', '4', '--out', join(scratch, 'm')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^ simple_rnn \(SimpleRNN\)\s+\(None, 4\)\s+32$/m);
  });

  it('trains the sentiment task on text', () => {
    const { code, stdout } = start(['--task', 'sentiment', '--epochs', '1', '--samples', '60', '--hidden-size', '8', '--out', join(scratch, 's')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Task: sentiment/m);
    expect(stdout).toMatch(/accuracy \d\.\d{4}/);
  });

  it.each([
    [['--hidden-size', '0'], /--hidden-size must be a positive integer/],
    [['--hidden-size', 'abc'], /--hidden-size must be a positive integer/],
    [['--task', 'weather'], /argument 'weather' is invalid\. Allowed choices are sine, marker, sentiment/],
    [['--input-size', '4', '--task', 'sentiment'], /--input-size does not apply to --task sentiment/],
    [['--return-sequences', '--task', 'marker'], /--return-sequences does not fit the marker task: it has one label per sequence/],
    [['--loss', 'binaryCrossentropy'], /--loss binaryCrossentropy does not fit the sine task \(a regression\)/],
    [['--output-size', '3'], /--output-size 3 does not fit/],
    [['--backend', 'webgl'], /argument 'webgl' is invalid/],
    [['--learning-rate', '-1'], /must be a positive number/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ])('usage error %j exits 2 without a stack trace', (args, message) => {
    const { code, stderr, stdout } = start(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });

  it('--help explains each flag and exits 0', () => {
    const { code, stdout } = start(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--hidden-size', '--output-size', '--seq-length', '--input-size', '--batch-size', '--return-sequences', '--no-return-sequences', '--loss', '--optimizer', '--learning-rate', '--epochs', '--task', '--backend', '--seed', '--out']) {
      expect(stdout).toContain(flag);
    }
  });
});
