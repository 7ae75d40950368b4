import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { BasicRNN, BasicRNNError, Embedding, RecurrentLayer, Sequential, DEFAULT_LEARNING_RATES, setBackend, LOSS_NAMES, OPTIMIZER_NAMES, formatBytes, type LossName, type OptimizerName } from '@basicrnn/core';
import { ALL_TASKS, TASK_SPECS, effectiveInputSize, isCategorical, taskDefaults, trainingProblem, type AnyTaskName, type SettingLabel } from './tasks/index.js';
import { CELL_NAMES, type CellName, type MainJobOptions, type Reporter, TASK_TITLES, runMainJob } from './main_job.js';
import { loadModelFrom } from './model_files.js';

/** A usage mistake: printed without a stack trace, exit code 2. */
class UsageError extends Error {}

/** The seed's sizes: BasicRNN(64, 1) on a [32, 20, 10] input. */
const SEED = { hiddenSize: 64, outputSize: 1, seqLength: 20, inputSize: 10, batchSize: 32 } as const;

/**
 * Largest values the CLI accepts, checked before any work. They keep a run within this machine's means (the
 * recurrent kernel alone is hiddenSize² floats; the data is samples × seqLength × inputSize floats).
 */
export const CLI_LIMITS = {
  hiddenSize: 4096,
  inputSize: 4096,
  outputSize: 1024,
  seqLength: 10_000,
  batchSize: 10_000,
  samples: 1_000_000,
  epochs: 10_000,
} as const;

/** Bytes the data, or a batch's activations, may take (float32). */
export const CLI_MEMORY_LIMIT = 1024 ** 3;

const FLAG_NAMES: Record<keyof typeof CLI_LIMITS, string> = {
  hiddenSize: '--hidden-size',
  inputSize: '--input-size',
  outputSize: '--output-size',
  seqLength: '--seq-length',
  batchSize: '--batch-size',
  samples: '--samples',
  epochs: '--epochs',
};

const wholeNumber = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`${name} must be a ${min === 0 ? 'whole number (0 or more)' : 'positive integer'}.`);
  }
  return n;
};
const positiveInt = (name: string) => wholeNumber(name, 1);
const integer = (value: string) => {
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be an integer.');
  return Number(value);
};
const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number.');
  return n;
};

/** Names a setting as the user typed it: "--loss huber". */
const flagLabel: SettingLabel = (setting, s) =>
  setting === 'returnSequences' ? '--return-sequences' : setting === 'loss' ? `--loss ${s.loss}` : `--output-size ${s.outputSize}`;

/** "adam 0.001, sgd 0.01, …" for the help text. */
const rates = OPTIMIZER_NAMES.map((name) => `${name} ${DEFAULT_LEARNING_RATES[name]}`).join(', ');

