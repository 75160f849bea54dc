import { describe, expect, it } from 'vitest';
import { generateClickConversion } from '../../src/data/synthetic/click-conversion.js';

const logit = (p: number) => Math.log(p / (1 - p));

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('generateClickConversion', () => {
  const n = 40_000;
  const data = generateClickConversion({ n, seed: 21, correlation: 0.6 });
  const { table, truePctr, truePcvr, truePctcvr } = data;

  it('draws labels consistent with the true probabilities', () => {
    let clicks = 0;
    let expectedClicks = 0;
    let conversions = 0;
    let expectedConversions = 0;
    for (let i = 0; i < n; i++) {
      clicks += table.labels.click[i];
      expectedClicks += truePctr[i];
      conversions += table.labels.conversion[i];
      expectedConversions += truePctcvr[i];
    }
    // within 4 binomial standard deviations
    expect(truePctcvr.every((p, i) => p === truePctr[i] * truePcvr[i])).toBe(true);
    expect(Math.abs(clicks - expectedClicks)).toBeLessThan(4 * Math.sqrt(expectedClicks));
    expect(Math.abs(conversions - expectedConversions)).toBeLessThan(4 * Math.sqrt(expectedConversions));
  });

  it('only converts clicked impressions and masks the CVR task to clicks', () => {
    let violations = 0;
    for (let i = 0; i < n; i++) {
      if (table.labels.conversion[i] > table.labels.click[i]) violations++;
      if (table.masks.cvr[i] !== table.labels.click[i]) violations++;
      if (table.masks.click[i] !== 1) violations++;
    }
    expect(violations).toBe(0);
  });

  it('realises the requested CTR/CVR logit correlation and the resulting selection bias', () => {
    expect(Math.abs(pearson(Array.from(truePctr, logit), Array.from(truePcvr, logit)) - 0.6)).toBeLessThan(0.03);
    let clickedPcvr = 0;
    let clickedCount = 0;
    let allPcvr = 0;
    for (let i = 0; i < n; i++) {
      allPcvr += truePcvr[i] / n;
      if (table.labels.click[i] === 1) {
        clickedPcvr += truePcvr[i];
        clickedCount++;
      }
    }
    // clicked impressions convert more often than the average impression would: the entire-space bias ESMM fixes
    expect(clickedPcvr / clickedCount).toBeGreaterThan(allPcvr * 1.1);
    const uncorrelated = generateClickConversion({ n: 20_000, seed: 5, correlation: 0 });
    expect(
      Math.abs(pearson(Array.from(uncorrelated.truePctr, logit), Array.from(uncorrelated.truePcvr, logit))),
    ).toBeLessThan(0.03);
  });

  it('uses ids 1..vocabularySize (0 is OOV) and is reproducible', () => {
    expect(data.categoricalSizes).toEqual([51, 51, 51, 51]);
    expect(table.cat.every((id) => id >= 1 && id <= 50)).toBe(true);
    const again = generateClickConversion({ n: 100, seed: 21, correlation: 0.6 });
    expect(Array.from(again.truePctr)).toEqual(Array.from(truePctr.subarray(0, 100)));
  });
});
