// Stryker mutation testing of @basicrnn/core (`pnpm mutation`, or `pnpm mutation:core`; not part of `pnpm test`):
// kernels, gradients and ops, training, validation. Narrow it for a quick look with `--mutate`, e.g.
// `pnpm mutation:core --mutate packages/core/src/training/losses.ts`.
import { mutationRun } from './shared.mjs';

export default mutationRun(
  'core',
  'packages/core/vitest.mutation.config.ts',
  [
    'packages/core/src/kernels/**/*.ts',
    'packages/core/src/gradients/**/*.ts',
    'packages/core/src/ops/**/*.ts',
    'packages/core/src/training/**/*.ts',
    'packages/core/src/validate.ts',
    'packages/core/src/options.ts',
  ],
  ['packages/viz'],
);
