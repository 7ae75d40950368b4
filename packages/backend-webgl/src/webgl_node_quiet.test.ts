// Node has no WebGL: setBackend('webgl') must reject without tfjs printing its initialisation stack trace first.
import { BackendError, getBackend, setBackend } from '@basicrnn/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_WEBGL_CONTEXT } from './index.js';

describe('setBackend("webgl") in Node is quiet', () => {
  afterEach(() => vi.restoreAllMocks());

  it('rejects with the reason and prints nothing on the console', async () => {
    const printed: unknown[][] = [];
    for (const method of ['warn', 'error', 'log', 'info'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args));
    }
    const failure = await setBackend('webgl').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(BackendError);
    expect((failure as Error).message).toContain(NO_WEBGL_CONTEXT);
    expect(printed).toEqual([]);
    expect(getBackend()).toBe('cpu');
  });
});
