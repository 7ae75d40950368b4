import { plotHiddenStates, plotRnnWorking, type HiddenStatesData, type RnnWorkingData } from '@basicrnn/viz';
import type { Panel } from '../app.js';
import { vizFont } from '../assets.js';
import { $, fromHtml, msText, shapeText } from '../dom.js';
import type { ForwardResult } from '../protocol.js';
import { REGRESSION_LOSSES, type Settings } from '../settings.js';
import { FittedPlot, heatmapHeight } from './fitted.js';
import { wordAxis } from './words.js';

/** One forward pass of the current model: shapes, the three panels, and the hidden state over time. */
export const forwardPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" id="forward-panel" aria-labelledby="forward-title">
      <div class="card-head">
        <h2 id="forward-title">Forward pass</h2>
        <div class="actions">
          <label for="exampleInput" class="inline">Input</label>
          <select id="exampleInput" name="exampleInput">
            <option value="random">random normal (the seed's)</option>
            <option value="task">examples of the task</option>
          </select>
          <button type="button" id="forward" class="primary">Run forward pass</button>
        </div>
      </div>
      <dl class="shapes" id="shapes">
        <div><dt>input</dt><dd id="input-shape">–</dd></div>
        <div><dt>output</dt><dd id="output-shape">–</dd></div>
        <div><dt>state</dt><dd id="state-shape">–</dd></div>
        <div><dt>time</dt><dd id="forward-time">–</dd></div>
      </dl>
      <p class="hint" id="forward-input-note"></p>
      <div id="working-plot" class="plot"><p class="empty">Run a forward pass to see the input sequence, the output and the RNN's memory.</p></div>
      <p class="hint" id="forward-target"></p>
      <div id="forward-hidden-plot" class="plot"></div>
    </section>`);
    let label = 'logit';
    const working = new FittedPlot<RnnWorkingData>(
      $(root, '#working-plot'),
      (host, data, width) => plotRnnWorking(host, data, { font: vizFont, outputLabel: label, width }),
      280,
    );
    let words: string[] | undefined;
    const hidden = new FittedPlot<HiddenStatesData>(
      $(root, '#forward-hidden-plot'),
      (host, data, width) =>
        plotHiddenStates(host, data, {
          font: vizFont,
          width,
          height: heatmapHeight(Number((data.hiddenStates as { shape: number[] }).shape[2])),
          title: 'Hidden state h(t) over time: the memory after each step',
          ...wordAxis(words),
        }),
      240,
    );
    let runs = 0;
    let inFlight = false;
    let again = false;

    const draw = (r: ForwardResult, s: Settings) => {
      $(root, '#input-shape').textContent = `${shapeText(r.shapes.input)}${r.tokenIds === undefined ? '' : ' token ids'}`;
      // A model on token ids: the plot's input is what its recurrent layer reads, the embedded words; say so.
      $(root, '#forward-input-note').textContent = r.inputShown === undefined ? '' : `The input drawn below is ${r.inputShown}.${r.words?.includes('') ? ' On the hidden state’s time axis, · marks padding: masked, so the memory carries over unchanged.' : ''}`;
      $(root, '#output-shape').textContent = shapeText(r.shapes.output);
      $(root, '#state-shape').textContent = shapeText(r.shapes.state);
      $(root, '#forward-time').textContent = `${msText(r.ms)} on ${r.backend}`;
      const nextLabel = REGRESSION_LOSSES.includes(s.loss) ? 'forecast' : 'logit';
      const data: RnnWorkingData = { input: r.input, output: r.output, state: r.state, example: 0, ...(r.target ? { target: r.target } : {}) };
      working.show(data, nextLabel !== label);
      label = nextLabel;
      $(root, '#forward-target').textContent =
        r.target === undefined
          ? s.task === 'sine' && s.exampleInput === 'random'
            ? 'Choose “examples of the task” to see the forecast drawn over its target.'
            : ''
          : `The dashed line is the target: the value the forecast should match.`;
      words = r.words;
      hidden.show({ hiddenStates: r.hiddenStates, example: 0 }, true);
      runs++;
      $(root, '#working-plot').dataset.runs = String(runs);
    };

    // One pass at a time; a request during a pass runs once more after it, with the settings of then.
    const run = async (): Promise<void> => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        do {
          again = false;
          const s = state.get().settings;
          draw(await engine.call('forward', { settings: s }), s);
        } while (again);
      } finally {
        inFlight = false;
      }
    };

    $(root, '#forward').addEventListener('click', () => void app.guard(run));
    $<HTMLSelectElement>(root, '#exampleInput').addEventListener('change', (e) => {
      void app.guard(() => app.updateSettings({ exampleInput: (e.target as HTMLSelectElement).value as Settings['exampleInput'] }));
    });
    state.subscribe(['settings'], (s) => ($<HTMLSelectElement>(root, '#exampleInput').value = s.settings.exampleInput));
    state.subscribe(['activity'], (s) => {
      $<HTMLButtonElement>(root, '#forward').disabled = s.activity !== 'idle';
      $<HTMLSelectElement>(root, '#exampleInput').disabled = s.activity !== 'idle';
    });
    // Live: a new model, new weights or another input redraws it; the first run happens as soon as the worker is up.
    let last = '';
    state.subscribe(['weightsVersion', 'settings', 'activity'], (s) => {
      if (s.activity !== 'idle') return;
      const { exampleInput, batchSize, loss } = s.settings;
      const key = JSON.stringify([s.weightsVersion, s.architecture, exampleInput, batchSize, loss]);
      if (key === last) return;
      last = key;
      void app.guard(run);
    });
    return root;
  },
};
