import { ConfigError, describe } from './errors.js';
import { formatShape } from './validate.js';

/** The widest summary table `lineLength` may ask for. */
export const MAX_LINE_LENGTH = 1000;

/** One row of a Keras-style summary table. */
export interface SummaryRow {
  name: string;
  type: string;
  outputShape: readonly (number | null)[];
  params: number;
}

/** Options of `model.summary()`. */
export interface SummaryOptions {
  /** Receives each line, as Keras's `print_fn`. Default `console.log`. Pass `() => {}` to print nothing. */
  printFn?: (line: string) => void;
  /** Total table width in characters (Keras default 65). */
  lineLength?: number;
}

const group = (n: number): string => n.toLocaleString('en-US');

/**
 * Renders the Keras `model.summary()` table:
 * ```
 * Model: "basic_rnn"
 * _________________________________________________________________
 *  Layer (type)                Output Shape              Param #
 * =================================================================
 *  simple_rnn (SimpleRNN)      (None, 64)                4,800
 * ...
 * ```
 */
export function formatSummary(modelName: string, rows: readonly SummaryRow[], lineLength = 65): string {
  // Checked here, where the length is used: a huge one (still an integer) would end in a raw RangeError.
  if (typeof lineLength !== 'number' || !Number.isInteger(lineLength) || lineLength < 1 || lineLength > MAX_LINE_LENGTH) {
    throw new ConfigError(`summary({ lineLength }): expected an integer from 1 to ${MAX_LINE_LENGTH}, received ${describe(lineLength)}`);
  }
  const columns = [0.45, 0.85, 1].map((f) => Math.floor(lineLength * f));
  // Each field starts where the previous column ends (Keras's positions), with at least one space between.
  const line = (fields: string[]): string => {
    let out = '';
    fields.forEach((field, i) => {
      if (i > 0 && !out.endsWith(' ')) out += ' ';
      out += field;
      if (i < fields.length - 1) out = out.padEnd(columns[i]!);
    });
    return out.trimEnd();
  };
  const total = rows.reduce((sum, r) => sum + r.params, 0);
  const lines = [
    `Model: "${modelName}"`,
    '_'.repeat(lineLength),
    line([' Layer (type)', 'Output Shape', 'Param #']),
    '='.repeat(lineLength),
  ];
  rows.forEach((r, i) => {
    lines.push(line([` ${r.name} (${r.type})`, formatShape(r.outputShape), group(r.params)]));
    lines.push(i === rows.length - 1 ? '='.repeat(lineLength) : '');
  });
  lines.push(`Total params: ${group(total)}`, `Trainable params: ${group(total)}`, 'Non-trainable params: 0');
  lines.push('_'.repeat(lineLength));
  return lines.join('\n');
}
