import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import '../index.js';
import { fusedKernelTests } from '../test/fused_kernel_tests.js';
import { gatedKernelTests } from '../test/gated_kernel_tests.js';

fusedKernelTests('Node, SIMD, 1 thread');
gatedKernelTests('Node, SIMD, 1 thread');

describe('generated module', () => {
  it('rnn_wasm_binary.ts is what assembly/rnn.ts compiles to (run `pnpm run build:wasm` after editing it)', () => {
    const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
    const output = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(output).toContain('up to date');
  }, 60_000);
});
