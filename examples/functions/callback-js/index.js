// A CommonJS handler in the older callback style. It also shows what the context object holds.
exports.handler = function (event, context, callback) {
  console.log('event received', JSON.stringify(event));
  const result = {
    echo: event,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    remainingTimeInMillis: context.getRemainingTimeInMillis(),
  };
  // Node-style: callback(error, result). setImmediate shows the response goes out after the handler returned.
  setImmediate(() => callback(null, result));
};
