// `--save DIR` and `--load DIR`: train once, save (TF.js Layers files + model.onnx), load in a new run that trains
// nothing and gets the same test numbers. In process (main()), small sizes: a few seconds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from './cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'basicrnn-save-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the CLI in this process; returns the exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(args, { ...process.env, INIT_CWD: scratch });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const small = ['--hidden-size', '8', '--samples', '60', '--batch-size', '16', '--seed', '3'];
const testLine = (stdout: string) => /^Test \(12 unseen examples(?:, loaded model)?\): (.*)$/m.exec(stdout)?.[1];

describe('--save DIR and --load DIR', () => {
  const dir = join(scratch, 'model');

  it('--save writes model.json, its weights and model.onnx; --load trains nothing and gets the same test numbers', async () => {
    const saved = await cli([...small, '--epochs', '2', '--out', join(scratch, 'out1'), '--save', dir]);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain(`Saved the model to ${dir}`);
    const files = readdirSync(dir);
    expect(files).toContain('model.json');
    expect(files).toContain('model.onnx');
    expect(files.some((f) => /^weights\..*\.bin$/.test(f))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).modelTopology).toBeTruthy();
    // ONNX's magic: a ModelProto starts with field 1 (ir_version), varint; and Debian's ONNX checker accepts it
    // where python3-onnx is installed (the onnx package's own tests run the file in ONNX Runtime).
    expect(readFileSync(join(dir, 'model.onnx'))[0]).toBe(0x08);
    const check = spawnSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', join(dir, 'model.onnx')], { encoding: 'utf8' });
    if (!/No module named 'onnx'|ENOENT/.test(`${check.stderr}${check.error?.message ?? ''}`)) expect(check.stderr).toBe('');

    const loaded = await cli(['--samples', '60', '--batch-size', '16', '--seed', '3', '--out', join(scratch, 'out2'), '--load', dir]);
    expect(loaded.stderr).toBe('');
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toContain(`Loaded the model from ${dir}: no training`);
    expect(loaded.stdout).not.toMatch(/^Epoch /m);
    expect(loaded.stdout).toMatch(/simple_rnn \(SimpleRNN\)\s+\(None, 8\)/); // the size came from the file
    expect(testLine(loaded.stdout)).toBeDefined();
    expect(testLine(loaded.stdout)).toBe(testLine(saved.stdout));
    expect(existsSync(join(scratch, 'out2', 'rnn-working.svg'))).toBe(true);
    expect(existsSync(join(scratch, 'out2', 'training-curves.svg'))).toBe(false);
  });

  it.each([
    ['a size that differs from the model', ['--hidden-size', '9'], /model has hiddenSize 8, but --hidden-size 9 was given/],
    ['a task the model does not fit', ['--task', 'sine'], /takes 10 input features per step; --task sine gives 1/],
    ['training flags', ['--epochs', '3'], /--load uses a trained model and trains nothing: drop --epochs/],
  ])('refuses %s with exit code 2', async (_name, extra, message) => {
    const r = await cli(['--samples', '60', '--out', join(scratch, 'bad'), '--load', dir, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a directory without a model is a typed error (exit 1), not a crash', async () => {
    const r = await cli(['--samples', '60', '--out', join(scratch, 'bad'), '--load', join(scratch, 'nothing-here')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
  });
});
