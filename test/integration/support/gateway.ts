// Shared by the HTTP and WebSocket gateway tests: one request to the gateway as any HTTP client makes it (node:http,
// a new connection, the raw status, headers and bytes), the events a function saw, checked against
// @aws-lambda-powertools/parser's schemas of what API Gateway sends, the hash the SDK's SigV4 signer needs, and a
// refused WebSocket upgrade read as its status and body.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { APIGatewayProxyEventSchema, APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type WebSocket from 'ws';

export interface GatewayAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** `method path` to 127.0.0.1:`port`, the whole answer read. */
export function callGateway(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<GatewayAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The REST (payload 1.0) event an echoing function answered with; a 200 and a valid event are asserted. */
export function restEventOf(answer: GatewayAnswer): APIGatewayProxyEvent {
  assert.equal(answer.status, 200, answer.text);
  const event = JSON.parse(answer.text) as APIGatewayProxyEvent;
  APIGatewayProxyEventSchema.parse(event); // the schema strips what it does not know: check with it, read the original
  return event;
}

/** The HTTP API (payload 2.0) event, or one `schema` describes (a function URL's); as restEventOf. */
export function httpEventOf(answer: GatewayAnswer, schema = APIGatewayProxyEventV2Schema): APIGatewayProxyEventV2 {
  assert.equal(answer.status, 200, answer.text);
  const event = JSON.parse(answer.text) as APIGatewayProxyEventV2;
  schema.parse(event);
  return event;
}

/** node:crypto as the SDK's SigV4 signer's hash (`sha256:` of @smithy/signature-v4), as the SDK's Node hash does. */
export class NodeSha256 {
  private readonly h;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** Makes a refused upgrade of `ws` call `reject` with an Error carrying the answer's status and body. */
export function rejectRefusedUpgrade(ws: WebSocket, reject: (error: Error & { status?: number; body: string }) => void): void {
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.on('data', (c: Buffer) => (body += c.toString('utf8')));
    res.on('end', () => reject(Object.assign(new Error(`refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
  });
}
