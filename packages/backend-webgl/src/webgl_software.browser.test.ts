import * as tf from '@tensorflow/tfjs-core';
import { getBackend, getBackendInfo, setBackend } from '@basicrnn/core';
import { afterAll, expect, it } from 'vitest';
import './index.js';
import { stubWebGLContexts } from './test/stub_webgl_contexts.js';

// A page whose only WebGL context is software-rendered, which tfjs refuses by default (its own test setup
// sets SOFTWARE_WEBGL_ENABLED for this reason). The binding's prepare() notices and allows it.
const restore = stubWebGLContexts('software-only');

afterAll(async () => {
  await setBackend('cpu');
  restore();
});

it('setBackend("webgl") accepts a software-only context, enabling SOFTWARE_WEBGL_ENABLED', async () => {
  expect('SOFTWARE_WEBGL_ENABLED' in tf.env().getFlags()).toBe(false);
  await setBackend('webgl');
  expect(getBackend()).toBe('webgl');
  expect(tf.env().getBool('SOFTWARE_WEBGL_ENABLED')).toBe(true);
  expect(getBackendInfo()).toMatchObject({ name: 'webgl', webglVersion: 2 });
  expect(Array.from(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data())).toEqual([4, 6]);
});
