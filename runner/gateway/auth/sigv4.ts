// `AWS_IAM` routes, HTTP and WebSocket $connect: the request must carry a Signature Version 4 Authorization header, or
// be a presigned URL with the signature in its query (403 "Missing Authentication Token" without either). When the
// runner can find the user's own credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or AWS_PROFILE / the default
// profile in ~/.aws) the signature is computed again with them and must match, as API Gateway checks it; otherwise
// only its shape is checked, and the runner says so once at start. The caller's identity goes to
// requestContext.identity (accessKey, caller, user, userArn): locally the access key id stands in for the IAM user,
// under the local account.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LOCAL_ACCOUNT } from '../../functions/model.ts';
import { headerOf } from '../events.ts';
import { refuse, type AuthOutcome, type AuthRequest, type Grant } from './outcome.ts';

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
/** A presigned URL may live a week at most (SigV4's limit). */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;
const AUTH_SHAPE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9\-;]+),\s*Signature=([0-9a-f]{64})$/;
const CREDENTIAL_SHAPE = /^([^/\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
/** The query parameters of a presigned URL that the signature covers by computing them, not by signing them. */
const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

/** A request as it came on the wire: what a SigV4 signature covers. */
export interface SignedRequest {
  method: string;
  /** The path as sent, without the query. */
  rawPath: string;
  /** After the "?", '' when none. */
  rawQuery: string;
  rawHeaders: readonly string[];
  body: Buffer | undefined;
}

export type IamIdentity = NonNullable<Grant['iam']>;

/** A signature's verdict: the caller, or which of API Gateway's errors answers it and why. */
export type SignatureVerdict =
  | { ok: true; identity: IamIdentity }
  | { ok: false; error: 'missingSignature' | 'badSignature' | 'unknownAccessKey'; problem: string };

/** Checks an AWS_IAM route's signature; `credentials` undefined: the shape only. */
export async function checkSignature(r: AuthRequest, credentials: SigningCredentials | undefined): Promise<AuthOutcome> {
  const verdict = await verifySignature(
    { method: r.request.method, rawPath: r.rawPath, rawQuery: r.request.rawQuery, rawHeaders: r.clientRawHeaders, body: r.request.body },
    credentials,
  );
  return verdict.ok ? { ok: true, grant: { iam: verdict.identity } } : refuse(verdict.error, r.route.event.kind, verdict.problem);
}

/**
 * Checks a request's SigV4 signature, in the Authorization header or in the query (a presigned URL: X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature, what browsers and SDKs use for
 * WebSocket URLs). `credentials` undefined: the shape only.
 */
export async function verifySignature(req: SignedRequest, credentials: SigningCredentials | undefined): Promise<SignatureVerdict> {
  const header = headerOf(req.rawHeaders, 'authorization');
  const params = new URLSearchParams(req.rawQuery);
  const presigned = header === undefined && (params.has('X-Amz-Signature') || params.has('X-Amz-Algorithm'));
  if (!header && !presigned)
    return missing(
      'the route is AWS_IAM and the request is not signed: sign it with SigV4 (an AWS SDK, `aws`-signed curl --aws-sigv4, or a presigned URL) using your credentials.',
    );
  let accessKeyId: string, region: string, service: string, signedHeaders: string, signature: string, amzDate: string | undefined;
  let expiresIn: number | undefined;
  if (presigned) {
    const credential = CREDENTIAL_SHAPE.exec(params.get('X-Amz-Credential') ?? '');
    const expires = Number(params.get('X-Amz-Expires') ?? '');
    signature = params.get('X-Amz-Signature') ?? '';
    signedHeaders = params.get('X-Amz-SignedHeaders') ?? '';
    amzDate = params.get('X-Amz-Date') ?? undefined;
    if (
      params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
      !credential ||
      !/^[0-9a-f]{64}$/.test(signature) ||
      !/^[a-z0-9\-;]+$/.test(signedHeaders) ||
      !Number.isInteger(expires) ||
      expires < 1 ||
      expires > MAX_PRESIGNED_SECONDS
    )
      return missing(
        'the presigned URL lacks a SigV4 query parameter (X-Amz-Algorithm=AWS4-HMAC-SHA256, X-Amz-Credential, X-Amz-Date, X-Amz-Expires of 1 to 604800, X-Amz-SignedHeaders, X-Amz-Signature).',
      );
    [, accessKeyId, , region, service] = credential as unknown as [string, string, string, string, string];
    expiresIn = expires;
  } else {
    const m = AUTH_SHAPE.exec(header!.trim());
    if (!m)
      return missing(
        'the Authorization header is not a SigV4 one ("AWS4-HMAC-SHA256 Credential=AKID/date/region/execute-api/aws4_request, SignedHeaders=..., Signature=...").',
      );
    [, accessKeyId, , region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
    amzDate = headerOf(req.rawHeaders, 'x-amz-date');
  }
  const identity: IamIdentity = {
    accessKey: accessKeyId,
    accountId: LOCAL_ACCOUNT,
    caller: accessKeyId,
    user: accessKeyId,
    userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/${accessKeyId}`,
  };
  if (!credentials) return { ok: true, identity };
  if (accessKeyId !== credentials.accessKeyId)
    return {
      ok: false,
      error: 'unknownAccessKey',
      problem: `the request is signed with the access key ${accessKeyId}, and the runner knows only yours (${credentials.accessKeyId}, from the environment or your AWS profile).`,
    };
  const bad = (problem: string): SignatureVerdict => ({ ok: false, error: 'badSignature', problem });
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return bad(`the signed request has no X-Amz-Date ${presigned ? 'query parameter' : 'header'}.`);
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (expiresIn !== undefined) {
    // A presigned URL is good from its date (give or take AWS's 15 minutes of clock skew) for X-Amz-Expires seconds.
    if (!(date.getTime() - Date.now() <= SIGNATURE_WINDOW_MS)) return bad(`the presigned URL is dated ${amzDate}, in the future. Sign it again.`);
    if (Date.now() > date.getTime() + expiresIn * 1000)
      return bad(`the presigned URL expired ${expiresIn} s after ${amzDate}: AWS answers "Request has expired". Presign it again.`);
  } else if (!(Math.abs(Date.now() - date.getTime()) <= SIGNATURE_WINDOW_MS)) {
    // AWS refuses a signature more than 15 minutes from its own clock (a captured request can't be replayed later).
    return bad(`the signature is dated ${amzDate}, more than 15 minutes from now: AWS answers "Signature expired". Sign the request again.`);
  }
  const signed = new Set(signedHeaders.split(';'));
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (signed.has(name)) headers[name] = headers[name] === undefined ? req.rawHeaders[i + 1]! : `${headers[name]},${req.rawHeaders[i + 1]}`;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    if (presigned && PRESIGN_PARAMS.includes(name)) continue; // the signer computes these again
    const prior = query[name];
    query[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  // Loaded on the first signed request only: the runner's start does not pay for it.
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const signer = new SignatureV4({ credentials, region, service, sha256: NodeHash, uriEscapePath: true, applyChecksum: false });
  const request = { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: safeDecode(req.rawPath), query, headers, body: req.body };
  const options = { signingDate: date, signingRegion: region, signingService: service, signableHeaders: signed };
  let expected: string;
  if (expiresIn !== undefined) {
    const again = await signer.presign(request, { ...options, expiresIn });
    expected = String(again.query?.['X-Amz-Signature'] ?? '');
  } else {
    const again = await signer.sign(request, options);
    expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization ?? again.headers.Authorization))?.[1] ?? '';
  }
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature)))
    return bad(
      `the SigV4 signature does not match one computed with your credentials (${credentials.accessKeyId}): the request was signed with another secret, or changed after signing.`,
    );
  return { ok: true, identity };
}

function missing(problem: string): SignatureVerdict {
  return { ok: false, error: 'missingSignature', problem };
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
