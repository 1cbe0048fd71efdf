// An HTTP API handler in TypeScript wrapped in a Middy chain: headers normalised, the JSON body parsed, then
// validated against a schema, errors turned into HTTP responses. "Show middleware chain" above the handler
// draws the event, context and response types at each step.
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import validator from '@middy/validator';
import { transpileSchema } from '@middy/validator/transpile';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

interface Greeting {
  name: string;
  language?: 'en' | 'fr' | 'de';
}

/** The event as the handler sees it: the parser has replaced the JSON text of the body with the object. */
type GreetingEvent = Omit<APIGatewayProxyEvent, 'body'> & { body: Greeting };

const eventSchema = transpileSchema({
  type: 'object',
  required: ['body'],
  properties: {
    body: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        language: { type: 'string', enum: ['en', 'fr', 'de'] },
      },
    },
  },
});

const HELLO = { en: 'Hello', fr: 'Bonjour', de: 'Hallo' } as const;

async function greet(event: GreetingEvent, context: Context): Promise<APIGatewayProxyResult> {
  const { name, language = 'en' } = event.body;
  console.log(`greeting ${name} in ${language} (request ${context.awsRequestId})`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `${HELLO[language]}, ${name}!`, requestId: context.awsRequestId }),
  };
}

export const handler = middy<GreetingEvent, APIGatewayProxyResult>()
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(validator({ eventSchema }))
  .use(httpErrorHandler())
  .handler(greet);
