import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { BasicRNNError, LOSS_NAMES, OPTIMIZER_NAMES, type LossName } from '@basicrnn/core';
import { TASKS, VOCABULARY, effectiveInputSize, isCategorical, taskDefaults, trainingProblem, type SettingLabel, type TaskName } from './tasks/index.js';
import { type MainJobOptions, type Reporter, TASK_TITLES, runMainJob } from './main_job.js';

/** A usage mistake: printed without a stack trace, exit code 2. */
class UsageError extends Error {}

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer.`);
  return n;
};
const integer = (value: string) => {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be an integer.');
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

export function buildProgram(): Command {
  return new Command()
    .name('basicrnn')
    .description(
      "The seed's main(): build a BasicRNN (SimpleRNN + Dense), run a forward pass on example input and print the\n" +
        'output and state shapes, compile, print the Keras-style summary, train on a task, and write plots (SVG, PNG)\n' +
        'and an HTML report.',
    )
    .addOption(new Option('--task <name>', `what to train on: ${TASKS.map((t) => `${t} (${TASK_TITLES[t]})`).join('; ')}`).choices(TASKS).default('sine'))
    .addOption(new Option('--backend <name>', 'tfjs backend (webgl needs a browser: use `pnpm demo`)').choices(['cpu', 'wasm']).default('wasm'))
    .option('--hidden-size <n>', 'units of the SimpleRNN layer (state size)', positiveInt('--hidden-size'), 64)
    .option('--output-size <n>', 'units of the Dense head (1; 2 for marker/sentiment with a categorical loss)', positiveInt('--output-size'))
    .option('--seq-length <n>', 'timesteps per example (sentiment: words per review, padded at the front)', positiveInt('--seq-length'))
    .option('--input-size <n>', 'features per timestep; only the marker task takes it (sine has 1, sentiment one per vocabulary word)', positiveInt('--input-size'))
    .option('--batch-size <n>', 'examples per gradient step, and the example input batch', positiveInt('--batch-size'), 32)
    .option('--return-sequences', 'apply the head at every timestep (sine: forecast the next value at each step)')
    .option('--no-return-sequences', 'apply the head to the final state only (default)')
    .addOption(new Option('--loss <name>', 'loss (default: meanSquaredError for sine, binaryCrossentropy otherwise)').choices(LOSS_NAMES))
    .addOption(new Option('--optimizer <name>', 'optimizer, with Keras defaults').choices(OPTIMIZER_NAMES).default('adam'))
    .option('--learning-rate <x>', 'learning rate', positiveNumber, 0.01)
    .option('--epochs <n>', 'passes over the training data', positiveInt('--epochs'), 10)
    .option('--samples <n>', 'examples generated for the task (20% held out for the test)', positiveInt('--samples'), 1000)
    .option('--seed <n>', 'seed of the weights, the data and the shuffling', integer, 7)
    .option('--out <dir>', 'where to write the plots and report (default ./basicrnn-out where you ran the command)')
    .showHelpAfterError('(run with --help for every option)')
    .exitOverride();
}

/** Turns parsed flags into main-job options, refusing combinations that do not fit the task. */
export function resolveOptions(flags: Record<string, unknown>, cwd: string): MainJobOptions {
  const task = flags.task as TaskName;
  const given = (name: string) => flags[name] !== undefined;
  if (given('inputSize') && task !== 'marker') {
    throw new UsageError(`--input-size does not apply to --task ${task}: ${task === 'sine' ? 'the sine series has 1 feature per step' : `sentiment inputs are one-hot words (${VOCABULARY.length} features)`}`);
  }
  const returnSequences = flags.returnSequences === true;
  const loss = (flags.loss as LossName | undefined) ?? taskDefaults(task).loss;
  const outputSize = (flags.outputSize as number | undefined) ?? (isCategorical(loss) ? 2 : 1);
  const problem = trainingProblem({ task, loss, outputSize, returnSequences }, flagLabel);
  if (problem !== null) throw new UsageError(problem);
  const seqLength = (flags.seqLength as number | undefined) ?? taskDefaults(task).seqLength;
  const inputSize = effectiveInputSize(task, (flags.inputSize as number | undefined) ?? 10);
  const samples = flags.samples as number;
  if (samples < 10) throw new UsageError(`--samples ${samples} is too few: at least 10 are needed to hold out test and validation examples`);
  const out = resolve(cwd, (flags.out as string | undefined) ?? 'basicrnn-out');
  return {
    task,
    backend: flags.backend as 'cpu' | 'wasm',
    hiddenSize: flags.hiddenSize as number,
    outputSize,
    seqLength,
    inputSize,
    batchSize: flags.batchSize as number,
    returnSequences,
    loss,
    optimizer: flags.optimizer as MainJobOptions['optimizer'],
    learningRate: flags.learningRate as number,
    epochs: flags.epochs as number,
    samples,
    seed: flags.seed as number,
    out,
  };
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

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram();
  // pnpm passes a literal "--" through when the user separates script arguments with it.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let options: MainJobOptions;
  try {
    program.parse(args, { from: 'user' });
    options = resolveOptions(program.opts(), env.INIT_CWD ?? process.cwd());
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n(run with --help for every option)\n`);
      return 2;
    }
    throw e;
  }
  try {
    const { files } = await runMainJob(options, terminalReporter(process.stdout));
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
