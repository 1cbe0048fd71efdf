// A handler-world component in JavaScript (componentize-js, StarlingMonkey by default; QuickJS with
// `backend: quickjs`). `handle` gets the event as JSON text and the Lambda context; it returns the response as
// JSON text, or throws { errorType, errorMessage } for a typed error. Build: open-runtime build HelloComponentJs.

// Lives as long as the instance: 1 on every invocation unless the function sets reuseInstance.
let invocations = 0;

// QuickJS has no console; StarlingMonkey's console.log goes to stdout, i.e. the invocation's log.
const log = (...args) => globalThis.console?.log(...args);

export const handler = {
  handle(eventText, context) {
    invocations++;
    const event = JSON.parse(eventText);
    if (typeof event.name !== 'string') {
      throw { errorType: 'MissingName', errorMessage: 'The event has no "name" to greet, e.g. {"name": "Ada"}.' };
    }
    log(`greeting ${event.name} in ${context.functionName} (request ${context.requestId})`);
    // The deadline is in the context, as getRemainingTimeInMillis() is in Node.
    const remainingMs = Math.max(0, Number(context.deadlineMs) - Date.now());
    return JSON.stringify({ message: `Hello, ${event.name}!`, invocations, remainingMs });
  },
};
