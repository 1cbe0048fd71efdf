// Published layers (Layers: [arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION]) fetched as Lambda fetches them, with
// the user's own credentials: GetLayerVersionByArn gives a presigned URL and the zip's SHA-256; the zip is checked
// against it and unpacked into the user's cache by the same content-addressed unpacker as a project's zip layers.
// A layer version never changes once published, so an ARN fetched once is never asked for again: a small record
// (by-arn/<hash>.json) names its folder, and the next cold start, on- or offline, makes no request at all.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { networkCause } from '../http-util.ts';
import { userCacheDir } from '../paths.ts';
import { unpackLayerBytes } from './layers.ts';

/** A published layer that could not be fetched: the message names the ARN, the cause and what to do. */
export class LayerFetchError extends Error {}

export interface LayerFetchOptions {
  /** The region to ask when the ARN has none (the function's). */
  region: string;
  /** The AWS profile whose credentials fetch it (else the SDK's default chain: AWS_PROFILE, environment, SSO ...). */
  profile?: string | undefined;
  /** Progress lines for big downloads. */
  progress?: ((line: string) => void) | undefined;
}

/** Downloads over this size say how far they are. */
const PROGRESS_ABOVE_BYTES = 5 * 1024 * 1024;

const WHAT_TO_DO =
  'Or copy the layer locally (aws lambda get-layer-version-by-arn gives its download URL) and reference the folder or .zip as an AWS::Serverless::LayerVersion with ContentUri.';

/** The cache's folders: unpacked layers by content, and the record of which ARN is which content. */
function layerCache(): { layers: string; byArn: string } {
  const layers = userCacheDir('layers');
  return { layers, byArn: join(layers, 'by-arn') };
}

/** The folder holding a published layer version's content: from the cache, else fetched, checked and unpacked. */
export async function fetchLayer(arn: string, opts: LayerFetchOptions): Promise<string> {
  const cache = layerCache();
  const record = join(cache.byArn, `${createHash('sha256').update(arn).digest('hex').slice(0, 32)}.json`);
  const known = readRecord(record, arn);
  if (known && existsSync(known)) return known;

  const region = /^arn:[^:]+:lambda:([^:]+):/.exec(arn)?.[1] || opts.region;
  const { LambdaClient, GetLayerVersionByArnCommand } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient({ region, maxAttempts: 2, ...(opts.profile ? { profile: opts.profile } : {}) });
  let location: string | undefined;
  let sha256: string | undefined;
  let size: number | undefined;
  try {
    const layer = await client.send(new GetLayerVersionByArnCommand({ Arn: arn }));
    location = layer.Content?.Location;
    sha256 = layer.Content?.CodeSha256;
    size = layer.Content?.CodeSize;
  } catch (err) {
    throw new LayerFetchError(describeAwsFailure(arn, region, opts.profile, err));
  } finally {
    client.destroy();
  }
  if (!location || !sha256)
    throw new LayerFetchError(`Layer ${arn} could not be fetched: Lambda's answer had no download location or CodeSha256. ${WHAT_TO_DO}`);

  const bytes = await download(arn, location, size, opts.progress);
  const actual = createHash('sha256').update(bytes).digest('base64');
  if (actual !== sha256) {
    throw new LayerFetchError(
      `Layer ${arn} was downloaded, but its content does not match the CodeSha256 Lambda gave (expected ${sha256}, got ${actual}); nothing was kept. Start the function again to retry; if it repeats, something between you and AWS changes the download. ${WHAT_TO_DO}`,
    );
  }
  let folder: string;
  try {
    folder = unpackLayerBytes(bytes, cache.layers);
  } catch (err) {
    throw new LayerFetchError(`Layer ${arn} was downloaded but could not be unpacked: ${(err as Error).message}. ${WHAT_TO_DO}`);
  }
  writeRecord(record, { arn, codeSha256: sha256, folder });
  return folder;
}

function readRecord(file: string, arn: string): string | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { arn?: unknown; folder?: unknown };
    return data.arn === arn && typeof data.folder === 'string' ? data.folder : undefined;
  } catch {
    return undefined;
  }
}

function writeRecord(file: string, data: Record<string, string>): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(data));
    renameSync(partial, file);
  } catch {
    // A read-only cache: the layer works now and is fetched again next time.
  }
}

async function download(arn: string, location: string, size: number | undefined, progress: LayerFetchOptions['progress']): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(location, { signal: AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw new LayerFetchError(`Layer ${arn} could not be downloaded: ${networkCause(err)}. Check your connection and start the function again. ${WHAT_TO_DO}`);
  }
  if (!response.ok || !response.body) {
    throw new LayerFetchError(
      `Layer ${arn} could not be downloaded: its download URL answered HTTP ${response.status} (a URL from Lambda is valid for 10 minutes). Start the function again to get a fresh one. ${WHAT_TO_DO}`,
    );
  }
  const total = size ?? Number(response.headers.get('content-length') ?? 0);
  const chunks: Buffer[] = [];
  let received = 0;
  let said = 0;
  const tell = total > PROGRESS_ABOVE_BYTES ? progress : undefined;
  tell?.(`Downloading layer ${arn} (${megabytes(total)})...`);
  try {
    for await (const chunk of response.body) {
      chunks.push(Buffer.from(chunk));
      received += chunk.byteLength;
      const tenth = Math.floor((received / total) * 10);
      if (tell && tenth > said && tenth < 10) {
        said = tenth;
        tell(`Downloading layer ${arn}: ${megabytes(received)} of ${megabytes(total)}`);
      }
    }
  } catch (err) {
    throw new LayerFetchError(
      `Layer ${arn} could not be downloaded: the download stopped after ${megabytes(received)} (${networkCause(err)}). Start the function again to retry. ${WHAT_TO_DO}`,
    );
  }
  tell?.(`Downloaded layer ${arn} (${megabytes(received)}).`);
  return Buffer.concat(chunks);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What went wrong asking Lambda for the layer, and what the user can do about it. */
function describeAwsFailure(arn: string, region: string, profile: string | undefined, err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const who = profile ? `the profile "${profile}"` : 'your AWS credentials';
  const login = `Refresh them (e.g. run \`aws sso login${profile ? ` --profile ${profile}` : ''}\`, or pass --profile) and start the function again.`;
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    return `Layer ${arn} could not be fetched: no AWS credentials were found (${e.message}). ${login} ${WHAT_TO_DO}`;
  }
  if (name === 'AccessDeniedException' || e.$metadata?.httpStatusCode === 403 || /Expired|InvalidSignature|UnrecognizedClient/.test(name)) {
    return `Layer ${arn} could not be fetched: ${name}: ${e.message ?? 'access denied'}. ${who[0]!.toUpperCase()}${who.slice(1)} may not read this layer, or have expired. ${login} ${WHAT_TO_DO}`;
  }
  if (name === 'ResourceNotFoundException') {
    return `Layer ${arn} could not be fetched: ResourceNotFoundException: ${e.message}. Check the layer's name, version and region (${region}) in the template. ${WHAT_TO_DO}`;
  }
  if (!e.$metadata?.httpStatusCode) {
    return `Layer ${arn} could not be fetched: Lambda in ${region} could not be reached (${networkCause(err)}). Are you offline? Connect and start the function again. ${WHAT_TO_DO}`;
  }
  return `Layer ${arn} could not be fetched: ${name}: ${e.message}. ${WHAT_TO_DO}`;
}
