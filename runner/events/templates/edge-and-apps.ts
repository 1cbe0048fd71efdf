// Application-facing callers: CloudFront (Lambda@Edge), AppSync (resolvers and Events), Lex V2 bots and
// SES inbound mail.
import type { CloudFrontHeaders, CloudFrontRequestEvent, CloudFrontResponseEvent, LexV2Event, LexV2Slots } from 'aws-lambda';
import { CLIENT_IP, EVENT_TIME_MS, FUNCTION_ARN, REGION, USER_AGENT, isoTime, stableAlnum, stableDigits, stableUuid } from '../aws-values.ts';
import { JsonObject, StringMap, defineTemplate, parseJsonField, type EventTemplate } from '../template.ts';

// ------------------------------------------------------------------------------------------- CloudFront (Edge)

const DISTRIBUTION_ID = 'EDFDVBD6EXAMPLE';
const DISTRIBUTION_DOMAIN = 'd111111abcdef8.cloudfront.net';
const ORIGIN_DOMAIN = 'orders-origin.example.com';

/** CloudFront's header map: lowercase name -> [{ key: original case, value }]. */
function cloudFrontHeaders(headers: Record<string, string>): CloudFrontHeaders {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), [{ key, value }]]));
}

const cloudFrontConfig = (eventType: 'viewer-request' | 'viewer-response' | 'origin-request' | 'origin-response') => ({
  distributionDomainName: DISTRIBUTION_DOMAIN,
  distributionId: DISTRIBUTION_ID,
  eventType,
  requestId: `${stableAlnum(`cloudfront/${eventType}`, 54)}==`,
});

const viewerHeaders = { Host: DISTRIBUTION_DOMAIN, 'User-Agent': USER_AGENT, Accept: '*/*', 'Accept-Encoding': 'gzip, br' };
const originHeaders = {
  ...viewerHeaders,
  'X-Forwarded-For': CLIENT_IP,
  Via: `2.0 ${stableAlnum('cloudfront/via', 32).toLowerCase()}.cloudfront.net (CloudFront)`,
  'CloudFront-Viewer-Country': 'US',
  'CloudFront-Forwarded-Proto': 'https',
  'CloudFront-Is-Desktop-Viewer': 'true',
  'CloudFront-Is-Mobile-Viewer': 'false',
};
const customOrigin = {
  custom: {
    customHeaders: {},
    domainName: ORIGIN_DOMAIN,
    keepaliveTimeout: 5,
    path: '',
    port: 443,
    protocol: 'https' as const,
    readTimeout: 30,
    sslProtocols: ['TLSv1.2'],
  },
};

const uriField = { name: 'uri' as const, prompt: 'Request URI', default: '/orders/42' };
const querystringField = { name: 'querystring' as const, prompt: 'Query string without the "?"', default: 'lang=en' };
const edgeMethodField = {
  name: 'method' as const,
  prompt: 'HTTP method',
  default: 'GET',
  kind: 'choice' as const,
  choices: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
};
const statusField = { name: 'status' as const, prompt: 'Response status code', default: '200', kind: 'integer' as const, min: 100, max: 599 };

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '301': 'Moved Permanently',
  '302': 'Found',
  '304': 'Not Modified',
  '403': 'Forbidden',
  '404': 'Not Found',
  '500': 'Internal Server Error',
  '503': 'Service Unavailable',
};
const responseHeaders = () =>
  cloudFrontHeaders({
    'Content-Type': 'application/json',
    'Content-Length': '44',
    'Cache-Control': 'max-age=60',
    Date: new Date(EVENT_TIME_MS).toUTCString(),
    Server: 'nginx',
  });