export function buildProgram(): Command {
  return new Command()
    .name('basicrnn')
    .description(
      "The seed's main(): build a BasicRNN (SimpleRNN + Dense), compile it, print the Keras-style summary, run a\n" +
        'forward pass on random normal input and print the input, output and state shapes; then train on a task and\n' +
        'write plots (SVG, PNG) and an HTML report. Every size means something on the default task (forecast):\n' +
        '--input-size related series, --output-size steps forecast, --seq-length steps of history.',
    )
    .addOption(new Option('--task <name>', `what to train on: ${ALL_TASKS.map((t) => `${t} (${TASK_TITLES[t]})`).join('; ')}`).choices(ALL_TASKS).default('forecast'))
    .option('--seed-main', "exactly the seed's main(): random normal input, compile (adam, binaryCrossentropy), build, summary, shapes, the seed's plot; no task, no training")
    .addOption(new Option('--backend <name>', 'tfjs backend (webgl needs a browser: use `pnpm demo`)').choices(['cpu', 'wasm']).default('wasm'))
    .addOption(new Option('--cell <name>', 'recurrent cell: simpleRNN (the seed), lstm or gru (the answer to its vanishing gradients)').choices(CELL_NAMES).default('simpleRNN'))
    .option('--hidden-size <n>', `units of the SimpleRNN layer (state size), at most ${CLI_LIMITS.hiddenSize}`, positiveInt('--hidden-size'), SEED.hiddenSize)
    .option('--output-size <n>', 'units of the Dense head: forecast: steps ahead (k); sine: 1; marker/sentiment: 1 logit, or 2 with a categorical loss', positiveInt('--output-size'))
    .option('--seq-length <n>', 'timesteps per example (sentiment: words per review, padded with 0 at the end)', positiveInt('--seq-length'))
    .option('--input-size <n>', 'features per timestep: forecast: related series (10); marker: features (10); sine and sentiment fix theirs', positiveInt('--input-size'))
    .option('--batch-size <n>', 'examples per gradient step, and the example input batch', positiveInt('--batch-size'), SEED.batchSize)
    .option('--return-sequences', 'apply the head at every timestep (forecast and sine: a forecast after every step)')
    .option('--no-return-sequences', 'apply the head to the final state only (default)')
    .addOption(new Option('--loss <name>', 'loss (default: meanSquaredError for forecast and sine, binaryCrossentropy otherwise)').choices(LOSS_NAMES))
    .addOption(new Option('--optimizer <name>', 'optimizer, with Keras defaults').choices(OPTIMIZER_NAMES).default('adam'))
    .option('--learning-rate <x>', `learning rate (default: Keras's for the optimizer: ${rates})`, positiveNumber)
    .option('--epochs <n>', 'passes over the training data; 0 trains nothing (shapes, summary, untrained plots)', wholeNumber('--epochs', 0), 10)
    .option('--samples <n>', `examples generated for the task (20% held out for the test), 10 to ${CLI_LIMITS.samples.toLocaleString('en-US')}`, positiveInt('--samples'), 1000)
    .option('--seed <n>', 'seed of the weights, the data and the shuffling', integer, 7)
    .option('--out <dir>', 'where to write the plots and report (default ./basicrnn-out where you ran the command)')
    .option('--save <dir>', 'after training, save the model to DIR (model.json + weights, TF.js Layers format) and model.onnx beside it')
    .option('--load <dir>', 'load the model saved in DIR (by --save) instead of training: predict, evaluate and plot with it')
    .showHelpAfterError('(run with --help for every option)')
    .exitOverride();
}

