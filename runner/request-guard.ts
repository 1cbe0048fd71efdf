// Who may use the runner's main port. It listens on 127.0.0.1, but so does every web page the user opens: a page
// can POST to http://127.0.0.1:3001 (a "simple" no-cors request needs no preflight), and a page on a DNS name that
// it re-points at 127.0.0.1 (DNS rebinding) can even read the answers. Without this, any page could create a
// function and run it. The policy is a pure function of a few request headers, so it is a table in its unit test,
// and cheap: a handful of string comparisons per request, nothing allocated on the way through.
//
// Per surface:
//   aws       Invoke API and local control plane of `start` and `serve`: what AWS clients send, an
//             `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header. Its shape is
//             checked, not the signature: any local credentials will do, as with `sam local start-lambda`. A browser
//             can't send that header cross-origin without a CORS preflight, which the runner refuses.
//   unsigned  `rie` (aws-lambda-rie's users curl it unsigned) and GetFunction's Code.Location (a presigned link that
//             checks its own signature): no Authorization needed.
//   token     The control API: its Bearer token is checked by control.ts.
// Every surface refuses a Host that is not a loopback name (DNS rebinding) and a browser's request (Origin, or
// Sec-Fetch-Site from another site) unless its origin was allowed on purpose (--allow-origin); an allowed origin
// gets CORS answers and needs no signature, since it was trusted by the person who started the runner.
//
// Refusals are Lambda's own error codes (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html):
// 403 MissingAuthenticationTokenException when there is no Authorization header (what AWS front ends answer an
// unsigned request), 403 IncompleteSignatureException when it is not SigV4-shaped, 403 AccessDeniedException for
// a foreign Host or Origin.

export type Surface = 'aws' | 'unsigned' | 'token';

/** The request headers the policy reads (Node lower-cases names; a repeated header is a comma-joined string). */
export interface GuardInput {
  method: string | undefined;
  host: string | undefined;
  origin: string | undefined;
  authorization: string | undefined;
  secFetchSite: string | undefined;
  /** Access-Control-Request-Method: present on a CORS preflight. */
  preflightMethod: string | undefined;
}

export type Verdict =
  | { kind: 'allow'; corsOrigin: string | undefined }
  | { kind: 'preflight'; corsOrigin: string }
  | { kind: 'refuse'; status: number; type: string; message: string };

const ALLOW: Verdict = { kind: 'allow', corsOrigin: undefined };
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export function judgeRequest(surface: Surface, r: GuardInput, allowedOrigins: ReadonlySet<string>): Verdict {
  if (r.host !== undefined && !isLoopbackHost(r.host)) {
    return refuse(
      403,
      'AccessDeniedException',
      `The runner answers only requests addressed to 127.0.0.1, localhost or [::1], and this one was for "${printable(r.host)}" (what a web page using DNS rebinding sends). Call it at http://127.0.0.1:<port>.`,
    );
  }
  if (r.origin !== undefined) {
    if (!allowedOrigins.has(r.origin)) return refuse(403, 'AccessDeniedException', browserRefusal(`from ${printable(r.origin)}`));
    if (r.method === 'OPTIONS' && r.preflightMethod !== undefined) return { kind: 'preflight', corsOrigin: r.origin };
    return { kind: 'allow', corsOrigin: r.origin };
  }
  // A browser request without Origin (a no-cors GET, an <img>): Sec-Fetch-Site says where it comes from.
  // "none" is the user typing the address; nothing else is wanted here.
  if (r.secFetchSite !== undefined && r.secFetchSite !== 'none') return refuse(403, 'AccessDeniedException', browserRefusal('made by a web page'));
  if (surface !== 'aws') return ALLOW;
  const auth = r.authorization;
  if (auth === undefined || auth === '') {
    return refuse(
      403,
      'MissingAuthenticationTokenException',
      'Missing Authentication Token: the runner takes requests signed the way AWS clients sign them (Signature Version 4). Use the AWS CLI or an SDK with any credentials (for example AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local), or send an "Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." header.',
    );
  }
  if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !auth.includes('Credential=') || !auth.includes('SignedHeaders=') || !auth.includes('Signature=')) {
    return refuse(
      403,
      'IncompleteSignatureException',
      'The Authorization header is not an AWS Signature Version 4 header ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."). Sign the request with the AWS CLI or an SDK; any credentials will do.',
    );
  }
  return ALLOW;
}

/** 127.0.0.1, localhost or [::1], with or without a port. */
export function isLoopbackHost(host: string): boolean {
  for (const name of LOOPBACK_HOSTS) {
    if (host.length >= name.length && host.slice(0, name.length).toLowerCase() === name) {
      const rest = host.slice(name.length);
      if (rest === '' || /^:\d{1,5}$/.test(rest)) return true;
    }
  }
  return false;
}

/** An origin as browsers send it: scheme://host[:port], lower case, no path. Undefined when it is not one. */
export function normalizeOrigin(value: string): string | undefined {
  const match = /^(https?):\/\/([^/?#\s]+?)\/?$/i.exec(value.trim());
  return match ? `${match[1]!.toLowerCase()}://${match[2]!.toLowerCase()}` : undefined;
}

/** Origins allowed from --allow-origin and OPEN_RUNTIME_ALLOW_ORIGINS (comma- or space-separated). */
export function allowedOriginsFrom(flags: readonly string[], env: string | undefined): { origins: Set<string>; bad: string[] } {
  const origins = new Set<string>();
  const bad: string[] = [];
  for (const value of [...flags, ...(env ?? '').split(/[\s,]+/)].filter(Boolean)) {
    const origin = normalizeOrigin(value);
    if (origin) origins.add(origin);
    else bad.push(value);
  }
  return { origins, bad };
}

/** Headers of a CORS answer to an allowed origin; the preflight's also say what may be sent. */
export function corsHeaders(origin: string, preflight: boolean, requestedHeaders: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    'Access-Control-Expose-Headers': 'X-Amz-Function-Error, X-Amz-Log-Result, X-Amz-Executed-Version, X-Amzn-RequestId, X-Amzn-ErrorType',
  };
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = 'GET, POST, PUT, DELETE';
    // Echoed only when it is a plain list of header names, so nothing odd goes back into a header.
    headers['Access-Control-Allow-Headers'] =
      requestedHeaders && /^[\w\-, ]{1,2000}$/.test(requestedHeaders)
        ? requestedHeaders
        : 'Authorization, Content-Type, X-Amz-Date, X-Amz-Invocation-Type, X-Amz-Log-Type, X-Amz-Client-Context, X-Amz-Security-Token, X-Amz-User-Agent';
    headers['Access-Control-Max-Age'] = '600';
  }
  return headers;
}

function browserRefusal(what: string): string {
  return `The runner refuses browser requests ${what}: a web page must not create or run functions on this machine. To let a page of yours call it, start the runner with --allow-origin <origin> (or set OPEN_RUNTIME_ALLOW_ORIGINS).`;
}

function refuse(status: number, type: string, message: string): Verdict {
  return { kind: 'refuse', status, type, message };
}

/** A header value quoted in a message: short, and without control characters. */
function printable(value: string): string {
  return value.slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
}
