// The S3 blob store: blobs are objects in one bucket, keyed exactly by the blob key.
//
// Uploads of a Buffer, and of streams shorter than one part, are a single PutObject. Longer streams become a
// multipart upload of 8 MiB parts, uploaded one at a time while the source waits (so memory stays near one part);
// a failure aborts the upload, so S3 never shows a partial object. @aws-sdk/lib-storage is not a dependency, hence
// the small uploader here.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../../config';
import { assertValidKey, assertValidRange, BlobNotFoundError, DEFAULT_CONTENT_TYPE, type BlobInfo, type BlobStore } from './index';

/** Part size for multipart uploads (S3 requires at least 5 MiB for every part but the last). */
export const PART_SIZE = 8 * 1024 * 1024;

export function createS3BlobStore(s3: S3Config): BlobStore {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    // Send/verify checksums only where S3 requires them: the SDK's default CRC32 trailers are not understood by
    // many S3-compatible servers (s3rver among them), and TLS plus Content-Length already guard the transfer.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = s3.bucket;

  async function getObject(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    try {
      const res = await client.send(
        new GetObjectCommand({ Bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
      );
      if (!(res.Body instanceof Readable)) throw new Error(`S3 returned no readable body for "${key}".`);
      return res.Body;
    } catch (err) {
      if (isNoSuchKey(err)) throw new BlobNotFoundError(key);
      if (errorName(err) === 'InvalidRange' || httpStatus(err) === 416) {
        throw new RangeError(`Byte range ${range?.start}-${range?.end ?? ''} starts past the end of blob "${key}".`);
      }
      throw err;
    }
  }

  async function putStream(key: string, body: Readable, ContentType: string): Promise<number> {
    let uploadId: string | undefined;
    let pending: Buffer | undefined;
    let size = 0;
    const parts: CompletedPart[] = [];
    const uploadPart = async (UploadId: string, data: Buffer): Promise<void> => {
      const PartNumber = parts.length + 1;
      const res = await client.send(
        new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body: data, ContentLength: data.length }),
      );
      parts.push({ PartNumber, ETag: res.ETag });
    };
    try {
      for await (const part of splitIntoParts(body, PART_SIZE)) {
        size += part.length;
        if (pending) {
          uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType }))).UploadId;
          if (!uploadId) throw new Error(`S3 did not start a multipart upload for "${key}".`);
          await uploadPart(uploadId, pending);
        }
        pending = part;
      }
      const last = pending ?? Buffer.alloc(0);
      if (!uploadId) {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: last, ContentLength: last.length, ContentType }));
      } else {
        await uploadPart(uploadId, last);
        await client.send(
          new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
        );
      }
      return size;
    } catch (err) {
      if (uploadId) {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
      throw err;
    }
  }

  return {
    kind: 's3',

    async put(key, body, opts = {}): Promise<BlobInfo> {
      assertValidKey(key);
      const contentType = opts.contentType ?? DEFAULT_CONTENT_TYPE;
      let size: number;
      if (Buffer.isBuffer(body)) {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: body.length, ContentType: contentType }));
        size = body.length;
      } else {
        size = await putStream(key, body, contentType);
      }
      return { key, size, contentType };
    },

    get: getObject,

    async head(key) {
      assertValidKey(key);
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { key, size: res.ContentLength ?? 0, contentType: res.ContentType ?? DEFAULT_CONTENT_TYPE };
      } catch (err) {
        if (isNoSuchKey(err)) return undefined;
        throw err;
      }
    },

    async delete(key) {
      assertValidKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async toLocalFile(key, localPath) {
      const body = await getObject(key);
      const dest = resolve(localPath);
      // Stream to a temp file beside the destination, then rename: a reader never sees a half-written file.
      const tmp = `${dest}.${randomUUID()}.tmp`;
      try {
        await mkdir(dirname(dest), { recursive: true });
        await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
        await rename(tmp, dest);
      } catch (err) {
        body.destroy();
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      return dest;
    },

    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },

    async close() {
      client.destroy();
    },
  };
}

/** Re-chunks a stream into buffers of exactly `partSize` bytes (the last one shorter; none for an empty stream). */
async function* splitIntoParts(body: Readable, partSize: number): AsyncGenerator<Buffer> {
  let chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buf);
    length += buf.length;
    while (length >= partSize) {
      const all = Buffer.concat(chunks, length);
      yield all.subarray(0, partSize);
      const rest = all.subarray(partSize);
      chunks = rest.length > 0 ? [rest] : [];
      length = rest.length;
    }
  }
  if (length > 0) yield Buffer.concat(chunks, length);
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** A missing object: NoSuchKey from GET, a bare NotFound (no body to name it) from HEAD. */
function isNoSuchKey(err: unknown): boolean {
  const name = errorName(err);
  return name === 'NoSuchKey' || name === 'NotFound';
}
