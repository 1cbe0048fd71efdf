// `AWS_IAM` routes: the request must carry a Signature Version 4 Authorization header (403 "Missing Authentication
// Token" without one). When the runner can find the user's own credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
// or AWS_PROFILE / the default profile in ~/.aws) the signature is computed again with them and must match, as
// API Gateway checks it; otherwise only the header's shape is checked, and the runner says so once at start. The
// caller's identity goes to requestContext.identity (accessKey, caller, user, userArn): locally the access key id
// stands in for the IAM user, under the local account.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LOCAL_ACCOUNT } from '../../functions/model.ts';
import { headerOf } from '../events.ts';
import { refuse, type AuthOutcome, type AuthRequest } from './outcome.ts';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The user's credentials as the AWS CLI would find them (environment, then `profile` or the default one), or undefined. */
export async function findOwnCredentials(profile?: string): Promise<SigningCredentials | undefined> {
  const { fromEnv, fromIni } = await import('@aws-sdk/credential-providers');
  for (const provider of [fromEnv(), fromIni(profile ? { profile } : {})]) {
    try {
      const c = await provider();
      if (c.accessKeyId && c.secretAccessKey)
        return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
    } catch {
      // not this source
    }
  }
  return undefined;
}

const SIGNATURE_WINDOW_MS = 15 * 60_000;
const AUTH_SHAPE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9\-;]+),\s*Signature=([0-9a-f]{64})$/;

/** Checks an AWS_IAM route's signature; `credentials` undefined: the shape only. */
export async function checkSignature(r: AuthRequest, credentials: SigningCredentials | undefined): Promise<AuthOutcome> {
  const kind = r.route.event.kind;
  const header = headerOf(r.clientRawHeaders, 'authorization');
  if (!header)
    return refuse(
      'missingSignature',
      kind,
      'the route is AWS_IAM and the request is not signed: sign it with SigV4 (an AWS SDK, `aws`-signed curl --aws-sigv4) using your credentials.',
    );
  const m = AUTH_SHAPE.exec(header.trim());
  if (!m)
    return refuse(
      'missingSignature',
      kind,
      'the Authorization header is not a SigV4 one ("AWS4-HMAC-SHA256 Credential=AKID/date/region/execute-api/aws4_request, SignedHeaders=..., Signature=...").',
    );
  const [, accessKeyId, , region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const identity = {
    accessKey: accessKeyId,
    accountId: LOCAL_ACCOUNT,
    caller: accessKeyId,
    user: accessKeyId,
    userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/${accessKeyId}`,
  };
  if (!credentials) return { ok: true, grant: { iam: identity } };
  if (accessKeyId !== credentials.accessKeyId)
    return refuse(
      'unknownAccessKey',
      kind,
      `the request is signed with the access key ${accessKeyId}, and the runner knows only yours (${credentials.accessKeyId}, from the environment or your AWS profile).`,
    );
  const amzDate = headerOf(r.clientRawHeaders, 'x-amz-date');
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return refuse('badSignature', kind, 'the signed request has no X-Amz-Date header.');
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  // AWS refuses a signature more than 15 minutes from its own clock (a captured request can't be replayed later).
  if (!(Math.abs(Date.now() - date.getTime()) <= SIGNATURE_WINDOW_MS))
    return refuse(
      'badSignature',
      kind,
      `the signature is dated ${amzDate}, more than 15 minutes from now: AWS answers "Signature expired". Sign the request again.`,
    );
  const signed = new Set(signedHeaders.split(';'));
  const headers: Record<string, string> = {};
  for (let i = 0; i < r.clientRawHeaders.length; i += 2) {
    const name = r.clientRawHeaders[i]!.toLowerCase();
    if (signed.has(name)) headers[name] = headers[name] === undefined ? r.clientRawHeaders[i + 1]! : `${headers[name]},${r.clientRawHeaders[i + 1]}`;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(r.request.rawQuery)) {
    const prior = query[name];
    query[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  // Loaded on the first signed request only: the runner's start does not pay for it.
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const signer = new SignatureV4({ credentials, region, service, sha256: NodeHash, uriEscapePath: true, applyChecksum: false });
  const again = await signer.sign(
    { method: r.request.method, protocol: 'http:', hostname: '127.0.0.1', path: safeDecode(r.rawPath), query, headers, body: r.request.body },
    { signingDate: date, signingRegion: region, signingService: service, signableHeaders: signed },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization ?? again.headers.Authorization))?.[1] ?? '';
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return refuse(
      'badSignature',
      kind,
      `the SigV4 signature does not match one computed with your credentials (${credentials.accessKeyId}): the request was signed with another secret, or changed after signing.`,
    );
  }
  return { ok: true, grant: { iam: identity } };
}

/** node:crypto as the signer's hash (SHA-256, or HMAC-SHA-256 with a secret). */
class NodeHash {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      secret === undefined
        ? undefined
        : typeof secret === 'string'
          ? secret
          : Buffer.from(ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret));
    this.hash = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data),
    );
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
