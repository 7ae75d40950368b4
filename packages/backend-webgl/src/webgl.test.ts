import * as tf from '@tensorflow/tfjs-core';
import { BackendError, getBackend, getBackendInfo, listBackends, setBackend } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { canCreateWebGLCanvas, getWebGLInfo, NO_WEBGL_CONTEXT } from './index.js';

describe('webgl in Node (no WebGL context)', () => {
  it('is registered, so that setBackend can explain itself, and cpu stays the active backend', () => {
    expect(canCreateWebGLCanvas()).toBe(false);
    expect(listBackends()).toContain('webgl');
    expect(getBackend()).toBe('cpu');
    expect(getWebGLInfo()).toBeUndefined();
  });

  it('setBackend("webgl") rejects with a BackendError naming the reason; cpu stays active; no tensor leaks', async () => {
    const kept = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const failure = await setBackend('webgl').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(BackendError);
    expect((failure as Error).message).toContain(NO_WEBGL_CONTEXT);
    expect(getBackend()).toBe('cpu');
    expect(getBackendInfo().name).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(tf.square(kept).dataSync())).toEqual([1, 4, 9]);
    kept.dispose();
  });

  it('rejects the same way on a second try', async () => {
    await expect(setBackend('webgl')).rejects.toThrow(NO_WEBGL_CONTEXT);
    expect(getBackend()).toBe('cpu');
  });
});
