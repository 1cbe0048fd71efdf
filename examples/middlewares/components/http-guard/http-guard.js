// A component middleware in JavaScript: world "middleware" of wit/middleware/middleware.wit, built by
// ../build.ts into middlewares/http-guard.wasm. The runner calls one export per hook, each in a fresh instance.
//   before:   an HTTP request with a method other than GET, HEAD or POST, or with a JSON body that does not
//             parse, is answered at once (405, 400): the function never runs. Any other event passes on.
//   after:    HTTP responses gain security headers.
//   on-error: the caller gets a 500 HTTP response carrying the request id, never the error's details.
// Every answer is one of the world's three: next (hand this JSON on), respond (answer now), fail (an error).

const ALLOWED = ['GET', 'HEAD', 'POST'];
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };

const next = (value) => ({ tag: 'next', val: JSON.stringify(value) });
const respond = (statusCode, message) => ({
  tag: 'respond',
  val: JSON.stringify({ statusCode, headers: { 'content-type': 'application/json', ...SECURITY_HEADERS }, body: JSON.stringify({ message }) }),
});

/** The request's method: HTTP API / Function URL (v2), REST API (v1) or ALB. */
function methodOf(event) {
  return event?.requestContext?.http?.method ?? event?.httpMethod;
}

export function before(eventText, ctx) {
  const event = JSON.parse(eventText);
  const method = methodOf(event);
  if (!method) return next(event);
  if (!ALLOWED.includes(method)) return respond(405, `Method ${method} is not allowed here: use ${ALLOWED.join(', ')}.`);
  const type = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (event.body && !event.isBase64Encoded && type.startsWith('application/json')) {
    try {
      JSON.parse(event.body);
    } catch (error) {
      return respond(400, `The body is not valid JSON (${error.message}).`);
    }
  }
  return next(event);
}

export function after(responseText, ctx) {
  const response = JSON.parse(responseText);
  if (response && typeof response === 'object' && 'statusCode' in response) {
    return next({ ...response, headers: { ...response.headers, ...SECURITY_HEADERS } });
  }
  return next(response);
}

export function onError(error, ctx) {
  return respond(500, `Internal error (request ${ctx.requestId}).`);
}
