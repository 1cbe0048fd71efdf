/*
 * Open Runtime: the key-value (wasi:keyvalue@0.2.0-draft) and config (wasi:config@0.2.0-draft) imports for C
 * components, written against the component model's canonical ABI (what wit-bindgen would generate, for the
 * few calls a function needs). Include it after open_runtime_lambda.h, in the same one .c file; the function
 * must be granted the capabilities in its template (component.keyValue, component.config).
 *
 *     uint32_t bucket;
 *     if (kv_open("default", &bucket) != 0) return lambda_error("StoreError", "%s", kv_error());
 *     uint64_t visits;
 *     kv_increment(bucket, "visits", 1, &visits);
 *     char *greeting = config_get("greeting");   // malloc'd, or NULL when not set
 *     kv_close(bucket);
 */
#ifndef OPEN_RUNTIME_CAPABILITIES_H
#define OPEN_RUNTIME_CAPABILITIES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KV_STORE "wasi:keyvalue/store@0.2.0-draft"

__attribute__((import_module(KV_STORE), import_name("open")))
extern void cap__kv_open(const char *name, size_t name_len, void *ret);
__attribute__((import_module(KV_STORE), import_name("[method]bucket.get")))
extern void cap__kv_get(uint32_t bucket, const char *key, size_t key_len, void *ret);
__attribute__((import_module(KV_STORE), import_name("[method]bucket.set")))
extern void cap__kv_set(uint32_t bucket, const char *key, size_t key_len, const void *value, size_t value_len, void *ret);
__attribute__((import_module(KV_STORE), import_name("[resource-drop]bucket")))
extern void cap__kv_drop(uint32_t bucket);
__attribute__((import_module("wasi:keyvalue/atomics@0.2.0-draft"), import_name("increment")))
extern void cap__kv_increment(uint32_t bucket, const char *key, size_t key_len, uint64_t delta, void *ret);
__attribute__((import_module("wasi:config/store@0.2.0-draft"), import_name("get")))
extern void cap__config_get(const char *key, size_t key_len, void *ret);

/* Results come back in a buffer laid out by the canonical ABI: a tag byte, then the payload at its alignment. */
static uint8_t cap__ret[24] __attribute__((aligned(8)));
static char cap__error[512];

#define CAP__U32(offset) (*(uint32_t *)(cap__ret + (offset)))

/* Keeps the error variant at `offset` (tag, then a string for other/upstream/io) as text for kv_error(). */
static int cap__failed(size_t offset) {
  static const char *names[] = {"no-such-store", "access-denied", "other"};
  uint8_t tag = cap__ret[offset];
  if (tag == 2) {
    size_t len = CAP__U32(offset + 8);
    char *text = (char *)(uintptr_t)CAP__U32(offset + 4);
    size_t n = len < sizeof cap__error - 1 ? len : sizeof cap__error - 1;
    memcpy(cap__error, text, n);
    cap__error[n] = '\0';
    free(text);
  } else {
    strcpy(cap__error, tag < 2 ? names[tag] : "unknown error");
  }
  return -1;
}

/** The last failure's text (no-such-store, access-denied, or what the provider said). */
static inline const char *kv_error(void) { return cap__error; }

/** Opens the store the function was granted under `name`. 0, or -1 (see kv_error). */
static inline int kv_open(const char *name, uint32_t *bucket) {
  cap__kv_open(name, strlen(name), cap__ret);
  if (cap__ret[0]) return cap__failed(4);
  *bucket = CAP__U32(4);
  return 0;
}

/** 1 and a malloc'd value (free it) when the key is set, 0 when it is not, -1 on failure. */
static inline int kv_get(uint32_t bucket, const char *key, uint8_t **value, size_t *len) {
  cap__kv_get(bucket, key, strlen(key), cap__ret);
  if (cap__ret[0]) return cap__failed(4);
  if (!cap__ret[4]) return 0;
  *value = (uint8_t *)(uintptr_t)CAP__U32(8);
  *len = CAP__U32(12);
  return 1;
}

/** 0, or -1 on failure. */
static inline int kv_set(uint32_t bucket, const char *key, const void *value, size_t len) {
  cap__kv_set(bucket, key, strlen(key), value, len, cap__ret);
  return cap__ret[0] ? cap__failed(4) : 0;
}

/** Adds delta to the number at key (absent counts as 0); the new value in *out. 0, or -1 on failure. */
static inline int kv_increment(uint32_t bucket, const char *key, uint64_t delta, uint64_t *out) {
  cap__kv_increment(bucket, key, strlen(key), delta, cap__ret);
  if (cap__ret[0]) return cap__failed(8);
  *out = *(uint64_t *)(cap__ret + 8);
  return 0;
}

static inline void kv_close(uint32_t bucket) { cap__kv_drop(bucket); }

/** The config value of key as a malloc'd string (free it), or NULL when it is not set or cannot be read. */
static inline char *config_get(const char *key) {
  cap__config_get(key, strlen(key), cap__ret);
  if (cap__ret[0]) {
    free((void *)(uintptr_t)CAP__U32(8));
    return NULL;
  }
  if (!cap__ret[4]) return NULL;
  size_t len = CAP__U32(12);
  char *text = (char *)(uintptr_t)CAP__U32(8);
  char *out = realloc(text, len + 1);
  out[len] = '\0';
  return out;
}

#endif