const viewerRequest = defineTemplate({
  id: 'cloudfront-viewer-request',
  source: 'Amazon CloudFront',
  label: 'CloudFront viewer request (Lambda@Edge)',
  description: 'A viewer request reaches the edge before the cache: rewrite the URI, add headers or answer directly.',
  fields: [uriField, querystringField, edgeMethodField],
  render: (v): CloudFrontRequestEvent => ({
    Records: [
      {
        cf: {
          config: cloudFrontConfig('viewer-request'),
          request: { clientIp: CLIENT_IP, headers: cloudFrontHeaders(viewerHeaders), method: v.method, querystring: v.querystring, uri: v.uri },
        },
      },
    ],
  }),
});

const originRequest = defineTemplate({
  id: 'cloudfront-origin-request',
  source: 'Amazon CloudFront',
  label: 'CloudFront origin request (Lambda@Edge)',
  description: 'A cache miss on its way to the origin: the request with the CloudFront-* headers and the custom origin.',
  fields: [uriField, querystringField, edgeMethodField],
  render: (v): CloudFrontRequestEvent => ({
    Records: [
      {
        cf: {
          config: cloudFrontConfig('origin-request'),
          request: {
            clientIp: CLIENT_IP,
            headers: cloudFrontHeaders(originHeaders),
            method: v.method,
            origin: customOrigin,
            querystring: v.querystring,
            uri: v.uri,
          },
        },
      },
    ],
  }),
});

const originResponse = defineTemplate({
  id: 'cloudfront-origin-response',
  source: 'Amazon CloudFront',
  label: 'CloudFront origin response (Lambda@Edge)',
  description: 'The origin answered, before CloudFront caches the response: change status or headers.',
  fields: [uriField, statusField],
  render: (v): CloudFrontResponseEvent => ({
    Records: [
      {
        cf: {
          config: cloudFrontConfig('origin-response'),
          request: { clientIp: CLIENT_IP, headers: cloudFrontHeaders(originHeaders), method: 'GET', origin: customOrigin, querystring: '', uri: v.uri },
          response: { status: v.status, statusDescription: STATUS_TEXT[v.status] ?? '', headers: responseHeaders() },
        },
      },
    ],
  }),
});

const viewerResponse = defineTemplate({
  id: 'cloudfront-viewer-response',
  source: 'Amazon CloudFront',
  label: 'CloudFront viewer response (Lambda@Edge)',
  description: 'The response on its way back to the viewer: add security headers and the like.',
  fields: [uriField, statusField],
  render: (v): CloudFrontResponseEvent => ({
    Records: [
      {
        cf: {
          config: cloudFrontConfig('viewer-response'),
          request: { clientIp: CLIENT_IP, headers: cloudFrontHeaders(viewerHeaders), method: 'GET', querystring: '', uri: v.uri },
          response: { status: v.status, statusDescription: STATUS_TEXT[v.status] ?? '', headers: responseHeaders() },
        },
      },
    ],
  }),
});

// --------------------------------------------------------------------------------------------------------- AppSync

const APPSYNC_POOL = `${REGION}_Ab12Cd34E`;
const APPSYNC_SUB = stableUuid('cognito/ada');

