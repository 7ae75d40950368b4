// `--task adding` and `--cell`: the flags resolve to the task's fixed input and defaults, a bad cell is refused, and
// the main job on the adding task writes the gradient-flow plot of all three cells and the LSTM views (tiny sizes).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, resolveOptions } from '../cli.js';
import { runMainJob, type Reporter } from '../main_job.js';

function options(args: string[]) {
  const program = buildProgram();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.parse(args, { from: 'user' });
  return resolveOptions(program.opts(), '/tmp', (name) => program.getOptionValueSource(name) === 'cli');
}

describe('--task adding --cell', () => {
  it('resolves the task (2 features, T = 100, MSE) and the cell; simpleRNN by default', () => {
    expect(options(['--task', 'adding', '--cell', 'lstm'])).toMatchObject({ task: 'adding', cell: 'lstm', inputSize: 2, seqLength: 100, loss: 'meanSquaredError', outputSize: 1 });
    expect(options(['--task', 'adding']).cell).toBe('simpleRNN');
    expect(options(['--cell', 'gru']).cell).toBe('gru');
  });

  it('refuses an unknown cell and an input size the task fixes', () => {
    expect(() => options(['--cell', 'transformer'])).toThrow(CommanderError);
    expect(() => options(['--cell', 'transformer'])).toThrow(/Allowed choices are simpleRNN, lstm, gru/);
    expect(() => options(['--task', 'adding', '--input-size', '3'])).toThrow('--input-size does not apply to --task adding: each step of the adding problem has 2 features');
  });

  it('the main job writes the gradient flow of all three cells and the LSTM views into the report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'basicrnn-adding-'));
    const lines: string[] = [];
    const reporter: Reporter = { line: (t) => void lines.push(t), epochStart: () => {}, batch: () => {}, epochEnd: () => {} };
    tf.enableProdMode();
    const o = { ...options(['--task', 'adding', '--cell', 'lstm', '--backend', 'cpu', '--hidden-size', '4', '--seq-length', '12', '--samples', '40', '--epochs', '1', '--batch-size', '8']), out };
    const before = tf.memory().numTensors;
    const { files } = await runMainJob(o, reporter);
    expect(tf.memory().numTensors).toBe(before);
    for (const name of ['gradient-flow', 'cell-states', 'lstm-gates']) expect(files).toContain(join(out, `${name}.png`));
    expect(files).not.toContain(join(out, 'weights.png'));
    expect(lines.find((l) => l.startsWith('Test loss per cell'))).toMatch(/^Test loss per cell \(predicting the mean gives ≈ 0\.167\): SimpleRNN \d\.\d{4}, LSTM \d\.\d{4}, GRU \d\.\d{4}$/);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('Gradient flow: the simple RNN’s limitation');
    expect(report).toContain('LSTM gates over time');
    const flow = readFileSync(join(out, 'gradient-flow.svg'), 'utf8');
    for (const label of ['SimpleRNN', 'LSTM', 'GRU']) expect(flow).toContain(`viz-gradient-${label}`);
    expect(existsSync(join(out, 'cell-states.svg'))).toBe(true);
  });
});
