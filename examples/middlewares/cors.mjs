// CORS headers on every HTTP response, as a long-lived middleware (cors.json says so): started once with
// `serve`, it answers one JSON line per request. The allowed origin comes from the function's CORS_ORIGIN.
import { createInterface } from 'node:readline';

const origin = process.env.CORS_ORIGIN ?? '*';
for await (const line of createInterface({ input: process.stdin })) {
  const { id, input } = JSON.parse(line);
  const output = input && typeof input === 'object' && 'statusCode' in input ? { ...input, headers: { ...input.headers, 'access-control-allow-origin': origin, vary: 'Origin' } } : input;
  process.stdout.write(`${JSON.stringify({ id, output })}\n`);
}
