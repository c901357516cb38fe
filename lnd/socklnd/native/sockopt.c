// Integer socket options by file descriptor: what Node's net.Socket cannot set (IP_TOS,
// SO_SNDBUF/SO_RCVBUF, TCP_KEEPINTVL/TCP_KEEPCNT, TCP_LINGER2), which ksocklnd applies to every
// connection. Errors come back as negative errno values, never as exceptions: a socket option
// that fails is a connection failure for the caller to handle, not a crash.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <sys/socket.h>

// The first `want` arguments as int32, each a number with an integral value in range
// (napi_get_value_int32 alone would turn NaN into 0, a valid descriptor).
static int int_args(napi_env env, napi_callback_info info, size_t want, int32_t *out) {
  napi_value argv[4];
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return 0;
  for (size_t i = 0; i < want; i++) {
    napi_valuetype t;
    double d;
    if (napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number) return 0;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok) return 0;
    if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != (double)(int32_t)d) return 0;
    out[i] = (int32_t)d;
  }
  return 1;
}

static napi_value int_value(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

// setIntOpt(fd, level, name, value): 0 or -errno.
static napi_value set_int_opt(napi_env env, napi_callback_info info) {
  int32_t a[4];
  if (!int_args(env, info, 4, a)) return int_value(env, -EINVAL);
  int v = a[3];
  return int_value(env, setsockopt(a[0], a[1], a[2], &v, sizeof v) == 0 ? 0 : -errno);
}

// getIntOpt(fd, level, name): [0, value] or [-errno, 0].
static napi_value get_int_opt(napi_env env, napi_callback_info info) {
  int32_t a[3];
  int v = 0;
  int rc = -EINVAL;
  if (int_args(env, info, 3, a)) {
    socklen_t len = sizeof v;
    rc = getsockopt(a[0], a[1], a[2], &v, &len) == 0 ? 0 : -errno;
  }
  napi_value r;
  napi_create_array_with_length(env, 2, &r);
  napi_set_element(env, r, 0, int_value(env, rc));
  napi_set_element(env, r, 1, int_value(env, rc == 0 ? v : 0));
  return r;
}

static void put(napi_env env, napi_value obj, const char *name, napi_value v) {
  napi_set_named_property(env, obj, name, v);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "setIntOpt", NAPI_AUTO_LENGTH, set_int_opt, NULL, &f);
  put(env, exports, "setIntOpt", f);
  napi_create_function(env, "getIntOpt", NAPI_AUTO_LENGTH, get_int_opt, NULL, &f);
  put(env, exports, "getIntOpt", f);
  // This platform's numbers (the TypeScript side never hard-codes them); -1 where absent.
  napi_value c;
  napi_create_object(env, &c);
  put(env, c, "SOL_SOCKET", int_value(env, SOL_SOCKET));
  put(env, c, "IPPROTO_IP", int_value(env, IPPROTO_IP));
  put(env, c, "IPPROTO_TCP", int_value(env, IPPROTO_TCP));
  put(env, c, "SO_KEEPALIVE", int_value(env, SO_KEEPALIVE));
  put(env, c, "SO_SNDBUF", int_value(env, SO_SNDBUF));
  put(env, c, "SO_RCVBUF", int_value(env, SO_RCVBUF));
#ifdef SO_SNDBUFFORCE
  put(env, c, "SO_SNDBUFFORCE", int_value(env, SO_SNDBUFFORCE));
  put(env, c, "SO_RCVBUFFORCE", int_value(env, SO_RCVBUFFORCE));
#else
  put(env, c, "SO_SNDBUFFORCE", int_value(env, -1));
  put(env, c, "SO_RCVBUFFORCE", int_value(env, -1));
#endif
  put(env, c, "IP_TOS", int_value(env, IP_TOS));
  put(env, c, "TCP_NODELAY", int_value(env, TCP_NODELAY));
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  put(env, c, "TCP_KEEPIDLE", int_value(env, TCP_KEEPIDLE));
  put(env, c, "TCP_KEEPINTVL", int_value(env, TCP_KEEPINTVL));
  put(env, c, "TCP_KEEPCNT", int_value(env, TCP_KEEPCNT));
#else
  put(env, c, "TCP_KEEPIDLE", int_value(env, -1));
  put(env, c, "TCP_KEEPINTVL", int_value(env, -1));
  put(env, c, "TCP_KEEPCNT", int_value(env, -1));
#endif
#ifdef TCP_LINGER2
  put(env, c, "TCP_LINGER2", int_value(env, TCP_LINGER2));
#else
  put(env, c, "TCP_LINGER2", int_value(env, -1));
#endif
  put(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
