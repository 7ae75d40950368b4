import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, BasicRNNError, UnknownOptionError, setBackend } from '@basicrnn/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Property-based: junk in every option of every entry point that takes options (BasicRNN, call, predict, compile,
// fit, evaluate, summary): wrong types, NaN, ±Infinity, huge, negative, zero, empty, fractional, tensors of the
// wrong shape or dtype, and misspelt or unknown keys. Each call must succeed or throw a typed error (instanceof
// BasicRNNError), and leave tf.memory().numTensors where it was; a failed call on a built model leaves its
// weights unchanged. Fixed seed, bounded runs.

const SEED = Number(process.env['BASICRNN_PROPERTY_SEED'] ?? 20261130);
const RUNS = Number(process.env['BASICRNN_PROPERTY_RUNS'] ?? 150);

/**
 * Entry points allowed to ignore a misspelt key. Every entry point checks its options with `checkOptions`, so
 * none: a misspelt key must be an UnknownOptionError everywhere. (Kept as a set so a new entry point that cannot
 * check yet has to be named here, visibly.)
 */
const UNKNOWN_KEYS_NOT_YET_CHECKED = new Set<string>();

/** Entry points that may not be handed junk in place of the whole options object: none (all refuse it, typed). */
const OPTIONS_OBJECT_NOT_YET_CHECKED = new Set<string>();

/** Junk values; 'tensor:…' entries are made fresh (and disposed) by the test. */
const JUNK: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  -2.5,
  NaN,
  Infinity,
  -Infinity,
  1e9,
  2 ** 53,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  '',
  'x',
  '3',
  'adam',
  'tanh',
  [],
  [1],
  [null, null],
  {},
  { a: 1 },
  () => 1,
  Symbol('junk'),
  10n,
  new Date(0),
  'tensor:scalar',
  'tensor:vector',
  'tensor:wrong-shape-2d',
  'tensor:int32-2d',
  'tensor:bool-mask',
  'tensor:pair',
];

function materialise(value: unknown, made: tf.Tensor[]): unknown {
  if (typeof value !== 'string' || !value.startsWith('tensor:')) return value;
  const make = (): tf.Tensor => {
    switch (value) {
      case 'tensor:scalar':
        return tf.scalar(1);
      case 'tensor:vector':
        return tf.ones([3]);
      case 'tensor:wrong-shape-2d':
        return tf.ones([5, 7]);
      case 'tensor:int32-2d':
        return tf.ones([N, HIDDEN], 'int32');
      case 'tensor:bool-mask':
        return tf.cast(tf.ones([N, STEPS]), 'bool');
      default:
        return tf.ones([2, 2]);
    }
  };
  if (value === 'tensor:pair') {
    const pair = [make(), make()];
    made.push(...pair);
    return pair;
  }
  const t = make();
  made.push(t);
  return t;
}

/** Misspellings of a key: a letter dropped, doubled, swapped with the next, case changed, or a plural 's'. */
function misspellings(key: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < key.length; i++) {
    out.add(key.slice(0, i) + key.slice(i + 1));
    out.add(key.slice(0, i) + key[i] + key.slice(i));
    if (i + 1 < key.length) out.add(key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2));
  }
  out.add(key[0]!.toUpperCase() + key.slice(1));
  out.add(`${key}s`);
  out.delete(key);
  return [...out];
}

const N = 6;
const STEPS = 4;
const INPUT = 2;
const HIDDEN = 3;
const OUTPUT = 2;

interface EntryPoint {
  name: string;
  keys: readonly string[];
  /** A valid base for the options; a mutation replaces or adds one key. */
  base: () => Record<string, unknown>;
  /** Runs the entry point with `options`; returns tensors to dispose on success. */
  run: (fixture: Fixture, options: unknown) => Promise<tf.Tensor[]>;
}

interface Fixture {
  model: BasicRNN;
  x: tf.Tensor3D;
  y: tf.Tensor2D;
}

/** Ends fit after the first epoch whatever `epochs` says (junk may ask for 1e9). */
const stopAfterOneEpoch = (model: BasicRNN) => ({
  onEpochEnd: async () => {
    model.stopTraining = true;
  },
});

