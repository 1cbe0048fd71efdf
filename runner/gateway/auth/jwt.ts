// HTTP API JWT authorizers, checked as API Gateway checks them: the token from the identity source (a "Bearer "
// prefix is allowed), its issuer, its audience (`aud`, or `client_id` for access tokens without one), `exp` and `nbf`,
// the route's AuthorizationScopes against `scope` / `scp`, and its RS256 / ES256 (and 384 / 512) signature with
// node:crypto against the issuer's JWKS: `${issuer}/.well-known/jwks.json`, or a file or URL given with --jwks
// (OPEN_RUNTIME_JWKS) when the issuer is not reachable from here. --no-verify-jwt (OPEN_RUNTIME_NO_VERIFY_JWT=1)
// skips the signature only, for tokens signed by a provider this machine cannot reach; the runner warns at start.
// A failure is 401 {"message":"Unauthorized"} with a WWW-Authenticate header saying why, as AWS sends it.
// REST Cognito user-pool authorizers (authorizeCognito) use the same keys and signature check, with a REST API's
// rules: the token (raw, or after "Bearer ") must come from one of the authorizer's pools (`iss`), be an ID token
// (`token_use: id`) when the method has no AuthorizationScopes and an access token carrying one of them when it has,
// and be unexpired; any failure is REST's 401 {"message":"Unauthorized"}. Its claims go to
// requestContext.authorizer.claims, as strings, `exp` and `iat` as dates the way API Gateway writes them.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { HttpAuthorizer } from '../../functions/model.ts';
import { gatewayError } from '../responses.ts';
import type { AuthOutcome, AuthRequest } from './outcome.ts';
import { identityValues } from './lambda-authorizer.ts';

type JwtAuthorizer = Extract<HttpAuthorizer, { type: 'jwt' }>;
type CognitoAuthorizer = Extract<HttpAuthorizer, { type: 'cognito' }>;

export interface JwtOptions {
  /** Check signatures (the default); false: only the claims. */
  verifySignatures: boolean;
  /** A JWKS file path or URL used for every issuer instead of `${issuer}/.well-known/jwks.json`. */
  jwks?: string;
}

const HASHES: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
/** How long fetched keys are reused before the JWKS is read again. */
const JWKS_TTL_MS = 5 * 60_000;

export class JwtAuthorizers {
  private readonly opts: JwtOptions;
  /** JWKS by where it was read from. */
  private readonly keySets = new Map<string, { read: number; keys: JsonWebKey[]; error?: Error }>();

  constructor(opts: JwtOptions) {
    this.opts = opts;
  }

  clear(): void {
    this.keySets.clear();
  }

  async authorize(authorizer: JwtAuthorizer, scopes: readonly string[], r: AuthRequest): Promise<AuthOutcome> {
    const [raw] = identityValues([authorizer.identitySource], r);
    if (raw === undefined) return unauthorized(`the request has no token in ${authorizer.identitySource} for the JWT authorizer ${authorizer.name}.`, 'Bearer');
    const token = raw.replace(/^Bearer\s+/i, '');
    const parts = token.split('.');
    const header = parts.length === 3 ? decodePart(parts[0]!) : undefined;
    const claims = parts.length === 3 ? decodePart(parts[1]!) : undefined;
    if (!header || !claims) return invalid('the token is not a JWT (three base64url JSON parts)', authorizer);
    if (this.opts.verifySignatures) {
      const problem = await this.checkSignature(authorizer.issuer, header, parts as [string, string, string]);
      if (problem) return invalid(problem.reason, authorizer, problem.detail);
    }
    if (claims.iss !== authorizer.issuer)
      return invalid('the token has an invalid issuer', authorizer, `(${quote(claims.iss)}, the authorizer expects ${authorizer.issuer})`);
    if (authorizer.audience.length) {
      const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
      const audiences = aud.length ? aud : claims.client_id === undefined ? [] : [claims.client_id];
      if (!audiences.some((a) => authorizer.audience.includes(String(a))))
        return invalid(
          'the token does not have a valid audience',
          authorizer,
          `(it has ${quote(audiences)}, the authorizer accepts ${authorizer.audience.join(', ')})`,
        );
    }
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number') return invalid('the token has no exp claim', authorizer);
    if (claims.exp <= now) return invalid('the token has expired', authorizer);
    if (typeof claims.nbf === 'number' && claims.nbf > now) return invalid('the token is not valid yet (nbf)', authorizer);
    const tokenScopes =
      typeof claims.scope === 'string'
        ? claims.scope.split(' ').filter(Boolean)
        : Array.isArray(claims.scp)
          ? claims.scp.map(String)
          : typeof claims.scp === 'string'
            ? claims.scp.split(' ')
            : [];
    if (scopes.length && !scopes.some((s) => tokenScopes.includes(s))) {
      const answer = gatewayError(
        'notAuthorized',
        'http',
        `the token's scopes (${tokenScopes.join(' ') || 'none'}) include none of the route's AuthorizationScopes (${scopes.join(', ')}).`,
      );
      answer.headers.push([
        'www-authenticate',
        `Bearer scope="${scopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${scopes.join(' ')}]"`,
      ]);
      return { ok: false, answer };
    }
    return { ok: true, grant: { jwt: { claims: claimStrings(claims), scopes: tokenScopes.length ? tokenScopes : null } } };
  }

