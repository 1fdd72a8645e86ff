// A whole (small) answer as bytes through the harvester's guarded fetch; the cap is enforced while streaming.
import { harvestFetch, type FetchPolicy } from '../harvest/fetch';

export async function fetchBytesCapped(url: string, policy: FetchPolicy): Promise<{ url: string; bytes: Buffer }> {
  if (policy.maxBytes <= 0) throw new Error('the package is larger than the upload limit');
  const res = await harvestFetch(url, policy);
  if (res.status < 200 || res.status >= 300) {
    res.body.resume();
    throw new Error(`${res.url} answered HTTP ${res.status}`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  return { url: res.url, bytes: Buffer.concat(chunks) };
}