/** Turns parsed flags into main-job options, refusing combinations that do not fit the task, and sizes too large. */
export function resolveOptions(flags: Record<string, unknown>, cwd: string, given: (name: string) => boolean = (name) => flags[name] !== undefined): MainJobOptions {
  const seedMain = flags.seedMain === true;
  if (flags.load !== undefined) {
    const refused = ['seedMain', 'epochs', 'optimizer', 'learningRate'].filter(given);
    if (refused.length > 0) {
      throw new UsageError(`--load uses a trained model and trains nothing: drop ${refused.map((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
    }
  }
  if (seedMain) {
    const refused = ['task', 'samples', 'epochs'].filter(given);
    if (refused.length > 0) {
      throw new UsageError(`--seed-main runs no task and trains nothing: drop ${refused.map((n) => `--${n}`).join(', ')}`);
    }
  }
  const task = seedMain ? null : (flags.task as AnyTaskName);
  const spec = task === null ? null : TASK_SPECS[task];
  if (spec !== null && given('inputSize') && 'fixed' in spec.inputSize) {
    throw new UsageError(`--input-size does not apply to --task ${task}: ${spec.inputSize.why}`);
  }
  const returnSequences = flags.returnSequences === true;
  const loss = (flags.loss as LossName | undefined) ?? (task === null ? 'binaryCrossentropy' : taskDefaults(task).loss);
  const outputSize = (flags.outputSize as number | undefined) ?? (isCategorical(loss) ? 2 : SEED.outputSize);
  if (task !== null) {
    const problem = trainingProblem({ task, loss, outputSize, returnSequences }, flagLabel);
    if (problem !== null) throw new UsageError(problem);
  }
  const seqLength = (flags.seqLength as number | undefined) ?? (task === null ? SEED.seqLength : taskDefaults(task).seqLength);
  const chosenInput = (flags.inputSize as number | undefined) ?? (spec !== null && 'default' in spec.inputSize ? spec.inputSize.default : SEED.inputSize);
  const inputSize = task === null ? chosenInput : effectiveInputSize(task, chosenInput);
  const samples = flags.samples as number;
  const epochs = seedMain || flags.load !== undefined ? 0 : (flags.epochs as number);
  const sizes = { hiddenSize: flags.hiddenSize as number, inputSize, outputSize, seqLength, batchSize: flags.batchSize as number, samples, epochs };
  checkSizes(sizes, task !== null);
  const optimizer = flags.optimizer as OptimizerName;
  const learningRate = (flags.learningRate as number | undefined) ?? DEFAULT_LEARNING_RATES[optimizer];
  return {
    task,
    cell: flags.cell as CellName,
    backend: flags.backend as 'cpu' | 'wasm',
    ...sizes,
    returnSequences,
    loss,
    optimizer,
    learningRate,
    defaultLearningRate: flags.learningRate === undefined,
    out: resolve(cwd, (flags.out as string | undefined) ?? 'basicrnn-out'),
    seed: flags.seed as number,
    save: flags.save === undefined ? null : resolve(cwd, flags.save as string),
    load: flags.load === undefined ? null : resolve(cwd, flags.load as string),
  };
}

/** Sizes a loaded model fixes, with the flag that would set each. */
const MODEL_SIZES = [
  ['hiddenSize', '--hidden-size'],
  ['outputSize', '--output-size'],
  ['inputSize', '--input-size'],
  ['seqLength', '--seq-length'],
  ['returnSequences', '--return-sequences'],
] as const;

/**
 * Loads the model of `--load DIR` and fits the options to it: sizes not given on the command line come from the
 * model; a size given that differs, a model the task cannot use, or a model that is not a BasicRNN is a usage
 * error (exit 2). Unreadable or corrupt files are core's typed errors (exit 1).
 */
export async function loadForTask(o: MainJobOptions, given: (name: string) => boolean): Promise<{ options: MainJobOptions; model: BasicRNN | Sequential }> {
  const dir = o.load!;
  const loaded = await loadModelFrom(pathToFileURL(dir).href);
  try {
    // The sentiment task runs an embedding model on token ids; every other task a BasicRNN on vectors.
    const sentiment = o.task === 'sentiment';
    const [embedding, recurrent] = loaded instanceof Sequential ? loaded.layers : [];
    if (sentiment && !(embedding instanceof Embedding && recurrent instanceof RecurrentLayer)) {
      throw new UsageError(`--load ${dir}: --task sentiment takes a model that starts with an embedding of token ids and a recurrent layer (saved by --save --task sentiment)`);
    }
    if (!sentiment && !(loaded instanceof BasicRNN)) {
      throw new UsageError(`--load ${dir}: holds a sequential model; the CLI runs those only for --task sentiment (other tasks take BasicRNN models saved by --save)`);
    }
    const fromModel =
      loaded instanceof BasicRNN
        ? {
            hiddenSize: loaded.hiddenSize,
            outputSize: loaded.outputSize,
            inputSize: loaded.inputSize ?? o.inputSize,
            seqLength: loaded.seqLength ?? o.seqLength,
            returnSequences: loaded.returnSequences,
          }
        : {
            hiddenSize: (recurrent as RecurrentLayer).config.units,
            outputSize: loaded.outputSize,
            inputSize: (embedding as Embedding).inputDim,
            seqLength: ((embedding as Embedding).inputShape?.[1] as number | null | undefined) ?? o.seqLength,
            returnSequences: false,
          };
    for (const [key, flag] of MODEL_SIZES) {
      if (given(key) && o[key] !== fromModel[key]) {
        throw new UsageError(`--load ${dir}: the model has ${key} ${fromModel[key]}, but ${flag} ${o[key]} was given: drop ${flag} or load another model`);
      }
    }
    const options = { ...o, ...fromModel };
    if (options.task !== null) {
      const fixed = effectiveInputSize(options.task, options.inputSize);
      if (fixed !== options.inputSize) {
        throw new UsageError(`--load ${dir}: the model takes ${options.inputSize} input features per step; --task ${options.task} gives ${fixed}`);
      }
      const problem = trainingProblem({ task: options.task, loss: options.loss, outputSize: options.outputSize, returnSequences: options.returnSequences }, flagLabel);
      if (problem !== null) throw new UsageError(`--load ${dir}: the model does not fit --task ${options.task}: ${problem}`);
    }
    checkSizes(options, options.task !== null);
    if (recurrent instanceof RecurrentLayer) options.cell = recurrent.cell;
    return { options, model: loaded };
  } catch (e) {
    loaded.dispose();
    throw e;
  }
}

/** Refuses sizes past {@link CLI_LIMITS}, and data or activations past {@link CLI_MEMORY_LIMIT}, naming the flag. */
function checkSizes(s: Record<keyof typeof CLI_LIMITS, number>, withData: boolean): void {
  for (const [key, max] of Object.entries(CLI_LIMITS) as [keyof typeof CLI_LIMITS, number][]) {
    if (s[key] > max) throw new UsageError(`${FLAG_NAMES[key]} ${s[key]} is too large: at most ${max.toLocaleString('en-US')}`);
  }
  if (withData && s.samples < 10) throw new UsageError(`--samples ${s.samples} is too few: at least 10 are needed to hold out test and validation examples`);
  const limit = formatBytes(CLI_MEMORY_LIMIT);
  const data = 4 * (withData ? s.samples : s.batchSize) * s.seqLength * (s.inputSize + s.outputSize);
  if (data > CLI_MEMORY_LIMIT) {
    throw new UsageError(`the data would take ${formatBytes(data)} (--samples × --seq-length × (--input-size + --output-size) floats), more than ${limit}: lower one of them`);
  }
  // A training step keeps every step's hidden state of a batch (and its gradient); the recurrent kernel is H × H.
  const activations = 4 * 3 * s.batchSize * s.seqLength * s.hiddenSize;
  if (activations > CLI_MEMORY_LIMIT) {
    throw new UsageError(`one batch's hidden states would take ${formatBytes(activations)} (--batch-size × --seq-length × --hidden-size floats, ×3 for training), more than ${limit}: lower one of them`);
  }
}

function terminalReporter(stream: NodeJS.WriteStream): Reporter {
  const interactive = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  const write = (text: string) => stream.write(`${text}\n`);
  return {
    line: write,
    epochStart(epoch, epochs, batches) {
      if (!interactive) return;
      bar = new cliProgress.SingleBar(
        { format: `Epoch ${epoch + 1}/${epochs} {bar} {value}/{total} batches  {eta_formatted} left`, stream, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batches, 0);
    },
    batch(batch) {
      bar?.update(batch + 1);
    },
    epochEnd(epoch, epochs, logs) {
      bar?.stop();
      bar = null;
      const text = Object.entries(logs).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
      write(`Epoch ${String(epoch + 1).padStart(String(epochs).length)}/${epochs}  ${text}`);
    },
  };
}

/** Runs the CLI with these arguments; resolves to the exit code (0 done, 1 failed, 2 usage error). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram();
  // pnpm passes a literal "--" through when the user separates script arguments with it.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let options: MainJobOptions;
  try {
    program.parse(args, { from: 'user' });
    options = resolveOptions(program.opts(), env.INIT_CWD ?? process.cwd(), (name) => program.getOptionValueSource(name) === 'cli');
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n(run with --help for every option)\n`);
      return 2;
    }
    throw e;
  }
  // tfjs's cpu backend greets Node users with a banner recommending tfjs-node; this CLI runs on wasm (or the cpu
  // reference by choice), so production mode silences it (it only gates tfjs's console warnings).
  tf.enableProdMode();
  try {
    let model: BasicRNN | Sequential | undefined;
    if (options.load !== null) {
      try {
        await setBackend(options.backend);
        ({ options, model } = await loadForTask(options, (name) => program.getOptionValueSource(name) === 'cli'));
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`error: ${e.message}\n(run with --help for every option)\n`);
        return 2;
      }
    }
    const { files } = await runMainJob(options, terminalReporter(process.stdout), model);
    process.stdout.write(`Wrote ${files.length} files to ${options.out}:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof BasicRNNError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
