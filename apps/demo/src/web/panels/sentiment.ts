import type { Panel } from '../app.js';
import { positiveProbability } from '../probability.js';
import { $, el, fromHtml } from '../dom.js';
import { tokenize } from '../../tasks/index.js';

/**
 * Type a review, read the model's P(positive), see which words it read and the token ids it got. The model is the
 * CLI's sentiment model (embedding with maskZero → SimpleRNN → Dense, `sentimentModel` in tasks/sentiment.ts),
 * trained in the worker on token ids.
 */
export const sentimentPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" aria-labelledby="sentiment-title">
      <h2 id="sentiment-title">Try the sentiment model</h2>
      <p class="hint" id="sentiment-model"></p>
      <form id="sentiment-form" class="sentence">
        <label for="sentence">Your sentence</label>
        <div class="sentence-row">
          <input id="sentence" name="sentence" type="text" autocomplete="off" spellcheck="false" />
          <button type="submit" id="predict" class="primary">Predict</button>
        </div>
      </form>
      <div id="sentiment-result" class="sentiment-result" aria-live="polite"></div>
    </section>`);
    const target = $(root, '#sentiment-result');
    const button = $<HTMLButtonElement>(root, '#predict');
    const sentenceInput = $<HTMLInputElement>(root, '#sentence');
    let timer: ReturnType<typeof setTimeout> | undefined;

    const hint = (text: string) => target.replaceChildren(el('p', text, { class: 'hint' }));
    const usable = () => {
      const s = state.get();
      return s.settings.task === 'sentiment' && s.architecture !== '' && JSON.parse(s.architecture)[0] === 'sentiment' && s.modelKind?.input === 'tokenIds';
    };

    const predict = async () => {
      const s = state.get();
      if (!usable()) {
        hint('Choose the sentiment task and train a few epochs, then type a review.');
        return;
      }
      if (s.activity === 'training') {
        hint('The model is training: predictions come when it pauses.');
        return;
      }
      const sentence = sentenceInput.value;
      const words = sentence.toLowerCase().split(/[^a-z']+/).filter((w) => w.length > 0);
      const tokens = tokenize(sentence);
      if (tokens.length === 0) {
        hint('Type a few words, e.g. “i did not like the film”.');
        return;
      }
      const reply = await engine.call('predict', { settings: s.settings, sentence });
      if ('problem' in reply) {
        hint('Choose the sentiment task and train a few epochs, then type a review.');
        return;
      }
      const { seqLength, returnSequences, outputSize, loss } = s.settings;
      // With return sequences the head runs at every step: the last step has read the whole sentence.
      const last = returnSequences ? reply.output.slice(reply.output.length - outputSize) : reply.output;
      const p = positiveProbability(Float32Array.from(last), loss);
      // An untrained model's side of 0.5 is chance: no coloured verdict for it.
      const untrained = s.epochsDone === 0;
      const verdict = untrained ? 'untrained' : p >= 0.5 ? 'positive' : 'negative';
      const meter = el('div', undefined, { class: untrained ? 'meter untrained' : 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': (p * 100).toFixed(1), 'aria-label': 'Probability positive' });
      const fill = el('div', undefined, { class: 'meter-fill' });
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      meter.append(fill);
      const headline = el('p', undefined, { class: `verdict ${verdict}` });
      headline.append(el('strong', untrained ? 'untrained model' : verdict), ' · P(positive) = ', el('output', `${(p * 100).toFixed(1)}%`, { id: 'sentiment-probability', 'data-p': String(p) }));
      const chips = el('ul', undefined, { class: 'tokens', 'aria-label': 'Words as the model reads them' });
      const kept = tokens.length > seqLength ? tokens.length - seqLength : 0;
      words.forEach((w, i) => {
        const known = tokens[i] !== 1;
        const chip = el('li', w, { class: `chip${known ? '' : ' unknown'}${i < kept ? ' dropped' : ''}` });
        if (!known) chip.title = 'not in the vocabulary: read as <unk>';
        if (i < kept) chip.title = `beyond the last ${seqLength} words: not read`;
        chips.append(chip);
      });
      const notes: HTMLElement[] = [];
      if (untrained) notes.push(el('p', 'The model is untrained: this probability means nothing yet.', { class: 'hint' }));
      if (words.some((_, i) => tokens[i] === 1)) notes.push(el('p', 'Struck-through words are not in the vocabulary.', { class: 'hint' }));
      if (kept > 0) notes.push(el('p', `Only the last ${seqLength} words are read (the sequence length).`, { class: 'hint' }));
      // What the embedding was given: the words' ids, then 0 (padding, masked) up to the sequence length.
      const real = reply.ids.filter((id) => id !== 0).length;
      const ids = el('p', undefined, { class: 'token-ids', id: 'sentiment-ids', 'data-ids': JSON.stringify(reply.ids) });
      ids.append('Token ids the model read: ', el('code', `[${reply.ids.join(', ')}]`));
      if (real < reply.ids.length) ids.append(` — ${real} word${real === 1 ? '' : 's'}, then 0 (padding, masked) up to the sequence length ${seqLength}.`);
      target.replaceChildren(headline, meter, chips, ids, ...notes);
    };

    $(root, '#sentiment-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void app.guard(predict);
    });
    sentenceInput.addEventListener('input', () => {
      state.setSettings({ sentence: sentenceInput.value });
      clearTimeout(timer);
      timer = setTimeout(() => void app.guard(predict), 150);
    });
    state.subscribe(['modelKind', 'settings'], (s) => {
      const k = s.modelKind;
      $(root, '#sentiment-model').textContent =
        s.settings.task !== 'sentiment'
          ? 'The sentiment task trains its own model: an embedding of token ids → SimpleRNN → Dense, as the CLI’s --task sentiment.'
          : k?.input === 'tokenIds'
            ? `The model in the worker: ${k.layers.join(' → ')}, on token ids (as the CLI’s --task sentiment).`
            : '';
    });
    state.subscribe(['activity', 'settings', 'weightsVersion', 'architecture'], (s, changed) => {
      button.disabled = !usable() || s.activity !== 'idle';
      if (sentenceInput.value !== s.settings.sentence) sentenceInput.value = s.settings.sentence;
      if (s.activity === 'starting') return;
      if (!changed.has('settings') || changed.size > 1 || !usable()) void app.guard(predict);
    });
    return root;
  },
};
