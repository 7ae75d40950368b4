import type { Activation } from '@basicrnn/core';
import type { RefConfig, RefHead } from './reference.js';

/** One forward/gradient case: shapes and options. */
export interface ParityCase {
  name: string;
  batch: number;
  steps: number;
  inputSize: number;
  hidden: number;
  outputSize: number;
  activation?: Activation;
  returnSequences?: boolean;
  useBias?: boolean;
  initialState?: boolean;
  goBackwards?: boolean;
  mask?: boolean;
  seed?: number;
  /** Long or large: left out of `pnpm test:fast`, run by `pnpm test`. */
  slow?: boolean;
}

/** The float64 reference's configuration for a case (and the tfjs-layers oracle's). */
export function refConfig(c: ParityCase, outputActivation: RefHead = 'linear'): RefConfig & { useBias: boolean } {
  return {
    batch: c.batch,
    steps: c.steps,
    inputSize: c.inputSize,
    hidden: c.hidden,
    outputSize: c.outputSize,
    activation: c.activation ?? 'tanh',
    returnSequences: c.returnSequences ?? false,
    goBackwards: c.goBackwards ?? false,
    useBias: c.useBias ?? true,
    outputActivation,
  };
}

