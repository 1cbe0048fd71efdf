// A C component using key-value and config (issue 20): counts the visits of the event's "name" in the store
// "default" (atomics increment), remembers the last visitor (store set/get) and greets with the configured
// "greeting". {"bench": N} times N set+get pairs instead (bench/wasi.ts). Build: open-runtime build KvCounterC.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "open_runtime_lambda.h"
#include "open_runtime_capabilities.h"

static int json_field(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *at = strstr(json, pattern);
  if (!at || !(at = strchr(at + strlen(pattern), ':'))) return 0;
  while (*++at == ' ') {}
  size_t n = 0;
  if (*at == '"') at++;
  for (; *at && *at != '"' && *at != ',' && *at != '}' && n + 1 < size; at++) out[n++] = *at;
  out[n] = '\0';
  return n > 0;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static lambda_result bench(uint32_t bucket, int count) {
  char *body = malloc(16 + (size_t)count * 12);
  size_t at = 0;
  body[at++] = '[';
  static const char value[64] = "a value of sixty-four bytes, give or take, for the set+get pairs";
  for (int i = 0; i < count; i++) {
    char key[32];
    snprintf(key, sizeof key, "bench-%d", i % 16);
    double started = now_us();
    uint8_t *got = NULL;
    size_t len = 0;
    if (kv_set(bucket, key, value, sizeof value) != 0 || kv_get(bucket, key, &got, &len) < 0) return lambda_error("StoreError", "%s", kv_error());
    free(got);
    at += sprintf(body + at, "%s%d", i ? "," : "", (int)(now_us() - started + 0.5));
  }
  strcpy(body + at, "]");
  return lambda_ok_owned(body);
}

lambda_result lambda_handle(const char *event, size_t event_len, const lambda_context *ctx) {
  (void)event_len;
  (void)ctx;
  uint32_t bucket;
  if (kv_open("default", &bucket) != 0) return lambda_error("StoreError", "Could not open the store: %s", kv_error());
  char field[128];
  if (json_field(event, "bench", field, sizeof field)) {
    lambda_result r = bench(bucket, atoi(field));
    kv_close(bucket);
    return r;
  }
  if (!json_field(event, "name", field, sizeof field)) return lambda_error("MissingName", "The event has no \"name\", e.g. {\"name\": \"Ada\"}.");
  char key[160];
  snprintf(key, sizeof key, "visits:%s", field);
  uint64_t visits = 0;
  if (kv_increment(bucket, key, 1, &visits) != 0) return lambda_error("StoreError", "%s", kv_error());
  uint8_t *last = NULL;
  size_t last_len = 0;
  int had_last = kv_get(bucket, "last", &last, &last_len);
  if (had_last < 0) return lambda_error("StoreError", "%s", kv_error());
  if (kv_set(bucket, "last", field, strlen(field)) != 0) return lambda_error("StoreError", "%s", kv_error());
  kv_close(bucket);
  char *greeting = config_get("greeting");
  char *body = malloc(512);
  snprintf(body, 512, "{\"message\":\"%s, %s!\",\"visits\":%llu,\"previous\":\"%.*s\"}", greeting ? greeting : "Hello", field,
           (unsigned long long)visits, had_last ? (int)last_len : 0, had_last ? (char *)last : "");
  free(greeting);
  free(last);
  return lambda_ok_owned(body);
}
