import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChecksumError } from '../../src/data/checksum.js';
import { fetchCensus } from '../../src/data/census/fetch-census.js';
import { bundledCensusDir } from '../../src/data/census/load-census.js';

/** A local stand-in for the UCI archive on 127.0.0.1: /good/ serves the real files, /corrupt/ a damaged train file. */
let server: Server;
let baseUrl: string;
let requests: string[] = [];
let directory: string;
const files = new Map<string, Buffer>();

beforeAll(async () => {
  const dir = bundledCensusDir()!;
  for (const name of ['census-income.data.gz', 'census-income.test.gz'])
    files.set(name, await readFile(join(dir, name)));
  directory = await mkdtemp(join(tmpdir(), 'mtgrad-fetch-'));
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const [, kind, name] = (request.url ?? '').split('/');
    const body = files.get(name);
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    const served = kind === 'corrupt' && name === 'census-income.data.gz' ? gzipSync('38, Private, 6\n') : body;
    response.writeHead(200, { 'content-type': 'application/gzip', 'content-length': served.length }).end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(directory, { recursive: true, force: true });
});

describe('fetchCensus', () => {
  it('downloads both files once, verified, and reuses the cache afterwards', async () => {
    requests = [];
    const cache = join(directory, 'cache');
    expect(await fetchCensus(cache, `${baseUrl}/good/`)).toBe(cache);
    expect(requests.sort()).toEqual(['/good/census-income.data.gz', '/good/census-income.test.gz']);
    expect((await readdir(cache)).sort()).toEqual(['census-income.data.gz', 'census-income.test.gz']);
    expect((await readFile(join(cache, 'census-income.test.gz'))).equals(files.get('census-income.test.gz')!)).toBe(
      true,
    );
    requests = [];
    await fetchCensus(cache, `${baseUrl}/good`);
    expect(requests).toEqual([]);
  }, 30_000);

  it('rejects a corrupted download with a checksum error and leaves nothing in the cache', async () => {
    const cache = join(directory, 'corrupt-cache');
    const attempt = fetchCensus(cache, `${baseUrl}/corrupt/`);
    await expect(attempt).rejects.toBeInstanceOf(ChecksumError);
    await expect(fetchCensus(cache, `${baseUrl}/corrupt/`)).rejects.toThrow(
      /\/corrupt\/census-income\.data\.gz: sha256 of the uncompressed content/,
    );
    expect(await readdir(cache)).toEqual([]);
  }, 30_000);

  it('reports an HTTP error with the URL and status', async () => {
    await expect(fetchCensus(join(directory, 'missing-cache'), `${baseUrl}/good/nested/`)).rejects.toThrow(
      /GET http:\/\/127\.0\.0\.1:\d+\/good\/nested\/census-income\.data\.gz failed with HTTP 404/,
    );
  });
});

describe('fetchCensus without a reachable server', () => {
  it('says which file could not be downloaded, why, and where to put it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-census-'));
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    await expect(fetchCensus(dir, 'http://127.0.0.1:1/')).rejects.toThrow(
      /could not download http:\/\/127\.0\.0\.1:1\/census-income\.data\.gz \(.+\); put census-income\.data\.gz into/,
    );
  });
});
