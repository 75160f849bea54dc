/** Errors and bookkeeping for malformed input rows: an error names file and line, a skip is counted. */

export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'DataFormatError';
  }
}

export interface BadRowRecord {
  file: string;
  line: number;
  reason: string;
}

/** What a read saw. Only the first few skipped rows are kept in full, so a badly broken file cannot exhaust memory. */
export interface ReadReport {
  rowsRead: number;
  rowsSkipped: number;
  firstSkipped: BadRowRecord[];
}

export const SKIPPED_ROWS_KEPT = 20;

export function emptyReport(): ReadReport {
  return { rowsRead: 0, rowsSkipped: 0, firstSkipped: [] };
}

export function recordSkip(report: ReadReport, bad: BadRowRecord): void {
  report.rowsSkipped++;
  if (report.firstSkipped.length < SKIPPED_ROWS_KEPT) report.firstSkipped.push(bad);
}
