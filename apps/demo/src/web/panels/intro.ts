import type { Panel } from '../app.js';
import { fromHtml } from '../dom.js';

/** What the page is about and what to click first. */
export const introPanel: Panel = {
  area: 'main',
  mount() {
    return fromHtml(`<section class="card intro" aria-labelledby="intro-title">
      <h2 id="intro-title">A recurrent network, one step at a time</h2>
      <p>
        A <strong>recurrent neural network</strong> reads a sequence one step at a time. At every step it mixes the new
        input <em>x(t)</em> with its memory of what came before, <em>h(t−1)</em>, into a new memory
        <em>h(t) = tanh(W·x(t) + U·h(t−1) + b)</em>. The same weights W, U and b are used at every step (they are
        <strong>shared</strong> across time), so the network can read sequences of any length; a Dense layer then
        turns the last memory into the output.
      </p>
      <p class="first-steps">
        <strong>Try this first:</strong> the forward pass below has already run on the seed's random input: look at the
        hidden state change step by step. Then press <a href="#train">Train</a> and watch the loss fall and the memory
        organise itself, switch the backend (cpu, wasm, webgl) at any time, and compare all three under
        <a href="#parity">Parity</a>.
      </p>
    </section>`);
  },
};
