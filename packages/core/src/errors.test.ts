import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from './index.js';
import { BASICRNN_ERROR_BRAND, BasicRNNError, ConfigError, ShapeError, WeightsError, isBasicRNNError } from './errors.js';

/** Every exported class that extends Error, by export name. */
const errorClasses = Object.entries(core).filter(
  ([, value]) => typeof value === 'function' && value.prototype instanceof Error,
) as [string, new (message: string, ...rest: never[]) => Error][];

describe('error classes', () => {
  it('each exported error class is named as exported (names survive minifiers that rename classes)', () => {
    expect(errorClasses.map(([name]) => name).sort()).toEqual(
      [
        'BackendError',
        'BasicRNNError',
        'BusyError',
        'ConfigError',
        'DTypeError',
        'DeviceLostError',
        'DisposedError',
        'ModelIOError',
        'NonFiniteError',
        'NotBuiltError',
        'NotCompiledError',
        'ResourceLimitError',
        'ShapeError',
        'TrainingError',
        'UnknownOptionError',
        'UnsupportedConfigError',
        'WeightsError',
      ].sort(),
    );
    for (const [name, ErrorClass] of errorClasses) {
      const e = new ErrorClass('m');
      expect(e.name, name).toBe(name);
      expect(String(e)).toBe(`${name}: m`);
      expect(isBasicRNNError(e)).toBe(true);
      expect(e).toBeInstanceOf(BasicRNNError);
    }
    expect(new BasicRNNError('m').name).toBe('BasicRNNError');
  });

  it('subclasses keep the ordinary instanceof; BasicRNNError recognises the brand of errors that do not import core', () => {
    expect(new WeightsError('m')).toBeInstanceOf(ShapeError);
    expect(new ShapeError('m')).not.toBeInstanceOf(ConfigError);
    expect(new Error('m')).not.toBeInstanceOf(BasicRNNError);
    expect(isBasicRNNError(new Error('m'))).toBe(false);
    expect(isBasicRNNError(null)).toBe(false);
    expect(isBasicRNNError('ShapeError')).toBe(false);
    // How @basicrnn/viz marks its errors (it cannot import core): the registered symbol on its prototype.
    class VizLikeError extends Error {}
    Object.defineProperty(VizLikeError.prototype, Symbol.for('basicrnn.error'), { value: true });
    expect(BASICRNN_ERROR_BRAND).toBe(Symbol.for('basicrnn.error'));
    expect(isBasicRNNError(new VizLikeError('m'))).toBe(true);
    expect(new VizLikeError('m')).toBeInstanceOf(BasicRNNError);
    expect(new VizLikeError('m')).not.toBeInstanceOf(ShapeError);
  });

  it('names survive a minified bundle (vite/rolldown with minify)', async () => {
    const { build } = await import('vite');
    const dir = mkdtempSync(join(tmpdir(), 'basicrnn-minify-'));
    try {
      const src = (file: string) => JSON.stringify(fileURLToPath(new URL(file, import.meta.url)));
      const entry = join(dir, 'entry.js');
      writeFileSync(
        entry,
        `import * as errors from ${src('./errors.js').replace(/\.js"$/, '.ts"')};\n` +
          `import { UnknownOptionError } from ${src('./options.ts')};\n` +
          'export const names = Object.entries({ ...errors, UnknownOptionError }).filter(([, c]) => typeof c === "function" && c.prototype instanceof Error).map(([k, C]) => [k, new C("m").name, C.name]);\n',
      );
      await build({
        logLevel: 'silent',
        configFile: false,
        build: {
          lib: { entry, formats: ['es'], fileName: 'bundle' },
          outDir: join(dir, 'out'),
          minify: true,
          write: true,
        },
      });
      const bundle = join(dir, 'out', 'bundle.js');
      expect(readFileSync(bundle, 'utf8')).not.toContain('class ShapeError');
      const { names } = (await import(pathToFileURL(bundle).href)) as { names: [string, string, string][] };
      expect(names.length).toBe(errorClasses.length);
      // The minifier renamed the classes, the error names stayed.
      expect(names.some(([exported, , className]) => className !== exported)).toBe(true);
      for (const [exported, name] of names) expect(name).toBe(exported);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
