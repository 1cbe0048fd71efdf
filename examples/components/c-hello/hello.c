// A handler-world component in C: greets the event's "name", counts its invocations, logs to stdout and
// reads GREETING from the function's Environment. Build: open-runtime build HelloComponentC.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "open_runtime_lambda.h"

// Lives as long as the instance: 1 on every invocation unless the function sets reuseInstance.
static int invocations = 0;

// The value of "key": "..." in a flat JSON object, copied into out (a real function would use a JSON parser).
static int json_string(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *at = strstr(json, pattern);
  if (!at) return 0;
  at = strchr(at + strlen(pattern), ':');
  if (!at) return 0;
  while (*++at == ' ') {}
  if (*at != '"') return 0;
  size_t n = 0;
  for (at++; *at && *at != '"' && n + 1 < size; at++) out[n++] = *at;
  out[n] = '\0';
  return 1;
}

lambda_result lambda_handle(const char *event, size_t event_len, const lambda_context *ctx) {
  (void)event_len;
  invocations++;
  char name[128];
  if (!json_string(event, "name", name, sizeof name)) {
    return lambda_error("MissingName", "The event has no \"name\" to greet, e.g. {\"name\": \"Ada\"}.");
  }
  const char *greeting = getenv("GREETING");
  printf("greeting %s in %s (request %s)\n", name, ctx->function_name, ctx->request_id);
  char *body = malloc(512);
  snprintf(body, 512, "{\"message\":\"%s, %s!\",\"invocations\":%d,\"memoryLimitMb\":%u}",
           greeting ? greeting : "Hello", name, invocations, ctx->memory_limit_mb);
  return lambda_ok_owned(body);
}