  /** A REST API's Cognito user-pool authorizer. `scopes`: the method's AuthorizationScopes. */
  async authorizeCognito(authorizer: CognitoAuthorizer, scopes: readonly string[], r: AuthRequest): Promise<AuthOutcome> {
    const refuse = (why: string): AuthOutcome => ({
      ok: false,
      answer: gatewayError('unauthorized', 'rest', `${why} (Cognito authorizer ${authorizer.name}); API Gateway answers 401.`),
    });
    const [raw] = identityValues([authorizer.identitySource], r);
    if (raw === undefined) return refuse(`the request has no token in ${authorizer.identitySource.replace(/^method\.request\.header\./, '')}`);
    const token = raw.replace(/^Bearer\s+/i, '');
    const parts = token.split('.');
    const header = parts.length === 3 ? decodePart(parts[0]!) : undefined;
    const claims = parts.length === 3 ? decodePart(parts[1]!) : undefined;
    if (!header || !claims) return refuse('the token is not a JWT (three base64url JSON parts)');
    const issuer = authorizer.issuers.find((i) => i === claims.iss);
    if (!issuer) return refuse(`the token's issuer ${quote(claims.iss)} is none of the authorizer's user pools (${authorizer.issuers.join(', ')})`);
    if (this.opts.verifySignatures) {
      const problem = await this.checkSignature(issuer, header, parts as [string, string, string]);
      if (problem) return refuse(`${problem.reason}${problem.detail ? ` ${problem.detail}` : ''}`);
    }
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number') return refuse('the token has no exp claim');
    if (claims.exp <= now) return refuse('the token has expired');
    const tokenScopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    if (scopes.length) {
      if (claims.token_use !== 'access')
        return refuse(
          `the method has AuthorizationScopes (${scopes.join(', ')}), so it takes an access token, and this one's token_use is ${quote(claims.token_use)}`,
        );
      if (!scopes.some((s) => tokenScopes.includes(s)))
        return refuse(`the access token's scopes (${tokenScopes.join(' ') || 'none'}) include none of the method's AuthorizationScopes (${scopes.join(', ')})`);
    } else if (claims.token_use !== 'id') {
      return refuse(`the method has no AuthorizationScopes, so it takes an ID token, and this one's token_use is ${quote(claims.token_use)}`);
    }
    return { ok: true, grant: { cognito: { claims: restClaimStrings(claims) } } };
  }

