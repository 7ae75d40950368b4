// The task registry: each task's data has the shapes its spec promises, and the forecast task's labels are the
// future values of series 0.
import { describe, expect, it } from 'vitest';
import { ALL_TASKS, TASK_SPECS, addingData, effectiveInputSize, forecastData, taskArrays, taskDefaults, trainingProblem } from './index.js';

const label = (setting: string) => setting;

describe('task registry', () => {
  it.each(ALL_TASKS)('%s: data shapes follow the spec; the default settings pass the rules', (task) => {
    const spec = TASK_SPECS[task];
    const { seqLength, loss } = taskDefaults(task);
    const inputSize = effectiveInputSize(task, 5);
    const d = taskArrays({ task, samples: 20, seqLength, inputSize, seed: 1, returnSequences: false, outputSize: 1 });
    expect(d.shape).toMatchObject({ samples: 20, seqLength, inputSize });
    expect(d.x.length).toBe(20 * seqLength * inputSize);
    expect(trainingProblem({ task, loss, outputSize: 1, returnSequences: false }, label)).toBeNull();
    expect(trainingProblem({ task, loss, outputSize: 1, returnSequences: true }, label) === null).toBe(spec.perStepLabels);
  });

  it('forecast: input size series, the label is series 0 at the next k steps (also per step)', () => {
    const [n, t, i, k] = [12, 6, 4, 3];
    const d = forecastData({ samples: n, seqLength: t, inputSize: i, horizon: k, seed: 3 });
    expect(d.shape).toEqual({ samples: n, seqLength: t, inputSize: i, outputSize: k });
    // Window m starts one step after window m - 1, so series 0 at step s of window m is x[m, s, 0].
    const x0 = (m: number, s: number) => d.x[(m * t + s) * i]!;
    for (let m = 0; m + k < n; m++) for (let j = 0; j < k; j++) expect(d.y[m * k + j]).toBe(x0(m + 1 + j, t - 1));
    const p = forecastData({ samples: n, seqLength: t, inputSize: i, horizon: k, seed: 3, perStep: true });
    expect(p.y.length).toBe(n * t * k);
    for (let s = 0; s + 1 < t; s++) expect(p.y[(2 * t + s) * k]).toBe(x0(2, s + 1));
    // Series i leads series 0 by i steps: feature 1 now ≈ series 0 next step (noise 0.1, gain 0.5 to 1.5).
    const corr = (a: number[], b: number[]) => {
      const ma = a.reduce((s, v) => s + v, 0) / a.length;
      const mb = b.reduce((s, v) => s + v, 0) / b.length;
      const cov = a.reduce((s, v, q) => s + (v - ma) * (b[q]! - mb), 0);
      return cov / Math.sqrt(a.reduce((s, v) => s + (v - ma) ** 2, 0) * b.reduce((s, v) => s + (v - mb) ** 2, 0));
    };
    const big = forecastData({ samples: 400, seqLength: 2, inputSize: 3, horizon: 1, seed: 4 });
    const lead = Array.from({ length: 399 }, (_, m) => big.x[(m * 2) * 3 + 1]!);
    const next = Array.from({ length: 399 }, (_, m) => big.x[((m + 1) * 2) * 3]!);
    expect(corr(lead, next)).toBeGreaterThan(0.95);
  });

  it('rules: output size is the horizon on forecast, one value on sine, classes on marker', () => {
    expect(trainingProblem({ task: 'forecast', loss: 'meanSquaredError', outputSize: 7, returnSequences: true }, label)).toBeNull();
    expect(trainingProblem({ task: 'sine', loss: 'meanSquaredError', outputSize: 2, returnSequences: false }, label)).toMatch(/one value/);
    expect(trainingProblem({ task: 'marker', loss: 'categoricalCrossentropy', outputSize: 2, returnSequences: false }, label)).toBeNull();
    expect(trainingProblem({ task: 'marker', loss: 'meanSquaredError', outputSize: 1, returnSequences: false }, label)).toMatch(/a classification/);
  });

  it('adding: two markers, one per half; the label is the sum of the marked values; the mean predictor scores ≈ 1/6', () => {
    const [n, t] = [4000, 100];
    const d = addingData({ samples: n, seqLength: t, seed: 5 });
    expect(d.shape).toEqual({ samples: n, seqLength: t, inputSize: 2, outputSize: 1 });
    let squared = 0;
    for (let m = 0; m < n; m++) {
      const marked = Array.from({ length: t }, (_, s) => s).filter((s) => d.x[(m * t + s) * 2 + 1] === 1);
      expect(marked).toHaveLength(2);
      expect(marked[0]!).toBeLessThan(t / 2);
      expect(marked[1]!).toBeGreaterThanOrEqual(t / 2);
      expect(d.y[m]).toBeCloseTo(d.x[(m * t + marked[0]!) * 2]! + d.x[(m * t + marked[1]!) * 2]!, 6);
      squared += (d.y[m]! - 1) ** 2;
    }
    // Var(u1 + u2) = 2/12 for u uniform on [0, 1]; 4000 samples: standard error ≈ 0.003.
    expect(squared / n).toBeCloseTo(1 / 6, 1);
    expect(Math.abs(squared / n - 1 / 6)).toBeLessThan(0.012);
    expect(() => addingData({ samples: 1, seqLength: 1, seed: 1 })).toThrow(RangeError);
  });
});