const appSyncResolver = defineTemplate({
  id: 'appsync-resolver',
  source: 'AWS AppSync',
  label: 'AppSync direct Lambda resolver',
  description: 'A GraphQL field resolved by the function (direct Lambda resolver) for a user signed in with a Cognito user pool.',
  fields: [
    { name: 'parentTypeName', prompt: 'Parent type', default: 'Query', kind: 'choice', choices: ['Query', 'Mutation', 'Subscription'] },
    { name: 'fieldName', prompt: 'Field name', default: 'getOrder' },
    { name: 'arguments', prompt: 'Field arguments as a JSON object', default: '{"id":"42"}', kind: 'json', schema: JsonObject },
    { name: 'selection', prompt: 'Selected fields, comma separated', default: 'id,status,total' },
  ],
  render: (v) => {
    const selection = v.selection
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const args = parseJsonField<Record<string, unknown>>(v.arguments);
    return {
      arguments: args,
      identity: {
        claims: {
          sub: APPSYNC_SUB,
          email_verified: true,
          iss: `https://cognito-idp.${REGION}.amazonaws.com/${APPSYNC_POOL}`,
          'cognito:username': 'ada',
          aud: '1example23456789abcdefghij',
          token_use: 'id',
          auth_time: EVENT_TIME_MS / 1000 - 300,
          exp: EVENT_TIME_MS / 1000 + 3300,
          iat: EVENT_TIME_MS / 1000 - 300,
          email: 'ada@example.com',
        },
        defaultAuthStrategy: 'ALLOW',
        groups: null,
        issuer: `https://cognito-idp.${REGION}.amazonaws.com/${APPSYNC_POOL}`,
        sourceIp: [CLIENT_IP],
        sub: APPSYNC_SUB,
        username: 'ada',
      },
      source: null,
      request: {
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          host: 'abcdefghijklmnopqrstuvwxyz.appsync-api.us-east-1.amazonaws.com',
          'user-agent': USER_AGENT,
          'x-forwarded-for': CLIENT_IP,
          'x-amzn-requestid': stableUuid('appsync-resolver/request'),
        },
        domainName: null,
      },
      prev: null,
      info: {
        selectionSetList: selection,
        selectionSetGraphQL: `{\n  ${selection.join('\n  ')}\n}`,
        parentTypeName: v.parentTypeName,
        fieldName: v.fieldName,
        variables: args,
      },
      stash: {},
    };
  },
});

const appSyncEventsPublish = defineTemplate({
  id: 'appsync-events-publish',
  source: 'AWS AppSync',
  label: 'AppSync Events publish handler',
  description: 'Events published to an AppSync Events channel namespace with an onPublish Lambda handler.',
  fields: [
    { name: 'channel', prompt: 'Channel path', default: '/default/orders' },
    { name: 'payload', prompt: 'Event payload as a JSON object', default: '{"orderId":"42","status":"PLACED"}', kind: 'json', schema: JsonObject },
  ],
  render: (v) => {
    const segments = v.channel.split('/').filter(Boolean);
    return {
      identity: null,
      result: null,
      request: { headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT }, domainName: null },
      info: { channel: { path: v.channel, segments }, channelNamespace: { name: segments[0] ?? 'default' }, operation: 'PUBLISH' },
      error: null,
      prev: null,
      stash: {},
      outErrors: [],
      events: [{ payload: parseJsonField(v.payload), id: stableUuid('appsync-events-publish/event') }],
    };
  },
});

// --------------------------------------------------------------------------------------------------------- Lex V2

const lexV2 = defineTemplate({
  id: 'lex-v2',
  source: 'Amazon Lex',
  label: 'Lex V2 code hook',
  description: 'A Lex V2 bot calling its code hook with the recognised intent and slot values.',
  fields: [
    { name: 'botName', prompt: 'Bot name', default: 'OrderBot' },
    { name: 'intentName', prompt: 'Intent name', default: 'OrderCoffee' },
    { name: 'inputTranscript', prompt: 'What the user said', default: 'two large lattes please' },
    {
      name: 'slots',
      prompt: 'Slot values as a JSON object of strings',
      default: '{"drink":"latte","size":"large","quantity":"2"}',
      kind: 'json',
      schema: StringMap,
    },
    { name: 'invocationSource', prompt: 'Code hook', default: 'DialogCodeHook', kind: 'choice', choices: ['DialogCodeHook', 'FulfillmentCodeHook'] },
  ],
  render: (v): LexV2Event => {
    const slots: LexV2Slots = Object.fromEntries(
      Object.entries(parseJsonField<Record<string, string>>(v.slots)).map(([name, value]) => [
        name,
        { shape: 'Scalar', value: { originalValue: value, interpretedValue: value, resolvedValues: [value] } },
      ]),
    );
    const fulfilling = v.invocationSource === 'FulfillmentCodeHook';
    const intent = {
      name: v.intentName,
      slots,
      state: fulfilling ? ('ReadyForFulfillment' as const) : ('InProgress' as const),
      confirmationState: 'None' as const,
    };
    return {
      messageVersion: '1.0',
      invocationSource: v.invocationSource as LexV2Event['invocationSource'],
      inputMode: 'Text',
      responseContentType: 'text/plain; charset=utf-8',
      sessionId: stableDigits('lex-v2/session', 15),
      inputTranscript: v.inputTranscript,
      bot: {
        id: stableAlnum('lex-v2/bot', 10).toUpperCase(),
        name: v.botName,
        aliasId: 'TSTALIASID',
        aliasName: 'TestBotAlias',
        localeId: 'en_US',
        version: 'DRAFT',
      },
      interpretations: [{ intent, nluConfidence: 0.94 }, { intent: { name: 'FallbackIntent', slots: {}, state: 'InProgress', confirmationState: 'None' } }],
      proposedNextState: { dialogAction: { type: 'Close' }, intent },
      sessionState: { sessionAttributes: {}, intent, originatingRequestId: stableUuid('lex-v2/request') },
      transcriptions: [],
    };
  },
});

