// malloc_trim(0) for the runner's idle trim (idle-trim.ts), as a Node-API addon built by scripts/build.ts with the
// system's C compiler (glibc only: elsewhere the build skips it and the runner does without). After a busy period
// glibc's heap holds megabytes of freed memory between live blocks; only malloc_trim returns those pages, and Node
// has no way to call it. An FFI library would do (koffi), but loading one costs more resident memory (~9 MB) than the
// trim gives back. The few Node-API declarations are written out here so that no headers are needed.
#include <malloc.h>
#include <stddef.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);

extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb, void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_get_boolean(napi_env env, _Bool value, napi_value *result);

/** mallocTrim(): true when memory was given back to the system. */
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_get_boolean(env, malloc_trim(0) == 1, &result);
  return result;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "mallocTrim", (size_t)-1, trim, NULL, &fn) == 0) napi_set_named_property(env, exports, "mallocTrim", fn);
  return exports;
}