const ENTRY_POINTS: readonly EntryPoint[] = [
  {
    name: 'BasicRNN',
    keys: ['hiddenSize', 'outputSize', 'returnSequences', 'activation', 'outputActivation', 'useBias', 'goBackwards', 'seed', 'name'],
    base: () => ({ hiddenSize: HIDDEN, outputSize: OUTPUT }),
    run: async (f, options) => {
      const model = new BasicRNN(options as never);
      try {
        // Huge sizes construct (no allocation yet); building them waits for the allocation limit (issue 12 item 3)
        // to be wired into build: until then only sane sizes are built here.
        if (model.hiddenSize > 64 || model.outputSize > 64) return [];
        const out = model.predict(f.x);
        return [out];
      } finally {
        model.dispose();
      }
    },
  },
  {
    name: 'call',
    keys: ['initialState', 'returnHiddenStates', 'mask'],
    base: () => ({}),
    run: async (f, options) => {
      const r = f.model.call(f.x, options as never);
      return [r.output, r.state, ...(r.hiddenStates ? [r.hiddenStates] : [])];
    },
  },
  {
    name: 'predict',
    keys: ['batchSize'],
    base: () => ({}),
    run: async (f, options) => [f.model.predict(f.x, options as never)],
  },
  {
    name: 'compile',
    keys: ['optimizer', 'learningRate', 'loss', 'metrics', 'clipNorm', 'clipValue'],
    base: () => ({ optimizer: 'sgd', loss: 'meanSquaredError' }),
    run: async (_f, options) => {
      // A fresh model: a successful compile disposes the previous optimizer, which would read as a negative leak.
      const model = new BasicRNN({ hiddenSize: HIDDEN, outputSize: OUTPUT, seed: 4 });
      model.build([null, STEPS, INPUT]);
      try {
        model.compile(options as never);
      } finally {
        model.dispose();
      }
      return [];
    },
  },
  {
    name: 'fit',
    keys: ['epochs', 'batchSize', 'shuffle', 'seed', 'validationSplit', 'validationData', 'callbacks', 'signal', 'mirrorEvery'],
    base: () => ({ epochs: 1, batchSize: 4 }),
    run: async (f, options) => {
      const o = options as Record<string, unknown> | null;
      // Keep a junk `epochs` bounded unless the junk is in `callbacks` itself (then epochs is the base's 1).
      const withStop =
        o !== null && typeof o === 'object' && !('callbacks' in o) ? { ...o, callbacks: stopAfterOneEpoch(f.model) } : o;
      await f.model.fit(f.x, f.y, withStop as never);
      return [];
    },
  },
  {
    name: 'evaluate',
    keys: ['batchSize'],
    base: () => ({}),
    run: async (f, options) => {
      await f.model.evaluate(f.x, f.y, options as never);
      return [];
    },
  },
  {
    name: 'summary',
    keys: ['printFn', 'lineLength'],
    base: () => ({ printFn: () => {} }),
    run: async (f, options) => {
      const o = options as Record<string, unknown> | null;
      // Never print to the test log: a junk printFn that is a function is replaced by a silent one.
      const silent = o !== null && typeof o === 'object' && !('printFn' in o) ? { ...o, printFn: () => {} } : o;
      f.model.summary(silent as never);
      return [];
    },
  },
];

type Mutation =
  | { kind: 'value'; key: string; junk: unknown }
  | { kind: 'misspelt'; key: string; misspelt: string; junk: unknown }
  | { kind: 'whole'; junk: unknown };

function mutationOf(entry: EntryPoint): fc.Arbitrary<Mutation> {
  const junk = fc.constantFrom(...JUNK);
  const keyed = fc.constantFrom(...entry.keys);
  const wholeWeight = OPTIONS_OBJECT_NOT_YET_CHECKED.has(entry.name) ? 0 : 1;
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('value' as const), key: keyed, junk }) },
    {
      weight: 2,
      arbitrary: keyed.chain((key) =>
        fc.record({ kind: fc.constant('misspelt' as const), key: fc.constant(key), misspelt: fc.constantFrom(...misspellings(key)), junk }),
      ),
    },
    // The options argument itself is junk (null, a number, an array, …).
    { weight: wholeWeight, arbitrary: fc.record({ kind: fc.constant('whole' as const), junk }) },
  );
}

