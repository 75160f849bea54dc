/** Splits one line into fields, honouring an optional quote character (RFC 4180: "" inside quotes is a quote). */

export interface SplitOptions {
  delimiter: string;
  trim: boolean;
  quote: string | null;
}

/** Returns the fields, or a string describing why the line cannot be split (an unterminated quote). */
export function splitFields(line: string, options: SplitOptions): string[] | string {
  const { delimiter, trim, quote } = options;
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (quote === null || !line.includes(quote)) {
    const fields = line.split(delimiter);
    if (trim) for (let i = 0; i < fields.length; i++) fields[i] = fields[i].trim();
    return fields;
  }
  const fields: string[] = [];
  let position = 0;
  for (;;) {
    let start = position;
    while (start < line.length && trim && line[start] === ' ') start++;
    let field: string;
    let next: number;
    if (line.startsWith(quote, start)) {
      let value = '';
      let cursor = start + quote.length;
      for (;;) {
        const close = line.indexOf(quote, cursor);
        if (close < 0) return `unterminated quoted field starting at character ${start + 1}`;
        value += line.slice(cursor, close);
        if (line.startsWith(quote, close + quote.length)) {
          value += quote;
          cursor = close + 2 * quote.length;
        } else {
          cursor = close + quote.length;
          break;
        }
      }
      const delimiterAt = line.indexOf(delimiter, cursor);
      const rest = delimiterAt < 0 ? line.slice(cursor) : line.slice(cursor, delimiterAt);
      if (rest.trim() !== '') return `unexpected text after a closing quote at character ${cursor + 1}`;
      field = value; // quoted content is kept verbatim, even with trim on
      next = delimiterAt;
    } else {
      const delimiterAt = line.indexOf(delimiter, start);
      field = delimiterAt < 0 ? line.slice(position) : line.slice(position, delimiterAt);
      if (trim) field = field.trim();
      next = delimiterAt;
    }
    fields.push(field);
    if (next < 0) return fields;
    position = next + delimiter.length;
  }
}
