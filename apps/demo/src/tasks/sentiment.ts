import { layers, sequential, type Sequential } from '@basicrnn/core';
import { SeededRandom, type TaskData } from './random.js';

/*
 * A small sentiment set written for this project: short reviews built from a hand-made lexicon and templates,
 * with negation ("not good") and intensifiers, so the label depends on word order and needs memory.
 * Nothing is downloaded; the sentences are generated deterministically from a seed.
 */

const POSITIVE = ['good', 'great', 'excellent', 'wonderful', 'lovely', 'fun', 'brilliant', 'pleasant', 'superb', 'delightful', 'enjoyable', 'charming'];
const NEGATIVE = ['bad', 'awful', 'terrible', 'boring', 'dull', 'horrible', 'poor', 'disappointing', 'weak', 'annoying', 'mediocre', 'bland'];
const NOUNS = ['movie', 'film', 'book', 'food', 'show', 'service', 'music', 'game', 'hotel', 'story', 'meal', 'play'];
const INTENSIFIERS = ['very', 'really', 'so', 'quite', 'truly'];
const LIKE = ['loved', 'liked', 'enjoyed', 'adored'];
const DISLIKE = ['hated', 'disliked', 'loathed', 'regretted'];

/** Special tokens: index 0 pads, index 1 stands for words outside the vocabulary. */
export const PAD = '<pad>';
export const UNKNOWN = '<unk>';

/** The vocabulary: every word the generator uses, in a fixed order. */
export const VOCABULARY: readonly string[] = [
  PAD,
  UNKNOWN,
  ...new Set([
    'the', 'this', 'a', 'was', 'is', 'not', 'i', 'it', 'did', 'at', 'all', 'what',
    ...POSITIVE, ...NEGATIVE, ...NOUNS, ...INTENSIFIERS, ...LIKE, ...DISLIKE, 'like', 'hate',
  ]),
];

const INDEX = new Map(VOCABULARY.map((w, i) => [w, i]));

/** Lower-cases and splits a sentence into known word indices (unknown words map to `<unk>`). */
export function tokenize(sentence: string): number[] {
  return sentence
    .toLowerCase()
    .split(/[^a-z']+/)
    .filter((w) => w.length > 0)
    .map((w) => INDEX.get(w) ?? 1);
}

/** One example: the sentence and its label (1 positive, 0 negative). */
export interface Review {
  text: string;
  label: 0 | 1;
}

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** Generates `count` labelled reviews from the templates. */
export function generateReviews(count: number, seed: number): Review[] {
  const rng = new SeededRandom(seed);
  const reviews: Review[] = [];
  const seen = new Set<string>();
  // Unique sentences only, so a held-out split never contains a sentence seen in training.
  for (let attempts = 0; reviews.length < count && attempts < count * 50; attempts++) {
    const positiveWord = rng.uniform() < 0.5;
    const negated = rng.uniform() < 0.35;
    const adjective = pick(rng, positiveWord ? POSITIVE : NEGATIVE);
    const intensifier = rng.uniform() < 0.4 ? `${pick(rng, INTENSIFIERS)} ` : '';
    const noun = pick(rng, NOUNS);
    const template = rng.int(4);
    let text: string;
    if (template === 0) text = `the ${noun} was ${negated ? 'not ' : ''}${intensifier}${adjective}`;
    else if (template === 1) text = `this ${noun} is ${negated ? 'not ' : ''}${intensifier}${adjective}`;
    else if (template === 2) {
      const verb = positiveWord ? pick(rng, LIKE) : pick(rng, DISLIKE);
      text = negated ? `i did not ${positiveWord ? 'like' : 'hate'} the ${noun}` : `i ${intensifier}${verb} the ${noun}`;
    } else text = negated ? `the ${noun} was not ${adjective} at all` : `what a ${intensifier}${adjective} ${noun}`;
    if (seen.has(text)) continue;
    seen.add(text);
    reviews.push({ text, label: positiveWord !== negated ? 1 : 0 });
  }
  return reviews;
}

/**
 * One-hot encodes sentences into [N, seqLength, |V|], padded at the front (Keras `pad_sequences` default) so the
 * last steps hold the words; longer sentences keep their last `seqLength` words.
 */
export function encode(sentences: readonly string[], seqLength: number): Float32Array {
  const v = VOCABULARY.length;
  const x = new Float32Array(sentences.length * seqLength * v);
  sentences.forEach((s, n) => {
    const tokens = tokenize(s).slice(-seqLength);
    const offset = seqLength - tokens.length;
    tokens.forEach((token, t) => (x[(n * seqLength + offset + t) * v + token] = 1));
  });
  return x;
}

/**
 * Token ids [N, seqLength] for an embedding with `maskZero`: the words first, then 0 (`<pad>`) to the end — right
 * padding, so the mask is ones then zeros and an ONNX export's `sequence_lens` (the count of non-zero ids) means
 * the same as the Keras mask. Longer sentences keep their last `seqLength` words.
 */
export function encodeIds(sentences: readonly string[], seqLength: number): Int32Array {
  const ids = new Int32Array(sentences.length * seqLength);
  sentences.forEach((s, n) => ids.set(tokenize(s).slice(-seqLength), n * seqLength));
  return ids;
}

/** Size of each word's vector in the sentiment model's embedding. */
export const SENTIMENT_EMBEDDING_SIZE = 16;

/** What {@link sentimentModel} builds. */
export interface SentimentModelOptions {
  /** The recurrent layer after the embedding. */
  cell: 'simpleRNN' | 'lstm' | 'gru';
  hiddenSize: number;
  /** 1 logit, or 2 class scores for a categorical loss. */
  outputSize: number;
  seed: number;
}

/**
 * The sentiment model: `embedding({ inputDim: |V|, outputDim: 16, maskZero: true })` → the recurrent layer → a
 * linear Dense head, taking int32 token ids [batch, steps] with 0 as padding ({@link encodeIds}).
 */
export function sentimentModel(o: SentimentModelOptions): Sequential {
  const recurrent = { units: o.hiddenSize };
  return sequential({
    layers: [
      layers.embedding({ inputDim: VOCABULARY.length, outputDim: SENTIMENT_EMBEDDING_SIZE, maskZero: true }),
      o.cell === 'lstm' ? layers.lstm(recurrent) : o.cell === 'gru' ? layers.gru(recurrent) : layers.simpleRNN(recurrent),
      layers.dense({ units: o.outputSize }),
    ],
    seed: o.seed,
  });
}

/**
 * The sentiment task as arrays: one-hot words (`x`, for models that take vectors) and token ids (`ids`, for
 * {@link sentimentModel}) in, 1 = positive out.
 */
export function sentimentData({ samples, seqLength, seed }: { samples: number; seqLength: number; seed: number }): TaskData & { reviews: Review[]; ids: Int32Array } {
  const reviews = generateReviews(samples, seed);
  const texts = reviews.map((r) => r.text);
  return {
    reviews,
    ids: encodeIds(texts, seqLength),
    x: encode(texts, seqLength),
    y: Float32Array.from(reviews, (r) => r.label),
    shape: { samples, seqLength, inputSize: VOCABULARY.length, outputSize: 1 },
    returnSequences: false,
  };
}
