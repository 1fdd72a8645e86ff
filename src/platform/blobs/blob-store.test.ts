// One contract, run against both adapters: the local directory store and the S3 store against a real s3rver.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../../../test/helpers/s3rver';
import { BlobNotFoundError, createBlobStore, InvalidBlobKeyError, type BlobStore } from './index';
import { createLocalBlobStore } from './local';
import { createS3BlobStore, PART_SIZE } from './s3';

interface Harness {
  store: BlobStore;
  cleanup(): Promise<void>;
}

const adapters: { name: string; setup(): Promise<Harness> }[] = [
  {
    name: 'local',
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), 'blobs-local-'));
      return { store: createLocalBlobStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3',
    async setup() {
      const s3 = await startS3rver();
      const store = createS3BlobStore({ ...s3, region: 'us-east-1', forcePathStyle: true });
      return {
        store,
        async cleanup() {
          await store.close();
          await s3.stop();
        },
      };
    },
  },
];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** ~20 MB of deterministic pseudo-random bytes in odd-sized chunks (so part boundaries never line up with chunks). */
function generatedChunks(): Buffer[] {
  const chunks: Buffer[] = [];
  let x = 0x9e3779b9;
  for (let total = 0; total < 20_000_000; ) {
    const chunk = Buffer.allocUnsafe(Math.min(65_537 + (chunks.length % 7) * 1_000, 20_000_000 - total));
    for (let i = 0; i < chunk.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk[i] = x & 0xff;
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  return chunks;
}

/** A stream that yields `bytes` bytes and then fails, like an upload cut off mid-way. */
function failingStream(bytes: number): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(bytes, 7);
      throw new Error('client went away');
    })(),
  );
}

