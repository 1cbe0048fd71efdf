// A CloudEvent-based function: behind the built-in cloudevents middleware it gets one CloudEvent per record
// (SQS, SNS, S3, Kinesis ...) or per request, whatever the AWS event was. Throwing fails only that record:
// the middleware reports it in batchItemFailures for SQS, Kinesis and DynamoDB Streams.
export const handler = async (event) => {
  console.log(`${event.type} from ${event.source} (${event.id})`);
  if (event.data && typeof event.data === 'object' && event.data.reject) throw new Error(`rejected ${event.id}`);
  return { handled: event.id, type: event.type };
};
