import type { Panel } from '../app.js';
import { vizFont } from '../assets.js';
import { $, fromHtml } from '../dom.js';
import { plotWeights } from '@basicrnn/viz';
import { FittedPlot } from './fitted.js';
import type { Shaped } from '../protocol.js';

/** The Keras-style summary and, on request, the weights W, U and b. */
export const modelPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" aria-labelledby="model-title">
      <h2 id="model-title">Model</h2>
      <pre id="summary" class="summary" tabindex="0" aria-label="Keras-style model summary"></pre>
      <details id="weights-details">
        <summary>Weights W, U, b</summary>
        <p class="hint" id="weights-layer"></p>
        <p class="hint" id="weights-status" aria-live="polite"></p>
        <div id="weights-plot" class="plot"></div>
      </details>
    </section>`);
    const details = $<HTMLDetailsElement>(root, '#weights-details');
    const view = new FittedPlot<Parameters<typeof plotWeights>[1]>($(root, '#weights-plot'), (host, data, width) => plotWeights(host, data, { font: vizFont, width }), 240);
    let shownVersion = -1;
    const render = async () => {
      const version = state.get().weightsVersion;
      if (!details.open || version === shownVersion || state.get().activity === 'training') return;
      $(root, '#weights-status').textContent = 'Reading the weights from the worker…';
      const w = await engine.call('weights', {});
      shownVersion = version;
      const plot = $(root, '#weights-plot');
      if (w.cell !== 'simpleRNN') {
        // A gated cell's W and U hold one block per gate side by side: the view draws a SimpleRNN's (as the CLI's).
        const [gates, names] = w.cell === 'lstm' ? [4, 'i, f, c, o'] : [3, 'z, r, h'];
        const dims = (s: Shaped) => s.shape.join('×');
        plot.hidden = true;
        $(root, '#weights-layer').textContent =
          `The ${w.layer} layer's W [${dims(w.kernel)}], U [${dims(w.recurrentKernel)}]${w.bias ? ` and b [${dims(w.bias)}]` : ''} hold ${gates} gate blocks (${names}) side by side; ` +
          'this view draws a SimpleRNN’s W, U and b, so it leaves them out (the CLI’s weights view does too).';
        $(root, '#weights-status').textContent = '';
        return;
      }
      plot.hidden = false;
      const data = { kernel: w.kernel, recurrentKernel: w.recurrentKernel, ...(w.bias ? { bias: w.bias } : {}) };
      const embedded = state.get().modelKind?.input === 'tokenIds';
      $(root, '#weights-layer').textContent = embedded
        ? `W, U and b of the ${w.layer} layer; W reads the ${w.kernel.shape[0]} features the embedding gives each word (the embedding's own table is not drawn).`
        : `W, U and b of the ${w.layer} layer.`;
      view.show(data);
      $(root, '#weights-status').textContent = '';
    };
    state.subscribe(['summary'], (s) => ($(root, '#summary').textContent = s.summary));
    state.subscribe(['weightsVersion', 'activity'], () => void app.guard(render));
    details.addEventListener('toggle', () => {
      if (details.open && state.get().activity === 'training') $(root, '#weights-status').textContent = 'The weights show when training pauses.';
      void app.guard(render);
    });
    return root;
  },
};