// ------------------------------------------------------------------------------------------------------------ SES

const sesReceive = defineTemplate({
  id: 'ses-receive',
  source: 'Amazon SES',
  label: 'SES inbound email',
  description: 'An email received by SES with a receipt rule whose Lambda action is invoked asynchronously (headers, verdicts; no body).',
  fields: [
    { name: 'from', prompt: 'Sender address', default: 'ada@example.com' },
    { name: 'to', prompt: 'Recipient address', default: 'orders@example.org' },
    { name: 'subject', prompt: 'Subject', default: 'Order 42: change of address' },
  ],
  render: (v) => {
    const messageId = stableAlnum('ses-receive/message', 40).toLowerCase();
    const rfcMessageId = `<${stableUuid('ses-receive/rfc-message')}@mail.example.com>`;
    const date = new Date(EVENT_TIME_MS - 2_000).toUTCString().replace('GMT', '+0000');
    return {
      Records: [
        {
          eventSource: 'aws:ses',
          eventVersion: '1.0',
          ses: {
            mail: {
              timestamp: isoTime(),
              source: v.from,
              messageId,
              destination: [v.to],
              headersTruncated: false,
              headers: [
                { name: 'Return-Path', value: `<${v.from}>` },
                {
                  name: 'Received',
                  value: `from mail.example.com (mail.example.com [${CLIENT_IP}]) by inbound-smtp.${REGION}.amazonaws.com with SMTP id ${messageId} for ${v.to}; ${date}`,
                },
                { name: 'From', value: v.from },
                { name: 'To', value: v.to },
                { name: 'Subject', value: v.subject },
                { name: 'Date', value: date },
                { name: 'Message-ID', value: rfcMessageId },
                { name: 'MIME-Version', value: '1.0' },
                { name: 'Content-Type', value: 'text/plain; charset=UTF-8' },
              ],
              commonHeaders: { returnPath: v.from, from: [v.from], date, to: [v.to], messageId: rfcMessageId, subject: v.subject },
            },
            receipt: {
              timestamp: isoTime(),
              processingTimeMillis: 574,
              recipients: [v.to],
              spamVerdict: { status: 'PASS' },
              virusVerdict: { status: 'PASS' },
              spfVerdict: { status: 'PASS' },
              dkimVerdict: { status: 'PASS' },
              dmarcVerdict: { status: 'PASS' },
              dmarcPolicy: 'none',
              action: { type: 'Lambda', functionArn: FUNCTION_ARN, invocationType: 'Event' },
            },
          },
        },
      ],
    };
  },
});

export const edgeAndAppTemplates: EventTemplate[] = [
  viewerRequest,
  viewerResponse,
  originRequest,
  originResponse,
  appSyncResolver,
  appSyncEventsPublish,
  lexV2,
  sesReceive,
];
