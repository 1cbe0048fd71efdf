// HTTPS on the gateway's own port, so WebSocket handlers written for AWS work unmodified: they reach the
// @connections API at `https://${event.requestContext.domainName}/${stage}` (the AWS SDK's ApiGatewayManagementApiClient;
// boto3's apigatewaymanagementapi client), and locally domainName is 127.0.0.1:<port>. The port takes plain HTTP and
// TLS alike (the first byte of a TLS connection is 0x16, which no HTTP request starts with), with a certificate made
// for this run by `openssl` for 127.0.0.1, [::1] and localhost, and for nothing else (not a CA, so trusting it vouches for
// no other certificate). The runner's functions trust it: the runner points
// NODE_EXTRA_CA_CERTS (Node) and AWS_CA_BUNDLE (boto3, with the usual public roots kept in the bundle) at it. Nothing
// else does, and its private key never touches the disk after it is read.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, rootCertificates } from 'node:tls';
import { servePlainRequests, type PlainRoute } from '../plain-requests.ts';

export interface LocalCertificate {
  key: Buffer;
  cert: Buffer;
  /** The variables that make a function's AWS SDK trust the certificate (plus what the runner itself was given). */
  environment: Record<string, string>;
  /** Removes the certificate's folder. */
  dispose(): void;
}

/** A certificate for this run, or why there is none (no `openssl`): then the gateway serves plain HTTP only. */
export function makeLocalCertificate(env: NodeJS.ProcessEnv = process.env): LocalCertificate | { problem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'open-runtime-tls-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'gateway.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=Open Runtime local gateway',
      '-addext',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (made.status !== 0 || !existsSync(keyFile) || !existsSync(certFile)) {
    dispose();
    return { problem: `openssl could not make a certificate (${made.error?.message ?? made.stderr.trim().split('\n').at(-1)})` };
  }
  const key = readFileSync(keyFile);
  rmSync(keyFile);
  const cert = readFileSync(certFile);
  // NODE_EXTRA_CA_CERTS adds to Node's roots; AWS_CA_BUNDLE replaces boto3's, so it gets the public roots too. A
  // file the user already gave either keeps its certificates.
  const given = (name: string) => (env[name] && existsSync(env[name]!) ? `${readFileSync(env[name]!, 'utf8').trim()}\n` : '');
  const nodeFile = join(dir, 'node-extra-ca.pem');
  writeFileSync(nodeFile, `${given('NODE_EXTRA_CA_CERTS')}${cert.toString('utf8')}`);
  const bundleFile = join(dir, 'aws-ca-bundle.pem');
  writeFileSync(bundleFile, `${given('AWS_CA_BUNDLE') || `${rootCertificates.join('\n')}\n`}${cert.toString('utf8')}`);
  return { key, cert, environment: { NODE_EXTRA_CA_CERTS: nodeFile, AWS_CA_BUNDLE: bundleFile }, dispose };
}

const FIRST_BYTE_TIMEOUT_MS = 60_000;
/** TLS's first byte: a handshake record. */
const TLS_HANDSHAKE = 0x16;

/** Plain HTTP connections read without node:http while their requests are plain (plain-requests.ts). */
export interface PlainHttp {
  route: PlainRoute;
  /** `http`'s keepAliveTimeout. */
  idleMs: number;
  /** Connections the listener serves itself until it hands them to `http`: the owner closes them when it closes. */
  connections: Set<Socket>;
}

/**
 * A listener that hands each connection to `http`: as it is, or through TLS when it starts with a TLS handshake and
 * there is a certificate. Bytes are only peeked at (read, then put back), so HTTP sees the connection untouched.
 * With `plain`, a plain HTTP connection is first served by its route, which gives it to `http` at a request boundary
 * with the bytes not yet answered.
 */
export function acceptPlainAndTls(http: HttpServer, certificate: Pick<LocalCertificate, 'key' | 'cert'> | undefined, plain?: PlainHttp): NetServer {
  const tls = certificate ? createTlsServer({ key: certificate.key, cert: certificate.cert }, (secure) => http.emit('connection', secure)) : undefined;
  tls?.on('tlsClientError', (_error, socket) => socket.destroy());
  const toHttp = (socket: Socket, unread: Buffer) => {
    socket.pause();
    if (unread.length) socket.unshift(unread);
    http.emit('connection', socket);
    process.nextTick(() => socket.resume());
  };
  return createNetServer({ pauseOnConnect: true, noDelay: true, keepAlive: true }, (socket: Socket) => {
    socket.on('error', () => undefined);
    if (!tls && !plain) {
      http.emit('connection', socket);
      socket.resume();
      return;
    }
    if (plain) {
      plain.connections.add(socket);
      socket.once('close', () => plain.connections.delete(socket));
    }
    // A connection that never says its first byte is not kept for ever (node:http's header timeout starts after it).
    // Its own listener, taken off with the timer: setTimeout(0) alone leaves a callback given to setTimeout in place, and
    // that stale destroy() then closed any request answered after the next idle timeout (5 s) of whoever serves it next.
    const silent = () => socket.destroy();
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS);
    socket.once('timeout', silent);
    socket.once('data', (first: Buffer) => {
      socket.off('timeout', silent);
      socket.setTimeout(0);
      socket.pause();
      if (first[0] === TLS_HANDSHAKE && tls) {
        socket.unshift(first);
        tls.emit('connection', socket);
        process.nextTick(() => socket.resume());
      } else if (plain) {
        servePlainRequests(socket, first, plain.route, toHttp, plain.idleMs);
        socket.resume();
      } else toHttp(socket, first);
    });
    socket.resume();
  });
}
