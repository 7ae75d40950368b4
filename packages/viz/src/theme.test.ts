import { describe, expect, it } from 'vitest';
import { formatNumber, integerTicks, logTicks, niceLinear, symmetricExtent, textWidth, wrapText } from './theme.js';

describe('theme helpers', () => {
  it('formats numbers briefly with a real minus sign', () => {
    expect(formatNumber(-0.42689)).toBe('−0.4269');
    expect(formatNumber(2.4e-7)).toBe('2.4e−7');
    expect(formatNumber(1e-5)).toBe('1e−5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('−∞');
  });

  it('makes integer ticks at 1-2-5 steps', () => {
    expect(integerTicks(0, 4, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(integerTicks(0, 63, 8)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(integerTicks(0, 0, 5)).toEqual([0]);
  });

  it('makes nice linear domains, also for flat data', () => {
    expect(niceLinear(0.12, 0.93, 5)).toEqual({ domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    const flat = niceLinear(3, 3, 4);
    expect(flat.domain[0]).toBeLessThan(3);
    expect(flat.domain[1]).toBeGreaterThan(3);
    expect(logTicks(2e-7, 3e-4).domain).toEqual([1e-7, 1e-3]);
  });

  it('keeps a fixed ±1 colour key for values within [−1, 1]', () => {
    expect(symmetricExtent(0.3)).toBe(1);
    expect(symmetricExtent(0.3, false)).toBeCloseTo(0.3);
    expect(symmetricExtent(3.2)).toBe(4);
    expect(symmetricExtent(0)).toBe(1);
  });

  it('measures and wraps text with the shipped font metrics', () => {
    expect(textWidth('0', 10)).toBeCloseTo(6);
    expect(textWidth('WWW', 10)).toBeGreaterThan(textWidth('iii', 10));
    expect(wrapText('one two three four', 10, 40).length).toBeGreaterThan(1);
  });
});
