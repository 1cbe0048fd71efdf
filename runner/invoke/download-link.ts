// The control plane's download links (GetFunction's Code.Location, GetLayerVersion's Content.Location) are fetched
// unsigned, like the presigned S3 URLs they stand for: what proves the caller got one from a signed call is an HMAC
// of what it names under a key that lives and dies with this runner.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../http-util.ts';

const DOWNLOAD_KEY = randomBytes(32);

/** The signature a link to `what` (e.g. a function and version, a layer and version) carries. */
export function downloadSignature(...what: string[]): string {
  return createHmac('sha256', DOWNLOAD_KEY).update(what.join('\n')).digest('hex');
}

/** Throws AccessDeniedException unless `query` carries the signature of `what`; `again` says where to get a fresh link. */
export function checkDownloadSignature(query: URLSearchParams, again: string, ...what: string[]): void {
  const expected = Buffer.from(downloadSignature(...what));
  const given = Buffer.from(query.get('X-Amz-Signature') ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AwsError(403, 'AccessDeniedException', `This download link is not valid for this runner. Get a fresh one from ${again}.`);
  }
}
