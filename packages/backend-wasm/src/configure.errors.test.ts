import { BasicRNNError, UnknownOptionError } from '@basicrnn/core';
import { describe, expect, it } from 'vitest';
import { configureWasm, getWasmInfo } from './index.js';

describe('configureWasm checks its options with core checkOptions', () => {
  it('an unknown key names the closest option and changes nothing', () => {
    const before = getWasmInfo();
    let caught: unknown;
    try {
      configureWasm({ wasmpaths: '/wasm/', threads: 2 } as never);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnknownOptionError);
    expect(caught).toBeInstanceOf(BasicRNNError);
    expect((caught as UnknownOptionError).option).toBe('wasmpaths');
    expect((caught as UnknownOptionError).suggestion).toBe('wasmPaths');
    expect((caught as Error).message).toBe(
      'configureWasm(config): unknown option "wasmpaths"; did you mean "wasmPaths"? Valid options: wasmPaths, threads, kernelThreads, kernelThreadSplit',
    );
    expect(getWasmInfo()).toEqual(before);
  });

  it('values are checked per key, naming it', () => {
    expect(() => configureWasm({ threads: -1 })).toThrow('configureWasm(config).threads: expected a positive integer, received -1');
    expect(() => configureWasm(undefined as never)).toThrow('configureWasm(config): expected an options object, received undefined');
  });
});
