// The local-directory blob store: blobs are plain files under one root directory.
//
// Layout under `rootDir`:
//   objects/<key>        the blob's bytes (mode 0444: toLocalFile may hand out hard links to it)
//   meta/<key>.json      a small sidecar `{ "contentType": "..." }`
//   tmp/<random>         writes in progress
// Objects and sidecars live in separate trees so that no key can collide with another key's sidecar (every name,
// including "x.meta.json", is a valid key). Writes go to tmp/ on the same filesystem, are fsynced and then renamed
// into place, so a blob appears whole or not at all; a failed or interrupted write leaves only a temp file, which
// is removed on failure and swept at start-up when it is more than a day old.
import { randomUUID } from 'node:crypto';
import { constants as fsConstants, createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, assertValidRange, BlobNotFoundError, DEFAULT_CONTENT_TYPE, type BlobInfo, type BlobStore } from './index';

const STALE_TMP_MS = 24 * 60 * 60 * 1000;

interface Meta {
  contentType: string;
}

export function createLocalBlobStore(rootDir: string): BlobStore {
  const root = resolve(rootDir);
  const objectsDir = join(root, 'objects');
  const metaDir = join(root, 'meta');
  const tmpDir = join(root, 'tmp');
  for (const dir of [objectsDir, metaDir, tmpDir]) mkdirSync(dir, { recursive: true });
  void sweepStaleTempFiles(tmpDir);

  const objectPath = (key: string): string => {
    assertValidKey(key);
    return join(objectsDir, ...key.split('/'));
  };
  const metaPath = (key: string): string => join(metaDir, ...key.split('/')) + '.json';
  const tmpPath = (): string => join(tmpDir, randomUUID());

  async function readMeta(key: string): Promise<Meta | undefined> {
    try {
      const parsed = JSON.parse(await readFile(metaPath(key), 'utf8')) as Partial<Meta>;
      return typeof parsed.contentType === 'string' ? { contentType: parsed.contentType } : undefined;
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /** stat() of the object file, or undefined when it is absent (a directory is an absent blob: only its "prefix"). */
  async function statObject(key: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(objectPath(key));
      return s.isFile() ? { size: s.size } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  return {
    kind: 'local',

    async put(key, body, opts = {}) {
      const target = objectPath(key);
      const contentType = opts.contentType ?? DEFAULT_CONTENT_TYPE;
      const tmp = tmpPath();
      let size: number;
      try {
        size = await writeDurably(tmp, body);
        await moveIntoPlace(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      // The sidecar follows the object; a crash in between leaves the default content type, never a partial blob.
      const metaTmp = tmpPath();
      try {
        await writeFile(metaTmp, JSON.stringify({ contentType } satisfies Meta));
        await moveIntoPlace(metaTmp, metaPath(key));
      } catch (err) {
        await unlink(metaTmp).catch(() => undefined);
        throw err;
      }
      return { key, size, contentType };
    },

    async get(key, range) {
      const path = objectPath(key);
      let fh: FileHandle;
      try {
        fh = await open(path, 'r');
      } catch (err) {
        if (isNotFound(err) || isDirectoryError(err)) throw new BlobNotFoundError(key);
        throw err;
      }
      try {
        const s = await fh.stat();
        if (!s.isFile()) throw new BlobNotFoundError(key);
        if (!range) return fh.createReadStream();
        assertValidRange(range, s.size);
        const end = Math.min(range.end ?? s.size - 1, s.size - 1);
        return fh.createReadStream({ start: range.start, end });
      } catch (err) {
        await fh.close();
        throw err;
      }
    },

    async head(key): Promise<BlobInfo | undefined> {
      const s = await statObject(key);
      if (!s) return undefined;
      const meta = await readMeta(key);
      return { key, size: s.size, contentType: meta?.contentType ?? DEFAULT_CONTENT_TYPE };
    },

    async delete(key) {
      const path = objectPath(key);
      await unlinkIfPresent(path);
      await unlinkIfPresent(metaPath(key));
      await pruneEmptyDirs(dirname(path), objectsDir);
      await pruneEmptyDirs(dirname(metaPath(key)), metaDir);
    },

    async toLocalFile(key, localPath) {
      const source = objectPath(key);
      if (!(await statObject(key))) throw new BlobNotFoundError(key);
      const dest = resolve(localPath);
      await mkdir(dirname(dest), { recursive: true });
      // Hard link when possible (O(1), the object file is read-only and never rewritten in place: puts replace it by
      // rename), otherwise copy (copy-on-write clone where the filesystem supports it). Either way via a temp name
      // and rename, so an existing file at localPath is replaced atomically.
      const tmp = `${dest}.${randomUUID()}.tmp`;
      try {
        try {
          await link(source, tmp);
        } catch (err) {
          if (isNotFound(err)) throw new BlobNotFoundError(key);
          await copyFile(source, tmp, fsConstants.COPYFILE_FICLONE);
        }
        await rename(tmp, dest);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        if (isNotFound(err) && !(await statObject(key))) throw new BlobNotFoundError(key);
        throw err;
      }
      return dest;
    },

    async ping() {
      const probe = tmpPath();
      await writeFile(probe, 'ping');
      await unlink(probe);
    },

    async close() {
      // Nothing is held open between calls.
    },
  };
}

/** Writes `body` to a new file at `path`, fsyncs it and makes it read-only; returns the byte count. */
async function writeDurably(path: string, body: Readable | Buffer): Promise<number> {
  if (Buffer.isBuffer(body)) await writeFile(path, body, { flag: 'wx' });
  else {
    const out = createWriteStream(path, { flags: 'wx' });
    try {
      await pipeline(body, out);
    } catch (err) {
      // The stream opens its file lazily: a body that fails at once rejects the pipeline before the open completes,
      // and the caller's unlink would find nothing while the late open leaves an empty temp file behind (seen with an
      // interrupted upload). Wait until the stream has closed, so the file, if any, exists when the caller removes it.
      if (!out.closed) await once(out, 'close').catch(() => undefined);
      throw err;
    }
  }
  // fsync applies to the file, not the descriptor: a fresh one flushes what the stream wrote.
  const fh = await open(path, 'r');
  try {
    await fh.sync();
    await fh.chmod(0o444);
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/** Renames `from` onto `to`, creating parent directories (retrying if a concurrent delete pruned them meanwhile). */
async function moveIntoPlace(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await mkdir(dirname(to), { recursive: true });
    try {
      await rename(from, to);
      await syncDir(dirname(to));
      return;
    } catch (err) {
      if (!isNotFound(err) || attempt >= 3) throw err;
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; some platforms cannot open directories, which is then not an error.
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close();
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err) && !isDirectoryError(err)) throw err;
  }
}

/** Removes now-empty directories from `dir` up to (not including) `stop`. */
async function pruneEmptyDirs(dir: string, stop: string): Promise<void> {
  let current = dir;
  while (current.startsWith(stop + sep)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or already gone / recreated by a concurrent put): stop here
    }
    current = dirname(current);
  }
}

async function sweepStaleTempFiles(tmpDir: string): Promise<void> {
  try {
    const now = Date.now();
    for (const name of await readdir(tmpDir)) {
      const path = join(tmpDir, name);
      const s = await stat(path).catch(() => undefined);
      if (s?.isFile() && now - s.mtimeMs > STALE_TMP_MS) await unlink(path).catch(() => undefined);
    }
  } catch {
    // best effort: a sweep that fails leaves a few stale temp files, nothing else
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || (err as NodeJS.ErrnoException | undefined)?.code === 'ENOTDIR';
}

function isDirectoryError(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EISDIR';
}
