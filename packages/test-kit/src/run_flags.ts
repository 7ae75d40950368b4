import { inject } from 'vitest';

// Values the vitest configs provide (vitest.shared.ts): node and browser suites read them the same way.
declare module 'vitest' {
  export interface ProvidedContext {
    /** `BASICRNN_FAST=1` (`pnpm test:fast`): leave out the slow cases. */
    basicrnnFast: boolean;
    /** `BASICRNN_MEASURE=1`: print the worst share of each tolerance a parity run used. */
    basicrnnMeasure: boolean;
  }
}

/** True under `pnpm test:fast`: long parity cases and leak soaks are skipped (each named `slow`). */
export const FAST: boolean = inject('basicrnnFast') === true;

/** True under `BASICRNN_MEASURE=1`: parity runs print the share of each tolerance they used. */
export const MEASURE: boolean = inject('basicrnnMeasure') === true;
