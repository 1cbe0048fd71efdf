/*
 * C binding of the handler world (world "function" in ../lambda.wit), for components built with
 * clang --target=wasm32-wasi -mexec-model=reactor + `jco embed` + `jco new --wasi-reactor`
 * (`open-runtime build` runs all three).
 *
 * Include this header in exactly one .c file and define the handler:
 *
 *     #include "open_runtime_lambda.h"
 *
 *     lambda_result lambda_handle(const char *event, size_t event_len, const lambda_context *ctx) {
 *       printf("request %s\n", ctx->request_id);          // stdout goes to the invocation's log
 *       return lambda_ok("{\"hello\":\"world\"}");          // the response payload (JSON text)
 *       // or: return lambda_error("OrderNotFound", "no order %d", 42);
 *     }
 *
 * It implements the component model's canonical ABI for `handler.handle` by hand (no code generator needed):
 * the host passes strings in memory it allocates with `cabi_realloc`, the guest returns a pointer to a
 * result area, and the host calls the post-return function so the guest can free what it returned.
 */
#ifndef OPEN_RUNTIME_LAMBDA_H
#define OPEN_RUNTIME_LAMBDA_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Lambda context (record `context`). Strings are NUL-terminated and valid during the call. */
typedef struct {
  const char *request_id;
  uint64_t deadline_ms; /* milliseconds since the Unix epoch */
  const char *function_name;
  const char *invoked_function_arn;
  uint32_t memory_limit_mb;
  const char *client_context; /* JSON text, or NULL when the caller sent none */
} lambda_context;

/* What the handler returns: a response, or a typed error (record `function-error`). */
typedef struct {
  int ok;
  char *text;          /* ok: the response payload; error: the message */
  char *error_type;    /* error only */
} lambda_result;

/* Implemented by the function. `event` is the payload, JSON text, NUL-terminated. */
lambda_result lambda_handle(const char *event, size_t event_len, const lambda_context *ctx);

/* A response (copied). */
static inline lambda_result lambda_ok(const char *json) {
  lambda_result r = {1, strdup(json), NULL};
  return r;
}

/* A response the handler built with malloc; the binding frees it after the host read it. */
static inline lambda_result lambda_ok_owned(char *json) {
  lambda_result r = {1, json, NULL};
  return r;
}

/* A typed error: the caller gets {"errorType": type, "errorMessage": message}. printf-style message. */
static inline lambda_result lambda_error(const char *type, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(NULL, 0, format, args);
  va_end(args);
  char *message = malloc((size_t)(n > 0 ? n : 0) + 1);
  va_start(args, format);
  vsnprintf(message, (size_t)(n > 0 ? n : 0) + 1, format, args);
  va_end(args);
  lambda_result r = {0, message, strdup(type)};
  return r;
}

/* ---- canonical ABI glue --------------------------------------------------------------------------- */

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(old, new_size);
  if (!p) abort();
  return p;
}

/* Host strings arrive without a terminator; the guest owns them, so grow each by one byte for the NUL. */
static char *lambda__terminate(char *ptr, size_t len) {
  char *s = realloc(len ? ptr : NULL, len + 1);
  if (!s) abort();
  s[len] = '\0';
  return s;
}

/* result<string, function-error>: discriminant at 0, payload at 4 (ok: ptr,len; err: 2 x ptr,len). */
static uint8_t lambda__ret[20] __attribute__((aligned(4)));

static void lambda__set_string(size_t offset, char *text) {
  *(char **)(lambda__ret + offset) = text;
  *(size_t *)(lambda__ret + offset + 4) = text ? strlen(text) : 0;
}

__attribute__((export_name("open-runtime:lambda/handler@0.1.0#handle")))
uint8_t *lambda__export_handle(char *event, size_t event_len,
                               char *request_id, size_t request_id_len,
                               uint64_t deadline_ms,
                               char *function_name, size_t function_name_len,
                               char *arn, size_t arn_len,
                               uint32_t memory_limit_mb,
                               int32_t has_client_context, char *client_context, size_t client_context_len) {
  lambda_context ctx;
  ctx.request_id = lambda__terminate(request_id, request_id_len);
  ctx.deadline_ms = deadline_ms;
  ctx.function_name = lambda__terminate(function_name, function_name_len);
  ctx.invoked_function_arn = lambda__terminate(arn, arn_len);
  ctx.memory_limit_mb = memory_limit_mb;
  ctx.client_context = has_client_context ? lambda__terminate(client_context, client_context_len) : NULL;
  char *ev = lambda__terminate(event, event_len);

  lambda_result r = lambda_handle(ev, event_len, &ctx);
  fflush(stdout);
  fflush(stderr);

  free(ev);
  free((void *)ctx.request_id);
  free((void *)ctx.function_name);
  free((void *)ctx.invoked_function_arn);
  free((void *)ctx.client_context);

  memset(lambda__ret, 0, sizeof lambda__ret);
  if (r.ok) {
    lambda__ret[0] = 0;
    lambda__set_string(4, r.text ? r.text : strdup("null"));
  } else {
    lambda__ret[0] = 1;
    lambda__set_string(4, r.error_type ? r.error_type : strdup("Error"));
    lambda__set_string(12, r.text ? r.text : strdup(""));
  }
  return lambda__ret;
}

__attribute__((export_name("cabi_post_open-runtime:lambda/handler@0.1.0#handle")))
void lambda__post_handle(uint8_t *ret) {
  free(*(char **)(ret + 4));
  if (ret[0] == 1) free(*(char **)(ret + 12));
}

#endif
