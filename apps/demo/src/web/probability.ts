import { isCategorical, type Settings } from './settings.js';

/** Turns the model's output for one example into P(positive): sigmoid of a logit, or softmax over 2 classes. */
export function positiveProbability(output: Float32Array | Int32Array | Uint8Array, loss: Settings['loss']): number {
  if (isCategorical(loss)) {
    const [a, b] = [output[0] ?? 0, output[1] ?? 0];
    const m = Math.max(a, b);
    const ea = Math.exp(a - m);
    const eb = Math.exp(b - m);
    return eb / (ea + eb);
  }
  return 1 / (1 + Math.exp(-(output[0] ?? 0)));
}
