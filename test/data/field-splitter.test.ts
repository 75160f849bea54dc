import { describe, expect, it } from 'vitest';
import { splitFields } from '../../src/data/field-splitter.js';

const csv = { delimiter: ',', trim: true, quote: '"' };

describe('splitFields', () => {
  it('splits and trims plain fields, including the census ", " separator and CRLF endings', () => {
    expect(splitFields('38, Private, 6, Foreign born- Not a citizen of U S , - 50000.\r', csv)).toEqual([
      '38',
      'Private',
      '6',
      'Foreign born- Not a citizen of U S',
      '- 50000.',
    ]);
    expect(splitFields('a\t b\t', { delimiter: '\t', trim: false, quote: null })).toEqual(['a', ' b', '']);
  });

  it('honours quotes: delimiters inside, doubled quotes, empty quoted fields', () => {
    expect(splitFields('1,"a, b","say ""hi""",""', csv)).toEqual(['1', 'a, b', 'say "hi"', '']);
    expect(splitFields(' "x" ,y', csv)).toEqual(['x', 'y']);
  });

  it('reports malformed quoting instead of guessing', () => {
    expect(splitFields('1,"abc', csv)).toMatch(/unterminated quoted field starting at character 3/);
    expect(splitFields('"a"b,c', csv)).toMatch(/unexpected text after a closing quote/);
  });
});
