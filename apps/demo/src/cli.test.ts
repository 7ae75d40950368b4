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

/** The texts of an SVG's <text> elements. */
function svgTexts(file: string): string[] {
  const doc = new DOMParser().parseFromString(readFileSync(file, 'utf8'), 'image/svg+xml');
  return [...doc.querySelectorAll('text')].map((t) => t.textContent ?? '');
}

const metric = (stdout: string, name: string) => Number(new RegExp(`^Test \\(.*\\): .*${name} (\\d+\\.\\d+)`, 'm').exec(stdout)?.[1]);

describe('pnpm start (the main job)', () => {
  it('prints the summary, the input, output and state shapes and per-epoch lines, and writes SVG, PNG and HTML', () => {
    const out = join(scratch, 'forecast');
    const { code, stdout, stderr } = start(['--epochs', '2', '--samples', '120', '--hidden-size', '16', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Backend: wasm \(SIMD, 1 thread, fused kernels\)$/m);
    expect(stdout).toMatch(/^Task: forecast — k-step forecast/m);
    // The seed's order: summary (after compile and build), then the forward pass's shapes.
    expect(stdout.indexOf('Total params')).toBeLessThan(stdout.indexOf('Input shape'));
    expect(stdout).toMatch(/^Input shape: \(32, 20, 10\)$/m);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^State shape: \(32, 16\)$/m);
    // 16·(10+16+1) + 1·(16+1) = 432 + 17
    expect(stdout).toMatch(/^ simple_rnn \(SimpleRNN\)\s+\(None, 16\)\s+432$/m);
    expect(stdout).toMatch(/^Total params: 449$/m);
    expect(stdout).toMatch(/^Training 2 epochs with adam \(learning rate 0\.001, its default\) on 96 examples/m);
    expect(stdout).toMatch(/^Epoch 1\/2  loss \d+\.\d{4}  mae \d+\.\d{4}  val_loss/m);
    expect(stdout).toMatch(/^Epoch 2\/2 /m);
    expect(stdout).not.toMatch(/turbo|@basicrnn\/demo:|looks like you are running/i);
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
    expect(svgTexts(join(out, 'training-curves.svg'))).toContain('MAE per epoch');
    expect(svgTexts(join(out, 'rnn-working.svg'))).toContain('output value');
    expect(svgTexts(join(out, 'weights.svg')).some((t) => t.startsWith('Bias b [16]'))).toBe(true);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<h1>basicrnn — forecast<\/h1>/);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
    for (const heading of ['The RNN at work', 'Hidden state over time', 'Training curves', 'Weights']) {
      expect(html).toMatch(new RegExp(`<h2>${heading}</h2>\\n<figure><svg[\\s\\S]*?<figcaption>[^<]{20,}</figcaption></figure>`));
    }
  });

  it('plain `pnpm start` prints only the CLI output, learns the default forecast, and writes to ./basicrnn-out where pnpm was run', () => {
    const { code, stdout, stderr } = start([], join(root, 'packages'));
    // Off a terminal pnpm echoes the script it runs ("$ node scripts/start.mjs") on stderr; nothing else may appear.
    expect(stderr.replace(/^\$ node scripts\/start\.mjs\n/, '')).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('Backend: wasm (SIMD, 1 thread, fused kernels)');
    expect(stdout).toMatch(/^Input shape: \(32, 20, 10\)$/m);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^State shape: \(32, 64\)$/m);
    expect(stdout).toMatch(/^Epoch 10\/10 /m);
    // The series' variance is about 0.6: a forecast that learnt nothing has an MSE near that.
    expect(metric(stdout, 'loss')).toBeLessThan(0.1);
    const out = join(root, 'packages', 'basicrnn-out');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    rmSync(out, { recursive: true, force: true });
  });

  it("the seed's setup learns: marker task, Adam + binary cross-entropy, every default (Keras's learning rate 0.001)", () => {
    const out = join(scratch, 'marker');
    const { code, stdout } = start(['--task', 'marker', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Training 10 epochs with adam \(learning rate 0\.001, its default\)/m);
    // Measured: 0.975 after 10 epochs (0.53 with the old fixed learning rate 0.01).
    expect(metric(stdout, 'accuracy')).toBeGreaterThanOrEqual(0.95);
    // A linear head under a cross-entropy loss outputs a logit, and the plot says so.
    expect(svgTexts(join(out, 'rnn-working.svg'))).toContain('logit');
    expect(svgTexts(join(out, 'training-curves.svg'))).toContain('Accuracy per epoch');
  });

  it('every size has a meaning on the forecast task: k steps ahead from several series, per step with --return-sequences', () => {
    const common = ['--epochs', '1', '--samples', '60', '--hidden-size', '8', '--input-size', '4', '--seq-length', '30', '--batch-size', '16', '--output-size', '5'];
    const last = start([...common, '--out', join(scratch, 'k')]);
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(/^Input shape: \(16, 30, 4\)$/m);
    expect(last.stdout).toMatch(/^Output shape: \(16, 5\)$/m);
    expect(last.stdout).toMatch(/^State shape: \(16, 8\)$/m);
    const seq = start([...common, '--return-sequences', '--out', join(scratch, 'kseq')]);
    expect(seq.code).toBe(0);
    // Built with a fixed sequence length, the summary shows it (Keras: (None, 30, 8)).
    expect(seq.stdout).toMatch(/^ simple_rnn \(SimpleRNN\)\s+\(None, 30, 8\)\s+104$/m);
    expect(seq.stdout).toMatch(/^ dense \(Dense\)\s+\(None, 30, 5\)\s+45$/m);
    expect(seq.stdout).toMatch(/^Output shape: \(16, 30, 5\)$/m);
  });

  it("--seed-main is the seed's main(): random normal input, compile, build, summary, shapes, the seed's plot; no training", () => {
    const out = join(scratch, 'seed');
    const { code, stdout, stderr } = start(['--seed-main', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Seed main\(\): random normal input/m);
    expect(stdout).toMatch(/^Total params: 4,865$/m);
    expect(stdout).toMatch(/^Input shape: \(32, 20, 10\)$/m);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^State shape: \(32, 64\)$/m);
    expect(stdout).not.toMatch(/^(Epoch|Training|Test)/m);
    expect(existsSync(join(out, 'rnn-working.svg'))).toBe(true);
    expect(existsSync(join(out, 'weights.png'))).toBe(true);
    expect(existsSync(join(out, 'training-curves.svg'))).toBe(false);
    expect(svgTexts(join(out, 'rnn-working.svg'))).toContain('logit');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/No training \(epochs 0\)/);
  });

  it('--epochs 0 evaluates the untrained model on the task and draws no training curves', () => {
    const out = join(scratch, 'e0');
    const { code, stdout } = start(['--task', 'marker', '--epochs', '0', '--samples', '50', '--hidden-size', '4', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/^Epoch/m);
    expect(stdout).toMatch(/^Test \(10 unseen examples, untrained model\): loss \d/m);
    expect(existsSync(join(out, 'training-curves.svg'))).toBe(false);
  });

  it('each optimizer gets its Keras default learning rate; --learning-rate overrides; adadelta is not sgd', () => {
    const tiny = ['--task', 'marker', '--epochs', '1', '--samples', '40', '--hidden-size', '4', '--out', join(scratch, 'opt')];
    const sgd = start([...tiny, '--optimizer', 'sgd']);
    expect(sgd.stdout).toMatch(/with sgd \(learning rate 0\.01, its default\)/);
    const adadelta = start([...tiny, '--optimizer', 'adadelta']);
    expect(adadelta.stdout).toMatch(/with adadelta \(learning rate 0\.001, its default\)/);
    const epochLine = (s: string) => /^Epoch 1\/1 .*$/m.exec(s)?.[0];
    expect(epochLine(adadelta.stdout)).toBeDefined();
    expect(epochLine(adadelta.stdout)).not.toBe(epochLine(sgd.stdout));
    const chosen = start([...tiny, '--learning-rate', '0.05']);
    expect(chosen.stdout).toMatch(/with adam \(learning rate 0\.05\) on/);
  });

  it('trains the marker task with a chosen input size', () => {
    const { code, stdout } = start(['--task', 'marker', '--input-size', '3', '--epochs', '1', '--samples', '40', '--hidden-size', '4', '--out', join(scratch, 'm')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    expect(stdout).toMatch(/^ simple_rnn \(SimpleRNN\)\s+\(None, 4\)\s+32$/m);
  });

  it('trains the sentiment task on token ids (embedding → recurrent layer → Dense), saves it, and --load runs it again', () => {
    const model = join(scratch, 's-model');
    const { code, stdout } = start(['--task', 'sentiment', '--epochs', '1', '--samples', '60', '--hidden-size', '8', '--cell', 'gru', '--out', join(scratch, 's'), '--save', model]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Task: sentiment/m);
    expect(stdout).toMatch(/^Backend: wasm/m); // embeddings train on wasm too (core's gather gradient without UnsortedSegmentSum)
    expect(stdout).toMatch(/^ embedding \(Embedding\)\s+\(None, 8, 16\)\s+[\d,]+$/m);
    expect(stdout).toMatch(/^ gru \(GRU\)\s+\(None, 8\)/m);
    expect(stdout).toMatch(/^Input shape: \(32, 8\) \(token ids/m);
    expect(stdout).toMatch(/^Output shape: \(32, 1\)$/m);
    const test = metric(stdout, 'accuracy');
    expect(test).toBeGreaterThanOrEqual(0);
    for (const f of ['model.json', 'model.onnx']) expect(existsSync(join(model, f))).toBe(true);
    for (const f of ['hidden-states.png', 'rnn-working.png', 'training-curves.png', 'report.html']) expect(existsSync(join(scratch, 's', f))).toBe(true);

    const again = start(['--task', 'sentiment', '--samples', '60', '--load', model, '--out', join(scratch, 's2')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Loaded the model from/m);
    // The same held-out examples through the saved weights: the same accuracy.
    expect(metric(again.stdout, 'accuracy')).toBe(test);
    const other = start(['--task', 'marker', '--load', model]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a sequential model; the CLI runs those only for --task sentiment/);
  });

  it.each([
    [['--hidden-size', '0'], /--hidden-size must be a positive integer/],
    [['--hidden-size', 'abc'], /--hidden-size must be a positive integer/],
    [['--hidden-size', '100000'], /--hidden-size 100000 is too large: at most 4,096/],
    [['--samples', '100000000'], /--samples 100000000 is too large: at most 1,000,000/],
    [['--samples', '1e8'], /--samples must be a positive integer/],
    [['--samples', '1000000', '--seq-length', '1000'], /the data would take .* more than 1\.0 GiB/],
    [['--batch-size', '10000', '--seq-length', '1000', '--hidden-size', '512', '--samples', '20000'], /one batch's hidden states would take/],
    [['--epochs', '-1'], /--epochs must be a whole number/],
    [['--seed-main', '--task', 'marker'], /--seed-main runs no task and trains nothing: drop --task/],
    [['--task', 'weather'], /argument 'weather' is invalid\. Allowed choices are forecast, sine, marker, sentiment/],
    [['--input-size', '4', '--task', 'sentiment'], /--input-size does not apply to --task sentiment/],
    [['--input-size', '4', '--task', 'sine'], /--input-size does not apply to --task sine: the sine series has 1 feature per step/],
    [['--return-sequences', '--task', 'marker'], /--return-sequences does not fit the marker task: it has one label per sequence/],
    [['--loss', 'binaryCrossentropy'], /--loss binaryCrossentropy does not fit the forecast task \(a regression\)/],
    [['--output-size', '3', '--task', 'sine'], /--output-size 3 does not fit meanSquaredError on sine: it predicts one value/],
    [['--output-size', '3', '--task', 'marker'], /--output-size 3 does not fit binaryCrossentropy on marker/],
    [['--backend', 'webgl'], /argument 'webgl' is invalid/],
    [['--learning-rate', '-1'], /must be a positive number/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ])('usage error %j exits 2 at once, without a stack trace', (args, message) => {
    const t0 = Date.now();
    const { code, stderr, stdout } = start(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  it('--help explains each flag and exits 0', () => {
    const { code, stdout } = start(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--hidden-size', '--output-size', '--seq-length', '--input-size', '--batch-size', '--return-sequences', '--no-return-sequences', '--loss', '--optimizer', '--learning-rate', '--epochs', '--task', '--seed-main', '--backend', '--seed', '--out']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toMatch(/adam 0\.001/);
  });
});
