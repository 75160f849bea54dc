/** The JSON table config: key-path errors, label checks at load, seeded splits, given files, gzip. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadTableDataset,
  parseTableConfig,
  resolveTableConfigPaths,
  tableSpecFromConfig,
  type TableConfig,
} from '../../src/data/table-config.js';
import { ConfigError } from '../../src/data/config-check.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mtgrad-table-config-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function file(name: string, text: string, gzip = false): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, gzip ? gzipSync(text) : text);
  return path;
}

const base = {
  columns: { user: 'categorical', price: 'numeric', note: 'ignore' },
  tasks: [
    { name: 'click', kind: 'binary', label: 'clicked' },
    { name: 'buy', kind: 'binary', label: 'bought', positive: ['yes'], negative: ['no'] },
    { name: 'spend', kind: 'regression', label: 'amount', missing: [''] },
  ],
  relations: [{ kind: 'cascade', parent: 'click', child: 'buy' }],
  split: { validation: 0.2, test: 0.2, seed: 1 },
};

function withChange(change: (config: Record<string, unknown>) => void): unknown {
  const config = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  change(config);
  return config;
}

/** Rows whose labels follow the config: click 0/1, bought yes/no only after a click, amount a number or empty. */
function rows(n: number): string {
  const lines = ['user,price,note,clicked,bought,amount'];
  for (let i = 0; i < n; i++) {
    const click = i % 3 === 0 ? 1 : 0;
    lines.push(
      `u${i % 7},${(i * 1.5).toFixed(1)},x,${click},${click && i % 2 === 0 ? 'yes' : 'no'},${i % 4 === 0 ? '' : i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('parseTableConfig', () => {
  it('accepts a complete config and fills 0/1 labels for a binary task without values', () => {
    const config = parseTableConfig(base);
    expect(config.tasks[0]).toEqual({
      name: 'click',
      kind: 'binary',
      label: 'clicked',
      positive: ['1'],
      negative: ['0'],
    });
    const spec = tableSpecFromConfig(config);
    expect(spec.columns.filter((c) => c.role === 'label').map((c) => c.column)).toEqual([
      'clicked',
      'bought',
      'amount',
    ]);
    expect(spec.relations).toEqual([{ kind: 'cascade', parent: 'click', child: 'buy' }]);
  });

  const cases: Array<[string, (c: Record<string, unknown>) => void, string]> = [
    [
      'label not a string',
      (c) => {
        (c.tasks as Record<string, unknown>[])[1].label = 3;
      },
      'config.tasks[1].label: expected a column name, got 3',
    ],
    [
      'unknown column type',
      (c) => {
        (c.columns as Record<string, unknown>).price = 'number';
      },
      'config.columns.price: expected one of "categorical", "numeric", "ignore", got "number"',
    ],
    [
      'unknown task kind',
      (c) => {
        (c.tasks as Record<string, unknown>[])[2].kind = 'ranking';
      },
      'config.tasks[2].kind: expected one of "binary", "regression", got "ranking"',
    ],
    [
      'positive without negative',
      (c) => {
        delete (c.tasks as Record<string, unknown>[])[1].negative;
      },
      'config.tasks[1].negative: expected the values that mean 0 (or "rest": every value not listed as positive)',
    ],
    [
      'positive on a regression task',
      (c) => {
        (c.tasks as Record<string, unknown>[])[2].positive = ['1'];
      },
      'config.tasks[2].positive: applies to binary tasks only',
    ],
    [
      'cascade to an unknown task',
      (c) => {
        (c.relations as Record<string, unknown>[])[0].child = 'purchase';
      },
      'config.relations[0].child: expected one of the tasks (click, buy, spend), got "purchase"',
    ],
    [
      'cascade on a regression task',
      (c) => {
        (c.relations as Record<string, unknown>[])[0].child = 'spend';
      },
      'config.relations[0].child: expected a binary task, "spend" is a regression task',
    ],
    [
      'split fractions too large',
      (c) => {
        c.split = { validation: 0.5, test: 0.5 };
      },
      'config.split.test: expected validation + test < 1 so that rows are left to train on, got 1',
    ],
    [
      'split files missing test',
      (c) => {
        c.split = { train: 'a.csv', validation: 'b.csv' };
      },
      'config.split.test: expected a file path or a list of them, got nothing',
    ],
    [
      'a feature used as label',
      (c) => {
        (c.tasks as Record<string, unknown>[])[0].label = 'price';
      },
      'config.tasks[0].label: expected a label column, but "price" is declared as a feature in config.columns',
    ],
    [
      'duplicate task',
      (c) => {
        (c.tasks as Record<string, unknown>[])[1].name = 'click';
      },
      'config.tasks[1].name: expected a task name not used before, "click" is',
    ],
    [
      'unknown key',
      (c) => {
        c.colums = {};
      },
      'config.colums: unknown key (expected one of format, columns, tasks, relations, split, minFrequency, badRows)',
    ],
    [
      'no tasks',
      (c) => {
        c.tasks = [];
      },
      'config.tasks: expected a non-empty list of tasks, got []',
    ],
    [
      'bad delimiter',
      (c) => {
        c.format = { delimiter: 4 };
      },
      'config.format.delimiter: expected a delimiter such as "," or "\\t", got 4',
    ],
  ];
  for (const [what, change, message] of cases) {
    it(`names the key path: ${what}`, () => {
      let error: unknown;
      try {
        parseTableConfig(withChange(change));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message.slice(0, message.length)).toBe(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }
});

describe('loadTableDataset', () => {
  it('splits one file by seeded fractions: reproducible, seed-dependent, fitted on train rows only', async () => {
    const path = await file('rows.csv', rows(200));
    const config = parseTableConfig(base);
    const a = await loadTableDataset(config, path);
    const b = await loadTableDataset(config, path);
    const c = await loadTableDataset(
      parseTableConfig(
        withChange((x) => {
          x.split = { validation: 0.2, test: 0.2, seed: 2 };
        }),
      ),
      path,
    );
    expect(a.train.size + a.validation.size + a.test.size).toBe(200);
    for (const split of ['train', 'validation', 'test'] as const) {
      expect(Array.from(b[split].sourceLines!)).toEqual(Array.from(a[split].sourceLines!));
      expect(b[split].cat).toEqual(a[split].cat);
    }
    expect(Array.from(c.test.sourceLines!)).not.toEqual(Array.from(a.test.sourceLines!));
    expect(a.validation.size).toBeGreaterThan(20);
    expect(a.test.size).toBeGreaterThan(20);
    // Standardisation uses the train rows only: their encoded price has mean 0.
    const priceMean =
      Array.from({ length: a.train.size }, (_, i) => a.train.num[i]).reduce((s, v) => s + v, 0) / a.train.size;
    expect(Math.abs(priceMean)).toBeLessThan(1e-5);
    expect(a.kinds).toEqual({ click: 'binary', buy: 'binary', spend: 'regression' });
    expect(a.relations).toEqual([{ kind: 'cascade', parent: 'click', child: 'buy' }]);
    // Missing regression labels are masked, not zero targets.
    const masked = Array.from(a.train.masks.spend).filter((m) => m === 0).length;
    expect(masked).toBeGreaterThan(0);
  });

  it('keeps a value seen only outside the train rows out of the vocabulary (OOV id 0)', async () => {
    const text = `${rows(30)}only_here,1.0,x,0,no,3\n`;
    const config = parseTableConfig(
      withChange((x) => {
        x.split = { validation: 0.3, test: 0.3, seed: 5 };
      }),
    );
    const data = await loadTableDataset(config, await file('oov.csv', text));
    const lastLine = 32;
    // With this seed the row lands outside train (checked), so its value was never counted.
    expect(Array.from(data.train.sourceLines!)).not.toContain(lastLine);
    const split = [data.validation, data.test].find((t) => Array.from(t.sourceLines!).includes(lastLine))!;
    const row = Array.from(split.sourceLines!).indexOf(lastLine);
    expect(split.cat[row * split.nCat]).toBe(0);
    expect(data.schema.vocabularies[0].tokens).not.toContain('only_here');
    expect(data.schema.vocabularies[0].tokens).toContain('u1');
  });

  it('reads given split files, gzipped or not, with paths relative to the config folder', async () => {
    await file('train.csv.gz', rows(30), true);
    await file('val.csv', rows(9));
    await file('test.tsv.gz', rows(12).replaceAll(',', '\t'), true);
    const config = resolveTableConfigPaths(
      parseTableConfig(
        withChange((x) => {
          x.split = { train: 'train.csv.gz', validation: ['val.csv'], test: 'test.tsv.gz' };
        }),
      ),
      directory,
    );
    expect((config.split as { train: string[] }).train).toEqual([join(directory, 'train.csv.gz')]);
    await expect(loadTableDataset(config)).rejects.toThrow(
      /test\.tsv\.gz: column "user" is not among the columns \(user\tprice/,
    );
    const sameDelimiter = resolveTableConfigPaths(
      parseTableConfig(
        withChange((x) => {
          x.split = { train: 'train.csv.gz', validation: 'val.csv', test: 'val.csv' };
        }),
      ),
      directory,
    );
    const data = await loadTableDataset(sameDelimiter);
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([30, 9, 9]);
  });

  it('lets one label column feed two tasks', async () => {
    const config = parseTableConfig(
      withChange((x) => {
        (x.tasks as unknown[]).push({
          name: 'clicked_again',
          kind: 'binary',
          label: 'clicked',
          positive: ['1'],
          negative: 'rest',
        });
      }),
    );
    const data = await loadTableDataset(config, await file('twice.csv', rows(40)));
    expect(data.tasks).toEqual(['click', 'buy', 'spend', 'clicked_again']);
    expect(data.train.labels.clicked_again).toEqual(data.train.labels.click);
  });
});

describe('binary labels are checked at load', () => {
  const config: TableConfig = parseTableConfig(base);
  for (const [bad, expected] of [
    ['2', 'is not a declared value (expected "1" or "0")'],
    ['-1', 'is not a declared value (expected "1" or "0")'],
    ['0.5', 'is not a declared value (expected "1" or "0")'],
  ] as const) {
    it(`rejects clicked = ${bad} naming file, line, column and task`, async () => {
      const text = rows(10).split('\n');
      text[6] = text[6].replace(/^(u\d,[\d.]+,x,)\d,(yes|no)/, `$1${bad},no`);
      const path = await file(`bad-${bad}.csv`, text.join('\n'));
      await expect(loadTableDataset(config, path)).rejects.toThrow(
        `${path}:7: column clicked, task click: binary label "${bad}" ${expected}`,
      );
    });
  }

  it('rejects a value outside positive/negative, accepts every other value with "rest", and can skip bad rows', async () => {
    const text = rows(10).split('\n');
    text[3] = text[3].replace(/,(yes|no),/, ',maybe,');
    const path = await file('maybe.csv', text.join('\n'));
    await expect(loadTableDataset(config, path)).rejects.toThrow(
      `${path}:4: column bought, task buy: binary label "maybe" is not a declared value (expected "yes" or "no")`,
    );
    const rest = parseTableConfig(
      withChange((x) => {
        (x.tasks as Record<string, unknown>[])[1].negative = 'rest';
      }),
    );
    const all = await loadTableDataset(rest, path);
    expect(all.train.size + all.validation.size + all.test.size).toBe(10);
    const skipping = parseTableConfig(
      withChange((x) => {
        x.badRows = 'skip';
      }),
    );
    const kept = await loadTableDataset(skipping, path);
    expect(kept.train.size + kept.validation.size + kept.test.size).toBe(9);
  });

  it('checks a numeric binary label without declared values: only 0 and 1', async () => {
    const spec = {
      columns: [
        { column: 'x', role: 'numeric' as const },
        { column: 'y', role: 'label' as const, task: 'y', kind: 'binary' as const },
      ],
    };
    const { fitTable } = await import('../../src/data/table-reader.js');
    const path = await file('numeric-binary.csv', 'x,y\n1,0\n2,1\n3,1.0\n4,2\n');
    await expect(fitTable(path, spec)).rejects.toThrow(`${path}:5: column y, task y: binary label "2" is not 0 or 1`);
  });
});
