// Who is at the other end of a connection to an execution environment's Runtime API, as a Node-API addon built by
// scripts/build.ts with the system's C compiler (Linux only); runtime-api/access.ts lets only the environment's own
// processes in, and Node has no way to ask the kernel who is connected.
//  - peerPid(fd): the pid of a Unix socket's peer (SO_PEERCRED), for the direct socket. Without the addon the runner
//    offers no direct socket.
//  - tcpSocketInode(srcIp, srcPort, dstIp, dstPort): the inode of one IPv4 TCP socket, looked up by its four-tuple
//    with NETLINK_SOCK_DIAG (a hash lookup in the kernel, ~10 us). Without it the runner reads /proc/net/tcp, which
//    the kernel writes out whole: milliseconds once a client that opens a connection per request has left
//    thousands of TIME_WAIT rows.
//  - forbidInspection(): prctl(PR_SET_DUMPABLE, 0). Functions run as the same user as the runner; without it (and
//    without Yama, as on many kernels) any of them could ptrace the runner or read /proc/<runner>/mem and environ,
//    and with them the control token and every other environment's events. Non-dumpable, those need root.
// Node-API and sock_diag declarations are written out: no headers beyond libc's are needed.
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/prctl.h>

// <linux/netlink.h>, <linux/sock_diag.h>, <linux/inet_diag.h>: the kernel's stable ABI.
#define NETLINK_SOCK_DIAG 4
#define SOCK_DIAG_BY_FAMILY 20
#define NLM_F_REQUEST 1
#define NLMSG_ERROR 2
struct sockaddr_nl_ { uint16_t nl_family; uint16_t nl_pad; uint32_t nl_pid; uint32_t nl_groups; };
struct nlmsghdr_ { uint32_t nlmsg_len; uint16_t nlmsg_type; uint16_t nlmsg_flags; uint32_t nlmsg_seq; uint32_t nlmsg_pid; };
struct inet_diag_sockid_ { uint16_t sport; uint16_t dport; uint32_t src[4]; uint32_t dst[4]; uint32_t ifindex; uint32_t cookie[2]; };
struct inet_diag_req_v2_ { uint8_t family; uint8_t protocol; uint8_t ext; uint8_t pad; uint32_t states; struct inet_diag_sockid_ id; };
struct inet_diag_msg_ { uint8_t family; uint8_t state; uint8_t timer; uint8_t retrans; struct inet_diag_sockid_ id; uint32_t expires; uint32_t rqueue; uint32_t wqueue; uint32_t uid; uint32_t inode; };

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);

extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb, void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
extern napi_status napi_get_value_int32(napi_env env, napi_value value, int *result);
extern napi_status napi_create_int32(napi_env env, int value, napi_value *result);
extern napi_status napi_get_value_uint32(napi_env env, napi_value value, uint32_t *result);
extern napi_status napi_create_double(napi_env env, double value, napi_value *result);

/** peerPid(fd): the peer's pid, or -1 when the kernel cannot say (not a Unix socket, already closed). */
static napi_value peer_pid(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd = -1;
  int pid = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == 0 && argc == 1 && napi_get_value_int32(env, argv[0], &fd) == 0) {
    struct ucred cred;
    socklen_t length = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 && length == sizeof cred) pid = cred.pid;
  }
  napi_value result;
  napi_create_int32(env, pid, &result);
  return result;
}

/** The inode of the IPv4 TCP socket src:sport -> dst:dport (addresses and ports in host order), or -1. */
static double socket_inode(uint32_t src, uint32_t sport, uint32_t dst, uint32_t dport) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  struct { struct nlmsghdr_ header; struct inet_diag_req_v2_ request; } message;
  memset(&message, 0, sizeof message);
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;
  message.request.family = AF_INET;
  message.request.protocol = 6; // IPPROTO_TCP
  message.request.states = ~0U;
  message.request.id.sport = htons((uint16_t)sport);
  message.request.id.dport = htons((uint16_t)dport);
  message.request.id.src[0] = htonl(src);
  message.request.id.dst[0] = htonl(dst);
  message.request.id.cookie[0] = ~0U; // INET_DIAG_NOCOOKIE: any socket with this four-tuple
  message.request.id.cookie[1] = ~0U;
  struct sockaddr_nl_ kernel = { 16, 0, 0, 0 }; // AF_NETLINK
  double inode = -1;
  uint32_t reply[512];
  if (sendto(fd, &message, sizeof message, 0, (struct sockaddr *)&kernel, sizeof kernel) == (ssize_t)sizeof message) {
    ssize_t length = recv(fd, reply, sizeof reply, 0);
    struct nlmsghdr_ *header = (struct nlmsghdr_ *)reply;
    if (length >= (ssize_t)(sizeof *header + sizeof(struct inet_diag_msg_)) && header->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      struct inet_diag_msg_ *found = (struct inet_diag_msg_ *)(header + 1);
      inode = found->inode;
    }
  }
  close(fd);
  return inode;
}

/** tcpSocketInode(srcIp, srcPort, dstIp, dstPort): see socket_inode. */
static napi_value tcp_socket_inode(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t values[4];
  double inode = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == 0 && argc == 4) {
    int ok = 1;
    for (int i = 0; i < 4; i++) ok = ok && napi_get_value_uint32(env, argv[i], &values[i]) == 0;
    if (ok) inode = socket_inode(values[0], values[1], values[2], values[3]);
  }
  napi_value result;
  napi_create_double(env, inode, &result);
  return result;
}

/** forbidInspection(): 0 when the runner is no longer dumpable, -1 when the kernel refused. */
static napi_value forbid_inspection(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_int32(env, prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1, &result);
  return result;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "peerPid", (size_t)-1, peer_pid, NULL, &fn) == 0) napi_set_named_property(env, exports, "peerPid", fn);
  if (napi_create_function(env, "tcpSocketInode", (size_t)-1, tcp_socket_inode, NULL, &fn) == 0) napi_set_named_property(env, exports, "tcpSocketInode", fn);
  if (napi_create_function(env, "forbidInspection", (size_t)-1, forbid_inspection, NULL, &fn) == 0) napi_set_named_property(env, exports, "forbidInspection", fn);
  return exports;
}