  /** Why the signature can't be trusted (what the caller is told, and more for the log), or undefined when it checks out. */
  private async checkSignature(
    issuer: string,
    header: Record<string, unknown>,
    [h, p, s]: [string, string, string],
  ): Promise<{ reason: string; detail?: string } | undefined> {
    const alg = String(header.alg);
    const hash = HASHES[alg];
    if (!hash)
      return { reason: 'the token signing method is invalid', detail: `(${quote(header.alg)}; RS256, RS384, RS512, ES256, ES384 and ES512 are checked)` };
    const source = this.opts.jwks ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
    let key: KeyObject | undefined;
    try {
      key = await this.keyFor(source, header.kid, alg);
    } catch (error) {
      return {
        reason: 'the signing keys could not be read',
        detail: `from ${source} (${(error as Error).message}); give a JWKS file with --jwks <file>, or start with --no-verify-jwt to skip signatures`,
      };
    }
    if (!key) return { reason: 'no signing key matches the token', detail: `(no key in ${source} has the kid ${quote(header.kid)})` };
    const ok = verify(hash, Buffer.from(`${h}.${p}`), alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
    return ok ? undefined : { reason: 'the token signature is invalid' };
  }

  private async keyFor(source: string, kid: unknown, alg: string): Promise<KeyObject | undefined> {
    const pick = (keys: JsonWebKey[]) =>
      keys.find((k) => (kid === undefined || k.kid === kid) && (k.alg === undefined || k.alg === alg) && k.kty === (alg.startsWith('ES') ? 'EC' : 'RSA'));
    let set = this.keySets.get(source);
    // An unknown kid reads the set again (the provider rotated its keys), and so does a failed read, at most every
    // 10 s: an unreachable issuer costs each request its answer, not a 5 s wait.
    if (!set || Date.now() - set.read > JWKS_TTL_MS || (!pick(set.keys) && Date.now() - set.read > 10_000)) {
      set = await readJwks(source).then(
        (keys) => ({ read: Date.now(), keys }),
        (error: Error) => ({ read: Date.now(), keys: [], error }),
      );
      this.keySets.set(source, set);
    }
    if (set.error) throw set.error;
    const jwk = pick(set.keys);
    return jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : undefined;
  }
}

async function readJwks(source: string): Promise<JsonWebKey[]> {
  const text = /^https?:\/\//i.test(source) ? await fetchText(source) : await readFile(source, 'utf8');
  const keys = (JSON.parse(text) as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new Error('it is not a JWKS ({ "keys": [...] })');
  return keys as JsonWebKey[];
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Claims as API Gateway passes them: strings, arrays as "[a b]", objects as JSON. */
function claimStrings(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims))
    out[name] =
      typeof value === 'string'
        ? value
        : Array.isArray(value)
          ? `[${value.join(' ')}]`
          : typeof value === 'object' && value !== null
            ? JSON.stringify(value)
            : String(value);
  return out;
}

/**
 * Claims as a REST API's Cognito authorizer passes them: strings, with `exp` and `iat` as dates ("Wed Dec 02 20:00:00
 * UTC 2026"), numbers such as auth_time as digits, booleans as "true", and arrays (cognito:groups) as their values
 * joined by commas: one group is its bare name, as deployed APIs show it.
 */
function restClaimStrings(claims: Record<string, unknown>): Record<string, string> {
  const out = claimStrings(claims);
  for (const [name, value] of Object.entries(claims)) if (Array.isArray(value)) out[name] = value.join(',');
  for (const name of ['exp', 'iat'])
    if (typeof claims[name] === 'number') {
      const d = new Date((claims[name] as number) * 1000);
      const [day, date, month, year, time] = d.toUTCString().replace(',', '').split(' ') as [string, string, string, string, string];
      // toUTCString: "Wed, 02 Dec 2026 20:00:00 GMT" -> "Wed Dec 02 20:00:00 UTC 2026"
      out[name] = `${day} ${month} ${date} ${time} UTC ${year}`;
    }
  return out;
}

/** A value from the token, short, for the log. */
function quote(value: unknown): string {
  return (JSON.stringify(value) ?? 'nothing').slice(0, 200);
}

/** `reason` is fixed text (it goes into a response header); `detail`, which may quote the token, only to the log. */
function invalid(reason: string, authorizer: JwtAuthorizer, detail?: string): AuthOutcome {
  return unauthorized(
    `${reason}${detail ? ` ${detail}` : ''} (JWT authorizer ${authorizer.name}).`,
    `Bearer scope="" error="invalid_token" error_description="${reason}"`,
  );
}

function unauthorized(problem: string, wwwAuthenticate: string): AuthOutcome {
  const answer = gatewayError('unauthorized', 'http', problem);
  answer.headers.push(['www-authenticate', wwwAuthenticate]);
  return { ok: false, answer };
}
