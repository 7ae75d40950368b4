// Stryker mutation testing of @basicrnn/viz's data code (`pnpm mutation`, or `pnpm mutation:viz`; not part of
// `pnpm test`).
import { mutationRun } from './shared.mjs';

export default mutationRun('viz', 'packages/viz/vitest.mutation.config.ts', ['packages/viz/src/data.ts'], []);
