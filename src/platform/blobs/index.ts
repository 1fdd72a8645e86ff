// The blob store: files and Parquet table versions. One interface, two adapters (local directory, S3),
// chosen in createBlobStore from configuration (STYLE §4). Keys are '/'-separated relative paths such as
// "uploads/<id>/file.csv" or "tables/<tableId>/<versionId>.parquet"; adapters reject keys that try to escape.
import type { Readable } from 'node:stream';
import type { Config } from '../../config';

export interface BlobInfo {
  key: string;
  size: number;
  contentType: string | undefined;
}

export interface BlobStore {
  readonly kind: 'local' | 's3';
  /**
   * Writes a stream or buffer under `key`; the object appears whole or not at all (a stream that errors leaves no
   * object and no partial one). Without `contentType` the blob is stored as DEFAULT_CONTENT_TYPE.
   */
  put(key: string, body: Readable | Buffer, opts?: { contentType?: string }): Promise<BlobInfo>;
  /**
   * Reads a blob, optionally a byte range [start, end] inclusive (`end` past the last byte is clamped, as in HTTP).
   * Throws BlobNotFoundError; throws RangeError for a malformed range or one starting at or past the end.
   * The caller must consume or destroy the returned stream.
   */
  get(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  /** Size and content type, or undefined when there is no such blob. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** Removes a blob; removing an absent blob is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Copies a blob to a local file path (DuckDB reads local files only), creating parent directories and replacing
   * any file there, and returns that path. Treat the file as read-only: the local store may hand out a hard link.
   */
  toLocalFile(key: string, localPath: string): Promise<string>;
  /** Checks the store answers (GET /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`Blob "${key}" was not found.`);
    this.name = 'BlobNotFoundError';
    this.key = key;
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(key: string) {
    super(`Blob key "${key}" is not allowed.`);
    this.name = 'InvalidBlobKeyError';
  }
}

/** Keys are relative, '/'-separated, without '..', empty or absolute segments. */
export function assertValidKey(key: string): void {
  if (!key || key.startsWith('/') || key.includes('\\') || key.split('/').some((s) => s === '' || s === '.' || s === '..') || key.includes('\0')) {
    throw new InvalidBlobKeyError(key);
  }
}

/** Content type recorded for blobs written without one (what S3 itself assumes). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Throws RangeError unless `range` is whole numbers with 0 <= start <= end (and start < size, when size is given). */
export function assertValidRange(range: { start: number; end?: number }, size?: number): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new RangeError(`Byte range ${start}-${end ?? ''} is malformed.`);
  }
  if (size !== undefined && start >= size) throw new RangeError(`Byte range ${start}-${end ?? ''} starts past the end of a ${size}-byte blob.`);
}

export async function createBlobStore(config: Pick<Config, 'dataDir' | 's3'>): Promise<BlobStore> {
  if (config.s3) {
    const { createS3BlobStore } = await import('./s3');
    return createS3BlobStore(config.s3);
  }
  const { createLocalBlobStore } = await import('./local');
  return createLocalBlobStore(`${config.dataDir}/blobs`);
}
