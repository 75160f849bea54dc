/**
 * MovieLens 100K (GroupLens) read from a folder the user supplies. Its licence forbids redistribution, so the
 * library never ships or downloads it; tests use ../shared/data/movielens-100k. Each file may be plain (as in the
 * official ml-100k.zip) or gzip'd with a .gz suffix. User and item ids are the dataset's own 1-based contiguous
 * ids, which fit an embedding table whose row 0 is the OOV row.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '../errors.js';
import { readLines } from '../line-reader.js';

export interface Ratings {
  size: number;
  userIds: Int32Array;
  itemIds: Int32Array;
  /** 1..5 stars. */
  ratings: Float32Array;
  /** Unix seconds. */
  timestamps: Float64Array;
}

export interface MovieLensUsers {
  /** Arrays indexed by user id (index 0 unused). */
  age: Int32Array;
  gender: string[];
  occupation: string[];
  zip: string[];
}

export const MOVIELENS_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

export interface MovieLensItems {
  /** Arrays indexed by item id (index 0 unused). */
  title: string[];
  releaseDate: string[];
  /** Row-major [nItems + 1, 19] 0/1 flags in MOVIELENS_GENRES order. */
  genres: Uint8Array;
}

export interface MovieLens100k {
  nUsers: number;
  nItems: number;
  /** All 100,000 ratings (u.data). */
  all: Ratings;
  /** GroupLens's canonical split: ua.base (90,570) and ua.test (10 ratings per user, 9,430). */
  base: Ratings;
  test: Ratings;
  users: MovieLensUsers;
  items: MovieLensItems;
}

function locate(dir: string, name: string): string {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(candidate)) return candidate;
  throw new Error(`MovieLens 100K: neither ${name} nor ${name}.gz is in ${dir}`);
}

function parseInteger(path: string, line: number, field: string, what: string): number {
  const value = Number(field);
  if (field === '' || !Number.isInteger(value))
    throw new DataFormatError(path, line, `${what} "${field}" is not an integer`);
  return value;
}

async function readRatings(path: string): Promise<Ratings> {
  const users: number[] = [];
  const items: number[] = [];
  const stars: number[] = [];
  const times: number[] = [];
  for await (const { text, lineNumber } of readLines(path)) {
    if (text.trim() === '') continue;
    const fields = text.split('\t');
    if (fields.length !== 4)
      throw new DataFormatError(path, lineNumber, `expected 4 tab-separated fields, got ${fields.length}`);
    users.push(parseInteger(path, lineNumber, fields[0], 'user id'));
    items.push(parseInteger(path, lineNumber, fields[1], 'item id'));
    const rating = parseInteger(path, lineNumber, fields[2], 'rating');
    if (rating < 1 || rating > 5) throw new DataFormatError(path, lineNumber, `rating ${rating} is outside 1..5`);
    stars.push(rating);
    times.push(parseInteger(path, lineNumber, fields[3].trim(), 'timestamp'));
  }
  return {
    size: users.length,
    userIds: Int32Array.from(users),
    itemIds: Int32Array.from(items),
    ratings: Float32Array.from(stars),
    timestamps: Float64Array.from(times),
  };
}

async function readPipeSeparated(
  path: string,
  encoding: 'utf8' | 'latin1',
  minFields: number,
): Promise<Array<{ fields: string[]; line: number }>> {
  const rows: Array<{ fields: string[]; line: number }> = [];
  for await (const { text, lineNumber } of readLines(path, { encoding })) {
    if (text.trim() === '') continue;
    const fields = text.split('|');
    if (fields.length < minFields)
      throw new DataFormatError(
        path,
        lineNumber,
        `expected at least ${minFields} '|'-separated fields, got ${fields.length}`,
      );
    rows.push({ fields, line: lineNumber });
  }
  return rows;
}

export async function loadMovieLens100k(dir: string): Promise<MovieLens100k> {
  if (!existsSync(dir))
    throw new Error(
      `MovieLens 100K: folder ${dir} does not exist (the data is not redistributable; download ml-100k from GroupLens)`,
    );
  const [all, base, test] = await Promise.all(
    ['u.data', 'ua.base', 'ua.test'].map((name) => readRatings(locate(dir, name))),
  );

  const userPath = locate(dir, 'u.user');
  const userRows = await readPipeSeparated(userPath, 'utf8', 5);
  const nUsers = userRows.length;
  const users: MovieLensUsers = {
    age: new Int32Array(nUsers + 1),
    gender: new Array<string>(nUsers + 1).fill(''),
    occupation: new Array<string>(nUsers + 1).fill(''),
    zip: new Array<string>(nUsers + 1).fill(''),
  };
  for (const { fields, line } of userRows) {
    const id = parseInteger(userPath, line, fields[0], 'user id');
    if (id < 1 || id > nUsers) throw new DataFormatError(userPath, line, `user id ${id} is outside 1..${nUsers}`);
    users.age[id] = parseInteger(userPath, line, fields[1], 'age');
    users.gender[id] = fields[2];
    users.occupation[id] = fields[3];
    users.zip[id] = fields[4];
  }

  // u.item is ISO-8859-1 (a dozen accented titles).
  const itemPath = locate(dir, 'u.item');
  const itemRows = await readPipeSeparated(itemPath, 'latin1', 5 + MOVIELENS_GENRES.length);
  const nItems = itemRows.length;
  const items: MovieLensItems = {
    title: new Array<string>(nItems + 1).fill(''),
    releaseDate: new Array<string>(nItems + 1).fill(''),
    genres: new Uint8Array((nItems + 1) * MOVIELENS_GENRES.length),
  };
  for (const { fields, line } of itemRows) {
    const id = parseInteger(itemPath, line, fields[0], 'item id');
    if (id < 1 || id > nItems) throw new DataFormatError(itemPath, line, `item id ${id} is outside 1..${nItems}`);
    items.title[id] = fields[1];
    items.releaseDate[id] = fields[2];
    for (let g = 0; g < MOVIELENS_GENRES.length; g++) {
      const flag = fields[5 + g].trim();
      if (flag !== '0' && flag !== '1') throw new DataFormatError(itemPath, line, `genre flag "${flag}" is not 0 or 1`);
      items.genres[id * MOVIELENS_GENRES.length + g] = flag === '1' ? 1 : 0;
    }
  }

  for (const [name, ratings] of [
    ['u.data', all],
    ['ua.base', base],
    ['ua.test', test],
  ] as const) {
    for (let r = 0; r < ratings.size; r++) {
      if (
        ratings.userIds[r] < 1 ||
        ratings.userIds[r] > nUsers ||
        ratings.itemIds[r] < 1 ||
        ratings.itemIds[r] > nItems
      ) {
        throw new Error(
          `MovieLens 100K: ${name} row ${r + 1} refers to user ${ratings.userIds[r]} / item ${ratings.itemIds[r]}, not in u.user / u.item`,
        );
      }
    }
  }
  return { nUsers, nItems, all, base, test, users, items };
}
