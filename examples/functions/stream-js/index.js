// A response-streaming handler (Function URL with InvokeMode RESPONSE_STREAM): the HTTP status and
// headers go first, then each chunk reaches the caller as it is written. `awslambda` is the global the
// Lambda Node runtime provides.
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const count = Number(event.chunks ?? 5);
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': context.awsRequestId },
  });
  for (let i = 1; i <= count; i++) {
    stream.write(`chunk ${i} of ${count}\n`);
    await delay(100);
  }
  console.log(`streamed ${count} chunks`);
  stream.end();
});
