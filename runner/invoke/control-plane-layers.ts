// The local control plane's Lambda layers, so that a function deployed to the runner runs as on Lambda: its
// package plus its layers' content at /opt (the Open Runtime layer's proxy and middlewares among them).
//   POST   /2018-10-31/layers/{name}/versions                 PublishLayerVersion (Content.ZipFile)
//   GET    /2018-10-31/layers/{name}/versions                 ListLayerVersions (newest first; ?CompatibleRuntime, ?CompatibleArchitecture)
//   GET    /2018-10-31/layers/{name}/versions/{n}             GetLayerVersion
//   DELETE /2018-10-31/layers/{name}/versions/{n}             DeleteLayerVersion
//   GET    /2018-10-31/layers?find=LayerVersion&Arn=ARN       GetLayerVersionByArn
//   GET    /2018-10-31/layers                                 ListLayers
// with Lambda's JSON shapes and error types. A version's zip is unpacked once, by content, under the deploy root;
// as on Lambda, a deleted version stays usable by the functions that already have it (their folder is kept).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ZipFormatError } from '../build/zip.ts';
import { unpackLayerBytes } from '../functions/layers.ts';
import { RUNTIMES, type Architecture } from '../functions/model.ts';
import { layerArn } from '../functions/arns.ts';
import { AwsError, BodyTooLargeError, decodeSegment, pageOf, readBody, sendAwsError, sendJson } from '../http-util.ts';
import type { LocalLambda } from '../local-lambda.ts';
import { checkDownloadSignature, downloadSignature } from './download-link.ts';

/** Lambda's limit on a PublishLayerVersion request (a 50 MB zip, base64-encoded, plus JSON). */
const MAX_LAYER_REQUEST_BYTES = 70_167_211;
/** Lambda's limit on the layers of one function. */
export const MAX_FUNCTION_LAYERS = 5;

interface LayerVersion {
  Content: { Location: string; CodeSha256: string; CodeSize: number };
  LayerArn: string;
  LayerVersionArn: string;
  Description: string;
  CreatedDate: string;
  Version: number;
  CompatibleRuntimes?: string[];
  CompatibleArchitectures?: Architecture[];
  LicenseInfo?: string;
}

interface StoredVersion {
  version: Omit<LayerVersion, 'Content'> & { Content: Omit<LayerVersion['Content'], 'Location'> };
  /** The unpacked content: what the function sees at /opt. */
  dir: string;
}

interface Layer {
  name: string;
  versions: StoredVersion[];
  /** Version numbers are never reused, even after a delete (as Lambda). */
  nextVersion: number;
}

/** What a function's Layers entry stands for: its configuration member and the folder shown at /opt. */
export interface AttachedLayer {
  Arn: string;
  CodeSize: number;
  dir: string;
}

const registries = new WeakMap<LocalLambda, Map<string, Layer>>();

function layersOf(lambda: LocalLambda): Map<string, Layer> {
  let layers = registries.get(lambda);
  if (!layers) registries.set(lambda, (layers = new Map()));
  return layers;
}

const LAYERS = /^\/2018-10-31\/layers\/?$/;
const LAYER = /^\/2018-10-31\/layers\/([^/]+)\/versions(?:\/([^/]+))?(\/content\.zip)?\/?$/;
/** GetLayerVersion's Content.Location, which callers fetch unsigned (it stands for a presigned S3 URL). */
export const LAYER_DOWNLOAD = /^\/2018-10-31\/layers\/[^/]+\/versions\/\d+\/content\.zip$/;
const LAYER_NAME = /^[a-zA-Z0-9-_]{1,140}$/;
const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:([a-zA-Z0-9-_]+):([0-9]+)$/;

const invalid = (message: string) => new AwsError(400, 'InvalidParameterValueException', message);
const missing = () => new AwsError(404, 'ResourceNotFoundException', 'The resource you requested does not exist.');