describe.each(adapters)('BlobStore contract: $name', ({ setup }) => {
  let harness: Harness;
  let store: BlobStore;
  let workDir: string;

  beforeAll(async () => {
    harness = await setup();
    store = harness.store;
    workDir = await mkdtemp(join(tmpdir(), 'blobs-work-'));
  });
  afterAll(async () => {
    await harness?.cleanup();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('round-trips text with its content type', async () => {
    const text = Buffer.from('kommunenummer;navn\n0301;Oslo\n4601;Bergen\n1508;Ålesund\n', 'utf8');
    const info = await store.put('uploads/u1/kommuner.csv', text, { contentType: 'text/csv; charset=utf-8' });
    expect(info).toEqual({ key: 'uploads/u1/kommuner.csv', size: text.length, contentType: 'text/csv; charset=utf-8' });
    expect(await store.head('uploads/u1/kommuner.csv')).toEqual(info);
    const back = await readAll(await store.get('uploads/u1/kommuner.csv'));
    expect(back.toString('utf8')).toBe(text.toString('utf8'));
  });

  it('records application/octet-stream when no content type is given', async () => {
    await store.put('misc/raw.bin', Buffer.from([1, 2, 3]));
    expect(await store.head('misc/raw.bin')).toEqual({ key: 'misc/raw.bin', size: 3, contentType: 'application/octet-stream' });
  });

  it('streams a ~20 MB upload in and out byte for byte, and copies it to a local file', async () => {
    const chunks = generatedChunks();
    const expected = Buffer.concat(chunks);
    expect(expected.length).toBeGreaterThan(2 * PART_SIZE); // S3: three multipart parts

    const info = await store.put('tables/t1/v1.parquet', Readable.from(chunks), { contentType: 'application/vnd.apache.parquet' });
    expect(info.size).toBe(expected.length);
    expect((await store.head('tables/t1/v1.parquet'))?.size).toBe(expected.length);

    const back = await readAll(await store.get('tables/t1/v1.parquet'));
    expect(back.length).toBe(expected.length);
    expect(sha256(back)).toBe(sha256(expected));

    // a range across the S3 part boundary
    const start = PART_SIZE - 1000;
    const slice = await readAll(await store.get('tables/t1/v1.parquet', { start, end: start + 1999 }));
    expect(slice.equals(expected.subarray(start, start + 2000))).toBe(true);

    const local = join(workDir, 'nested', 'dir', 'v1.parquet');
    expect(await store.toLocalFile('tables/t1/v1.parquet', local)).toBe(local);
    const copied = await readFile(local);
    expect(copied.length).toBe(expected.length);
    expect(sha256(copied)).toBe(sha256(expected));
  });

  it('serves byte ranges, clamping an end past the last byte', async () => {
    await store.put('r/digits.txt', Buffer.from('0123456789'));
    const read = async (range: { start: number; end?: number }) => (await readAll(await store.get('r/digits.txt', range))).toString();
    expect(await read({ start: 0, end: 4 })).toBe('01234');
    expect(await read({ start: 5 })).toBe('56789');
    expect(await read({ start: 3, end: 3 })).toBe('3');
    expect(await read({ start: 8, end: 100 })).toBe('89');
  });

  it('rejects malformed ranges and ranges starting past the end', async () => {
    await store.put('r/short.txt', Buffer.from('abc'));
    for (const range of [{ start: 3 }, { start: 10, end: 20 }, { start: -1 }, { start: 2, end: 1 }, { start: 0.5 }]) {
      await expect(store.get('r/short.txt', range), JSON.stringify(range)).rejects.toBeInstanceOf(RangeError);
    }
  });

  it('stores empty blobs, from a buffer and from a stream', async () => {
    expect((await store.put('e/empty-buffer', Buffer.alloc(0))).size).toBe(0);
    expect((await store.put('e/empty-stream', Readable.from([]))).size).toBe(0);
    for (const key of ['e/empty-buffer', 'e/empty-stream']) {
      expect((await store.head(key))?.size).toBe(0);
      expect((await readAll(await store.get(key))).length).toBe(0);
    }
  });

  it('replaces a blob on a second put', async () => {
    await store.put('o/file.txt', Buffer.from('first version, longer'), { contentType: 'text/plain' });
    await store.put('o/file.txt', Buffer.from('second'), { contentType: 'text/markdown' });
    expect(await store.head('o/file.txt')).toEqual({ key: 'o/file.txt', size: 6, contentType: 'text/markdown' });
    expect((await readAll(await store.get('o/file.txt'))).toString()).toBe('second');
  });

  it('leaves no object when the upload stream fails mid-way', async () => {
    await expect(store.put('f/broken.csv', failingStream(PART_SIZE + 1024 * 1024))).rejects.toThrow('client went away');
    expect(await store.head('f/broken.csv')).toBeUndefined();
    await expect(store.get('f/broken.csv')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('keeps the old blob when a replacing upload fails', async () => {
    await store.put('f/kept.txt', Buffer.from('old'));
    await expect(store.put('f/kept.txt', failingStream(1000))).rejects.toThrow('client went away');
    expect((await readAll(await store.get('f/kept.txt'))).toString()).toBe('old');
  });

  it('reports missing blobs: head undefined, get and toLocalFile BlobNotFoundError', async () => {
    expect(await store.head('missing/nothing.csv')).toBeUndefined();
    const err = await store.get('missing/nothing.csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect((err as BlobNotFoundError).key).toBe('missing/nothing.csv');
    await expect(store.get('missing/nothing.csv', { start: 0, end: 1 })).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.toLocalFile('missing/nothing.csv', join(workDir, 'nothing.csv'))).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(stat(join(workDir, 'nothing.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('treats a key prefix as no blob', async () => {
    await store.put('prefix/inner/file.txt', Buffer.from('x'));
    expect(await store.head('prefix/inner')).toBeUndefined();
    await expect(store.get('prefix')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('deletes, and deleting again is not an error', async () => {
    await store.put('d/gone.txt', Buffer.from('bye'));
    await store.put('d/stays.txt', Buffer.from('hi'));
    await store.delete('d/gone.txt');
    expect(await store.head('d/gone.txt')).toBeUndefined();
    await expect(store.get('d/gone.txt')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.delete('d/gone.txt')).resolves.toBeUndefined();
    await expect(store.delete('d/never-existed.txt')).resolves.toBeUndefined();
    expect((await readAll(await store.get('d/stays.txt'))).toString()).toBe('hi');
    // the key can be written again after a delete
    await store.put('d/gone.txt', Buffer.from('back'));
    expect((await readAll(await store.get('d/gone.txt'))).toString()).toBe('back');
  });

  it('toLocalFile replaces an existing file', async () => {
    await store.put('c/new.txt', Buffer.from('new content'));
    const local = join(workDir, 'existing.txt');
    await writeFile(local, 'stale content that is longer');
    await store.toLocalFile('c/new.txt', local);
    expect(await readFile(local, 'utf8')).toBe('new content');
    // no temp files left beside it
    expect((await readdir(workDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it.each(['../x', '/abs', 'a//b', '', 'a/./b', 'a/../../b', 'a\\b', 'trailing/', 'nul\0byte'])('rejects the key %j', async (key) => {
    const local = join(workDir, 'bad-key-target');
    await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.toLocalFile(key, local)).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });
});

describe('local blob store specifics', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blobs-local-specific-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never writes outside its root, cleans up temp files and prunes emptied directories', async () => {
    const store = createLocalBlobStore(dir);
    await expect(store.put('a/b/c.txt', failingStream(100_000))).rejects.toThrow('client went away');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    await store.put('a/b/c.txt', Buffer.from('c'));
    expect(await readFile(join(dir, 'objects', 'a', 'b', 'c.txt'), 'utf8')).toBe('c');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    await store.delete('a/b/c.txt');
    expect(await readdir(join(dir, 'objects'))).toEqual([]);
    expect(await readdir(join(dir, 'meta'))).toEqual([]);
    expect(await readdir(dir)).toEqual(['meta', 'objects', 'tmp']);
  });

  it('keeps a key named like a sidecar apart from the sidecars', async () => {
    const store = createLocalBlobStore(dir);
    await store.put('x.txt', Buffer.from('x'), { contentType: 'text/plain' });
    await store.put('x.txt.json', Buffer.from('{}'), { contentType: 'application/json' });
    expect(await store.head('x.txt')).toEqual({ key: 'x.txt', size: 1, contentType: 'text/plain' });
    expect(await store.head('x.txt.json')).toEqual({ key: 'x.txt.json', size: 2, contentType: 'application/json' });
  });
});

describe('s3 blob store specifics', () => {
  let s3: RunningS3rver;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('ping fails for a bucket that does not exist', async () => {
    const store = createS3BlobStore({ ...s3, bucket: 'no-such-bucket', region: 'us-east-1', forcePathStyle: true });
    try {
      await expect(store.ping()).rejects.toThrow();
    } finally {
      await store.close();
    }
  });

  it('ping fails with an unknown access key', async () => {
    // (s3rver does not verify SigV4 signatures, only that the access key id exists, so a wrong secret would pass.)
    const store = createS3BlobStore({ ...s3, accessKeyId: 'NOBODY', region: 'us-east-1', forcePathStyle: true });
    try {
      await expect(store.ping()).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});

describe('createBlobStore', () => {
  it('picks the local store without S3 settings and the S3 store with them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'blobs-factory-'));
    try {
      const local = await createBlobStore({ dataDir, s3: undefined });
      expect(local.kind).toBe('local');
      await local.put('k.txt', Buffer.from('v'));
      expect((await stat(join(dataDir, 'blobs', 'objects', 'k.txt'))).size).toBe(1);
      await local.close();

      const s3 = await createBlobStore({
        dataDir,
        s3: { endpoint: 'http://127.0.0.1:9', bucket: 'b', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 's', forcePathStyle: true },
      });
      expect(s3.kind).toBe('s3');
      await s3.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
