import * as tf from '@tensorflow/tfjs-core';
import { BackendError, getBackend, setBackend } from '@basicrnn/core';
import { afterAll, expect, it } from 'vitest';
import './index.js';
import { stubWebGLContexts } from './test/stub_webgl_contexts.js';

// A browser that refuses every WebGL context (WebGL disabled, GPU blocked).
const restore = stubWebGLContexts('none');

afterAll(() => {
  restore();
});

it('setBackend("webgl") rejects with BackendError explaining the refusal; cpu stays active', async () => {
  const before = tf.memory().numTensors;
  const failure = await setBackend('webgl').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(BackendError);
  expect((failure as Error).message).toMatch(/no WebGL context: the browser refused to create one/);
  expect(getBackend()).toBe('cpu');
  expect(tf.memory().numTensors).toBe(before);
});
