// An HTTP API / API Gateway handler in TypeScript: says hello to ?name=... or to the JSON body's name.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';

type HttpEvent = Partial<APIGatewayProxyEvent> | Partial<APIGatewayProxyEventV2>;

function nameFrom(event: HttpEvent): string {
  const fromQuery = event.queryStringParameters?.name;
  if (fromQuery) return fromQuery;
  if (!event.body) return 'world';
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const parsed = JSON.parse(text) as { name?: unknown };
    return typeof parsed.name === 'string' && parsed.name ? parsed.name : 'world';
  } catch {
    return 'world';
  }
}

export const handler = async (event: HttpEvent, context: Context): Promise<APIGatewayProxyResult> => {
  const name = nameFrom(event);
  const greeting = process.env.GREETING ?? 'Hello';
  console.log(`greeting ${name} (request ${context.awsRequestId}, stage ${process.env.STAGE ?? 'unknown'})`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `${greeting}, ${name}!`, requestId: context.awsRequestId }),
  };
};