/** Answers the request if it is a layers call; returns false otherwise. `root` is where deployed code is unpacked. */
export function handleLayers(lambda: LocalLambda, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, root: string): boolean {
  const list = LAYERS.test(path);
  const match = list ? null : LAYER.exec(path);
  if (!list && !match) return false;
  const method = req.method ?? 'GET';
  const layers = layersOf(lambda);
  const host = req.headers.host ?? `127.0.0.1:${lambda.port}`;
  const run = async (): Promise<void> => {
    if (list) {
      req.resume();
      if (method !== 'GET') throw new AwsError(404, 'UnknownOperationException', `The local Lambda control plane has no ${method} ${path}.`);
      if (query.get('find') === 'LayerVersion') {
        const arn = query.get('Arn') ?? '';
        const found = versionByArn(layers, arn);
        if (!found) throw missing();
        sendJson(res, 200, withLocation(found.version, host));
        return;
      }
      sendJson(res, 200, listLayers(layers, query, host));
      return;
    }
    const name = layerName(decodeSegment(match![1]!, 'layer name'));
    const number = match![2] === undefined ? undefined : Number(decodeSegment(match![2], 'version number'));
    if (number !== undefined && (!Number.isInteger(number) || number < 1)) throw invalid(`The version number ${match![2]} is not a positive whole number.`);
    if (match![3]) {
      req.resume();
      checkDownloadSignature(query, 'GetLayerVersion (Content.Location)', 'layer', name, String(number));
      const found = layers.get(name)?.versions.find((v) => v.version.Version === number);
      if (!found) throw missing();
      const zip = readFileSync(`${found.dir}.zip`);
      res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': zip.length }).end(zip);
      return;
    }
    if (number === undefined && method === 'POST') {
      sendJson(res, 201, withLocation(await publishLayerVersion(layers, name, req, root), host));
      return;
    }
    req.resume();
    if (number === undefined && method === 'GET') {
      sendJson(res, 200, listLayerVersions(layers.get(name), query));
      return;
    }
    if (number !== undefined && method === 'GET') {
      const found = layers.get(name)?.versions.find((v) => v.version.Version === number);
      if (!found) throw missing();
      sendJson(res, 200, withLocation(found.version, host));
      return;
    }
    if (number !== undefined && method === 'DELETE') {
      const layer = layers.get(name);
      // Lambda answers a delete of a version that is not there (any more) the same way: done.
      if (layer) layer.versions = layer.versions.filter((v) => v.version.Version !== number);
      res.writeHead(204, { 'X-Amzn-RequestId': randomUUID() }).end();
      return;
    }
    throw new AwsError(
      404,
      'UnknownOperationException',
      `The local Lambda control plane has no ${method} ${path}. It serves PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayerVersions, ListLayers and DeleteLayerVersion.`,
    );
  };
  run().catch((err: unknown) => {
    if (err instanceof AwsError) sendAwsError(res, err.status, err.type, err.message);
    else if (!res.headersSent) sendAwsError(res, 500, 'ServiceException', `The local control plane failed: ${(err as Error).message}`);
    else res.destroy();
  });
  return true;
}

/**
 * A function's Layers (ARNs of layer versions published here), checked as Lambda checks them: each must exist,
 * at most five, none twice. For CreateFunction and UpdateFunctionConfiguration.
 */
export function attachLayers(lambda: LocalLambda, arns: unknown): AttachedLayer[] {
  if (!Array.isArray(arns) || arns.some((a) => typeof a !== 'string'))
    throw invalid('Layers must be a list of layer version ARNs (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION).');
  if (arns.length > MAX_FUNCTION_LAYERS) throw invalid(`Cannot reference more than ${MAX_FUNCTION_LAYERS} layers.`);
  const names = new Set<string>();
  return (arns as string[]).map((arn) => {
    const parsed = LAYER_VERSION_ARN.exec(arn);
    if (!parsed) {
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${arn}' at 'layers' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`,
      );
    }
    if (names.has(parsed[1]!)) throw invalid(`Two different versions of the same layer are not allowed: ${parsed[1]}.`);
    names.add(parsed[1]!);
    const found = versionByArn(layersOf(lambda), arn);
    if (!found) {
      throw invalid(
        `Layer version ${arn} does not exist. The local control plane has the layers published to it (PublishLayerVersion, or open-runtime deploy --target local); a layer published to AWS is not here.`,
      );
    }
    return { Arn: found.version.LayerVersionArn, CodeSize: found.version.Content.CodeSize, dir: found.dir };
  });
}

function layerName(raw: string): string {
  const fromArn = /^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:([a-zA-Z0-9-_]+)$/.exec(raw);
  const name = fromArn ? fromArn[1]! : raw;
  if (!LAYER_NAME.test(name)) {
    throw new AwsError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${raw}' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`,
    );
  }
  return name;
}

function versionByArn(layers: Map<string, Layer>, arn: string): StoredVersion | undefined {
  const parsed = LAYER_VERSION_ARN.exec(arn);
  if (!parsed) return undefined;
  return layers.get(parsed[1]!)?.versions.find((v) => v.version.LayerVersionArn === arn);
}

function withLocation(version: StoredVersion['version'], host: string): LayerVersion {
  const name = /:layer:([^:]+):/.exec(version.LayerVersionArn)![1]!;
  const n = String(version.Version);
  const location = `http://${host}/2018-10-31/layers/${encodeURIComponent(name)}/versions/${n}/content.zip?X-Amz-Signature=${downloadSignature('layer', name, n)}`;
  return { ...version, Content: { ...version.Content, Location: location } };
}