function apply(entry: EntryPoint, m: Mutation, made: tf.Tensor[]): unknown {
  if (m.kind === 'whole') return materialise(m.junk, made);
  const options = entry.base();
  if (m.kind === 'value') options[m.key] = materialise(m.junk, made);
  else options[m.misspelt] = materialise(m.junk, made);
  return options;
}

async function freshFixture(): Promise<Fixture> {
  const model = new BasicRNN({ hiddenSize: HIDDEN, outputSize: OUTPUT, seed: 3 });
  const x = tf.randomUniform([N, STEPS, INPUT], -1, 1, 'float32', 5) as tf.Tensor3D;
  const y = tf.randomUniform([N, OUTPUT], -1, 1, 'float32', 6) as tf.Tensor2D;
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  // One step first, so the optimizer's slots exist and a later step allocates nothing that outlives it.
  await model.trainOnBatch(x, y);
  return { model, x, y };
}

function weightValues(model: BasicRNN): number[][] {
  const ws = model.getWeights();
  const values = ws.map((w) => Array.from(w.dataSync()));
  tf.dispose(ws);
  return values;
}

function describeMutation(m: Mutation): string {
  const show = (v: unknown) => (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function' ? String(v) : JSON.stringify(v));
  if (m.kind === 'whole') return `options = ${show(m.junk)}`;
  if (m.kind === 'value') return `${m.key}: ${show(m.junk)}`;
  return `${m.misspelt} (for ${m.key}): ${show(m.junk)}`;
}

const outcomes: Record<string, { tried: number; ok: number; typed: number }> = {};

describe(`junk options: success or a typed error, no leak (${RUNS} runs per entry point, seed ${SEED})`, () => {
  let fixture: Fixture;

  beforeAll(async () => {
    await setBackend('cpu');
    fixture = await freshFixture();
  });

  afterAll(() => {
    fixture.model.dispose();
    tf.dispose([fixture.x, fixture.y]);
    for (const [name, o] of Object.entries(outcomes)) {
      console.log(`[property] ${name}: ${o.tried} tried, ${o.ok} succeeded, ${o.typed} typed errors, 0 untyped, 0 leaks`);
    }
  });

  for (const entry of ENTRY_POINTS) {
    it(`${entry.name}`, async () => {
      const tally = (outcomes[entry.name] = { tried: 0, ok: 0, typed: 0 });
      await fc.assert(
        fc.asyncProperty(mutationOf(entry), async (m) => {
          // A successful compile or fit changes the shared model; a fresh one per run keeps runs independent.
          if (entry.name === 'fit') {
            fixture.model.dispose();
            tf.dispose([fixture.x, fixture.y]);
            fixture = await freshFixture();
          }
          const made: tf.Tensor[] = [];
          const options = apply(entry, m, made);
          const before = tf.memory().numTensors;
          const weightsBefore = weightValues(fixture.model);
          let error: unknown;
          let outputs: tf.Tensor[] = [];
          try {
            outputs = await entry.run(fixture, options);
          } catch (e) {
            error = e;
          }
          tf.dispose(outputs);
          const leaked = tf.memory().numTensors - before;
          tally.tried++;
          if (error === undefined) tally.ok++;
          else if (error instanceof BasicRNNError) tally.typed++;
          const what = `${entry.name}(${describeMutation(m)})`;
          if (error !== undefined && !(error instanceof BasicRNNError)) {
            tf.dispose(made);
            throw new Error(`${what} threw an untyped ${String((error as Error)?.name)}: ${String((error as Error)?.message)}`);
          }
          if (error !== undefined) {
            expect(weightValues(fixture.model), `${what} failed but changed the weights`).toEqual(weightsBefore);
          }
          if (m.kind === 'misspelt' && !UNKNOWN_KEYS_NOT_YET_CHECKED.has(entry.name)) {
            expect(error, `${what} was accepted`).toBeInstanceOf(UnknownOptionError);
          }
          tf.dispose(made);
          expect(leaked, `${what} leaked ${leaked} tensor(s)`).toBe(0);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }, 300_000);
  }
});