async function publishLayerVersion(layers: Map<string, Layer>, name: string, req: IncomingMessage, root: string): Promise<StoredVersion['version']> {
  let raw: Buffer;
  try {
    raw = await readBody(req, MAX_LAYER_REQUEST_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError)
      throw new AwsError(
        413,
        'RequestEntityTooLargeException',
        `Request must be smaller than ${MAX_LAYER_REQUEST_BYTES} bytes for the PublishLayerVersion operation`,
      );
    throw err;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
  } catch {
    throw new AwsError(400, 'SerializationException', 'The PublishLayerVersion request body is not a JSON object.');
  }
  const content = body.Content as Record<string, unknown> | undefined;
  if (content?.S3Bucket || content?.S3Key)
    throw invalid(
      "The local control plane takes a layer's content as ZipFile only: it can't read S3. Pass the zip itself (aws lambda publish-layer-version --zip-file fileb://layer.zip).",
    );
  if (typeof content?.ZipFile !== 'string' || !content.ZipFile)
    throw invalid('Content is required: pass Content.ZipFile (aws lambda publish-layer-version --zip-file fileb://layer.zip).');
  const runtimes = optionalList(body.CompatibleRuntimes, 'compatibleRuntimes', 15, (r) => (RUNTIMES as readonly string[]).includes(r) && r !== 'wasi');
  const architectures = optionalList(body.CompatibleArchitectures, 'compatibleArchitectures', 2, (a) => a === 'x86_64' || a === 'arm64') as
    | Architecture[]
    | undefined;
  if (body.Description !== undefined && (typeof body.Description !== 'string' || body.Description.length > 256))
    throw invalid('Description must be a string of at most 256 characters.');
  if (body.LicenseInfo !== undefined && (typeof body.LicenseInfo !== 'string' || body.LicenseInfo.length > 512))
    throw invalid('LicenseInfo must be a string of at most 512 characters.');
  const zip = Buffer.from(content.ZipFile, 'base64');
  let dir: string;
  try {
    dir = unpackLayerBytes(zip, join(root, 'layers'));
  } catch (err) {
    if (err instanceof ZipFormatError) throw invalid(`Could not unzip uploaded file. Please check your file, then try to upload again. (${err.message})`);
    throw err;
  }
  if (!existsSync(`${dir}.zip`)) writeFileSync(`${dir}.zip`, zip);
  let layer = layers.get(name);
  if (!layer) layers.set(name, (layer = { name, versions: [], nextVersion: 1 }));
  const number = layer.nextVersion++;
  const version: StoredVersion['version'] = {
    Content: { CodeSha256: createHash('sha256').update(zip).digest('base64'), CodeSize: zip.length },
    LayerArn: layerArn(name),
    LayerVersionArn: layerArn(name, number),
    Description: typeof body.Description === 'string' ? body.Description : '',
    CreatedDate: new Date().toISOString().replace('Z', '+0000'),
    Version: number,
    ...(runtimes ? { CompatibleRuntimes: runtimes } : {}),
    ...(architectures ? { CompatibleArchitectures: architectures } : {}),
    ...(typeof body.LicenseInfo === 'string' ? { LicenseInfo: body.LicenseInfo } : {}),
  };
  layer.versions.push({ version, dir });
  return version;
}

function optionalList(value: unknown, member: string, max: number, valid: (v: string) => boolean): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > max || value.some((v) => typeof v !== 'string' || !valid(v))) {
    throw new AwsError(
      400,
      'ValidationException',
      `1 validation error detected: Value ${JSON.stringify(value)} at '${member}' failed to satisfy constraint: Member must have at most ${max} items, each one of Lambda's values`,
    );
  }
  return value as string[];
}

/** ListLayerVersions' items: newest first, filtered by a compatible runtime or architecture, paged. */
function listLayerVersions(layer: Layer | undefined, query: URLSearchParams): Record<string, unknown> {
  const runtime = query.get('CompatibleRuntime');
  const architecture = query.get('CompatibleArchitecture');
  const items = [...(layer?.versions ?? [])]
    .reverse()
    .filter(
      ({ version: v }) =>
        (!runtime || v.CompatibleRuntimes?.includes(runtime)) && (!architecture || v.CompatibleArchitectures?.includes(architecture as Architecture)),
    )
    .map(({ version: { Content: _content, LayerArn: _arn, ...item } }) => item);
  return pageOf(query, items, 'LayerVersions', 50);
}

function listLayers(layers: Map<string, Layer>, query: URLSearchParams, host: string): Record<string, unknown> {
  const items = [...layers.values()]
    .filter((l) => l.versions.length)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((l) => {
      const { Content: _content, LayerArn, ...latest } = withLocation(l.versions[l.versions.length - 1]!.version, host);
      return { LayerName: l.name, LayerArn, LatestMatchingVersion: latest };
    });
  return pageOf(query, items, 'Layers', 50);
}
