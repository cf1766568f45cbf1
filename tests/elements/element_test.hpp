// Helpers for element tests run inside the lab: plain-socket senders and receivers on the lab's hosts, pipelines
// started on a host, and reading what a pipeline posted on its bus.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lab.hpp"

namespace et {

using namespace std::chrono_literals;

// A port no earlier test in this binary used (each binary runs in a lab of its own).
inline uint16_t next_port() {
  static uint16_t port = 6000;
  return ++port;
}

// Short names for the lab's facts, which the tests use on every line: F("RX_ETH0_IPV4"), I("RX_ETH0_INDEX").
inline std::string F(const char* name) {
  return lab::fact(name);
}
inline unsigned I(const char* name) {
  return lab::fact_index(name);
}

inline bool is_v6(const std::string& addr) {
  return addr.find(':') != std::string::npos;
}

inline sockaddr_storage make_addr(const std::string& addr, uint16_t port, unsigned scope_id = 0) {
  sockaddr_storage ss{};
  if (is_v6(addr)) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    s6->sin6_scope_id = scope_id;
    inet_pton(AF_INET6, addr.c_str(), &s6->sin6_addr);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    inet_pton(AF_INET, addr.c_str(), &s4->sin_addr);
  }
  return ss;
}

inline socklen_t addr_len(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

inline std::string addr_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  else
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  return buf;
}

inline uint16_t addr_port(const sockaddr_storage& ss) {
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

// A plain UDP sender on a lab host, bound to `source` (and `source_port`), pinned to the interface `ifindex`, TTL 1.
class RawSender {
 public:
  RawSender(const std::string& host, const std::string& source, unsigned ifindex, uint16_t source_port = 0) {
    lab::InHost in(host);
    const bool v6 = is_v6(source);
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6) {
      int idx = static_cast<int>(ifindex);
      setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
      setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof one);
    } else {
      ip_mreqn mreq{};
      mreq.imr_ifindex = static_cast<int>(ifindex);
      setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq);
      setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one);
    }
    auto local = make_addr(source, source_port, source.rfind("fe80", 0) == 0 ? ifindex : 0);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), addr_len(local)) != 0)
      throw std::runtime_error("RawSender cannot bind " + source + ": " + strerror(errno));
  }
  ~RawSender() { close(fd_); }
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;

  void send(const std::string& to, uint16_t port, const std::string& payload, unsigned scope_id = 0) {
    auto dest = make_addr(to, port, scope_id);
    if (sendto(fd_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&dest), addr_len(dest)) < 0)
      throw std::runtime_error("RawSender cannot send to " + to + ": " + strerror(errno));
  }

 private:
  int fd_ = -1;
};

// A SAP packet: version 1, no authentication, not encrypted or compressed, the message id hash, the origin (IPv4 or,
// with the A bit, IPv6), the payload type, then the SDP. T=1 makes it a deletion.
inline std::string sap_packet(const std::string& origin, uint16_t hash, const std::string& sdp, bool deletion = false) {
  const bool v6 = is_v6(origin);
  std::string p;
  p += static_cast<char>(0x20 | (v6 ? 0x10 : 0) | (deletion ? 0x04 : 0));
  p += '\0';
  p += static_cast<char>(hash >> 8);
  p += static_cast<char>(hash & 0xff);
  unsigned char address[16] = {};
  inet_pton(v6 ? AF_INET6 : AF_INET, origin.c_str(), address);
  p.append(reinterpret_cast<const char*>(address), v6 ? 16 : 4);
  p += std::string("application/sdp") + '\0';
  return p + sdp;
}

// What a RawReceiver saw of one datagram.
struct Received {
  std::string payload;
  std::string sender;
  uint16_t sender_port = 0;
  int ttl = -1;  // TTL or hop limit
  int tos = -1;  // TOS or traffic class
  unsigned ifindex = 0;
  int64_t arrival_ns = 0;  // when the kernel received it (SO_TIMESTAMPNS, CLOCK_REALTIME)
};

// A plain UDP receiver on a lab host, joined to `group` on `ifindex` (no join when group is empty).
class RawReceiver {
 public:
  RawReceiver(const std::string& host, const std::string& group, uint16_t port, unsigned ifindex) {
    lab::InHost in(host);
    const bool v6 = is_v6(group);
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6) {
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
      setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
      setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
      int zero = 0;
      setsockopt(fd_, IPPROTO_IPV6, 29 /* IPV6_MULTICAST_ALL */, &zero, sizeof zero);
    } else {
      setsockopt(fd_, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
      setsockopt(fd_, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
      setsockopt(fd_, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
      int zero = 0;
      setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
    }
    setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    int queue = 16 * 1024 * 1024;  // room for a whole unpaced frame while the test is busy elsewhere
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &queue, sizeof queue);
    auto any = make_addr(v6 ? "::" : "0.0.0.0", port);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&any), addr_len(any)) != 0)
      throw std::runtime_error(std::string("RawReceiver cannot bind: ") + strerror(errno));
    group_req req{};
    req.gr_interface = ifindex;
    auto g = make_addr(group, 0);
    std::memcpy(&req.gr_group, &g, sizeof g);
    if (setsockopt(fd_, v6 ? IPPROTO_IPV6 : IPPROTO_IP, MCAST_JOIN_GROUP, &req, sizeof req) != 0)
      throw std::runtime_error("RawReceiver cannot join " + group + ": " + strerror(errno));
  }
  ~RawReceiver() { close(fd_); }
  RawReceiver(const RawReceiver&) = delete;
  RawReceiver& operator=(const RawReceiver&) = delete;

  std::optional<Received> receive(std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char data[65536];
    char control[512];
    sockaddr_storage from{};
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0) return std::nullopt;
    Received r;
    r.payload.assign(data, static_cast<size_t>(n));
    r.sender = addr_text(from);
    r.sender_port = addr_port(from);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      int value = 0;
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
          (c->cmsg_level == IPPROTO_IPV6 && (c->cmsg_type == IPV6_HOPLIMIT || c->cmsg_type == IPV6_TCLASS))) {
        std::memcpy(&value, CMSG_DATA(c), sizeof value);
        if (c->cmsg_type == IPV6_TCLASS)
          r.tos = value;
        else
          r.ttl = value;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        r.arrival_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
        r.tos = *reinterpret_cast<unsigned char*>(CMSG_DATA(c));
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        r.ifindex = static_cast<unsigned>(info.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        r.ifindex = info.ipi6_ifindex;
      }
    }
    return r;
  }

 private:
  int fd_ = -1;
};

inline std::string buffer_bytes(GstBuffer* buf) {
  std::string out(gst_buffer_get_size(buf), '\0');
  gst_buffer_extract(buf, 0, out.data(), out.size());
  return out;
}

// Drops a capability (CAP_NET_ADMIN by default) from the calling thread's effective set while it lives
// (capabilities are per thread), as for a user who may not exceed net.core.rmem_max / wmem_max, or bind a port
// below 1024 (CAP_NET_BIND_SERVICE).
class WithoutCapability {
 public:
  explicit WithoutCapability(int cap) {
    syscall(SYS_capget, &header_, saved_);
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[cap / 32].effective &= ~(1u << (cap % 32));
    if (syscall(SYS_capset, &header_, reduced) != 0) throw std::runtime_error("cannot drop a capability");
  }
  ~WithoutCapability() { syscall(SYS_capset, &header_, saved_); }
  WithoutCapability(const WithoutCapability&) = delete;
  WithoutCapability& operator=(const WithoutCapability&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2] = {};
};

class WithoutNetAdmin : public WithoutCapability {
 public:
  WithoutNetAdmin() : WithoutCapability(CAP_NET_ADMIN) {}
};

// The text of every message of `type` (error, warning or info) waiting on `bus`, taken off it.
// The text of each message `m` of `type` (error, warning or info); takes them.
inline std::vector<std::string> message_texts(const std::vector<GstMessage*>& messages, GstMessageType type) {
  std::vector<std::string> out;
  for (GstMessage* m : messages) {
    GError* err = nullptr;
    if (type == GST_MESSAGE_WARNING)
      gst_message_parse_warning(m, &err, nullptr);
    else if (type == GST_MESSAGE_INFO)
      gst_message_parse_info(m, &err, nullptr);
    else
      gst_message_parse_error(m, &err, nullptr);
    if (err != nullptr) out.push_back(err->message);
    g_clear_error(&err);
    gst_message_unref(m);
  }
  return out;
}

// Takes every message of `type` on `bus` (gst_bus_pop_filtered drops the others).
inline std::vector<std::string> messages_on(GstBus* bus, GstMessageType type) {
  std::vector<GstMessage*> taken;
  while (GstMessage* m = gst_bus_pop_filtered(bus, type)) taken.push_back(m);
  return message_texts(taken, type);
}

// The errors `element` (configured, in NULL, on a bus of its own) posts going to `state` on `host`, by a thread
// without capability `cap`.
inline std::vector<std::string> errors_without_capability(GstElement* element, const std::string& host, GstState state,
                                                          int cap) {
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  GstStateChangeReturn ret;
  {
    WithoutCapability plain_user(cap);
    lab::InHost in(host);
    ret = gst_element_set_state(element, state);
  }
  auto errors = messages_on(bus, GST_MESSAGE_ERROR);
  gst_element_set_state(element, GST_STATE_NULL);
  gst_object_unref(bus);
  if (ret != GST_STATE_CHANGE_FAILURE) errors.insert(errors.begin(), "(the state change did not fail)");
  return errors;
}

// A harness around an element described by `launch` ("mcastexpertsrc key=value ..."), started on `host`.
class Harness {
 public:
  // `configure` runs on the element before the harness wraps it (and so, for a sink, before it starts).
  Harness(const std::string& host, const std::string& launch,
          const std::function<void(GstElement*)>& configure = nullptr)
      : host_(host) {
    gchar** words = g_strsplit(launch.c_str(), " ", -1);
    GstElement* element = gst_element_factory_make(words[0], nullptr);
    if (element == nullptr) throw std::runtime_error(std::string("no element ") + words[0]);
    for (gchar** w = words + 1; *w != nullptr; ++w) {
      gchar* eq = strchr(*w, '=');
      if (eq == nullptr) continue;
      *eq = '\0';
      gst_util_set_object_arg(G_OBJECT(element), *w, eq + 1);
    }
    g_strfreev(words);
    bus_ = gst_bus_new();
    gst_element_set_bus(element, bus_);
    if (configure) configure(element);
    // The harness starts a sink as soon as it wraps it: configured first, and on the host.
    lab::InHost in(host);
    GstPad* src_pad = gst_element_get_static_pad(element, "src");
    const bool is_sink = src_pad == nullptr;
    if (src_pad != nullptr) gst_object_unref(src_pad);
    h_ = is_sink ? gst_harness_new_with_element(element, "sink", nullptr)
                 : gst_harness_new_with_element(element, nullptr, "src");
    gst_object_unref(element);
  }
  ~Harness() {
    // Stopped first, then the messages dropped: queued messages hold refs on the element and its pads.
    gst_element_set_state(h_->element, GST_STATE_NULL);
    for (GstMessage* m : kept_) gst_message_unref(m);
    gst_bus_set_flushing(bus_, TRUE);
    gst_harness_teardown(h_);
    gst_object_unref(bus_);
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  GstHarness* get() { return h_; }
  GstElement* element() { return h_->element; }

  // Sets the element PLAYING from the host's network namespace; false if it refused (see error()).
  bool play() {
    lab::InHost in(host_);
    return gst_element_set_state(h_->element, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  }

  // The next buffer, or nullptr after `timeout`.
  GstBuffer* pull(std::chrono::milliseconds timeout = 2000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (GstBuffer* b = gst_harness_try_pull(h_)) return b;
      std::this_thread::sleep_for(2ms);
    }
    return nullptr;
  }

  // Every buffer that arrives within `quiet` of the previous one.
  std::vector<std::string> drain(std::chrono::milliseconds quiet = 300ms) {
    std::vector<std::string> out;
    while (GstBuffer* b = pull(quiet)) {
      out.push_back(buffer_bytes(b));
      gst_buffer_unref(b);
    }
    return out;
  }

  // The text of the first error message on the element's bus, "" if none.
  std::string error() {
    std::string text;
    for (GstMessage* m : take(GST_MESSAGE_ERROR)) {
      GError* err = nullptr;
      gst_message_parse_error(m, &err, nullptr);
      if (text.empty() && err != nullptr) text = err->message;
      g_clear_error(&err);
      gst_message_unref(m);
    }
    return text;
  }

  // For a sink: caps and segment first, as a real upstream would.
  void start_stream() { gst_harness_set_src_caps_str(h_, "application/x-mcastexpert-test"); }

  GstFlowReturn push(const std::string& bytes) {
    return gst_harness_push(h_, gst_buffer_new_memdup(bytes.data(), bytes.size()));
  }

  GstFlowReturn push_list(const std::vector<std::string>& datagrams) {
    GstBufferList* list = gst_buffer_list_new();
    for (const auto& d : datagrams) gst_buffer_list_add(list, gst_buffer_new_memdup(d.data(), d.size()));
    return gst_pad_push_list(h_->srcpad, list);
  }

  // The text of every message of `type` posted so far (error, warning or info).
  std::vector<std::string> messages(GstMessageType type) { return message_texts(take(type), type); }

  // Copies of the structures of the element messages named `name` posted so far (the caller frees them).
  std::vector<GstStructure*> element_messages(const char* name) {
    std::vector<GstStructure*> out;
    for (GstMessage* m : take(GST_MESSAGE_ELEMENT)) {
      const GstStructure* s = gst_message_get_structure(m);
      if (s != nullptr && gst_structure_has_name(s, name)) out.push_back(gst_structure_copy(s));
      gst_message_unref(m);
    }
    return out;
  }

  GstStructure* stats() {
    GstStructure* s = nullptr;
    g_object_get(h_->element, "stats", &s, nullptr);
    return s;
  }

  guint64 stat(const char* field) {
    GstStructure* s = stats();
    guint64 v = 0;
    gst_structure_get_uint64(s, field, &v);
    gst_structure_free(s);
    return v;
  }

 private:
  // The messages of `type` posted so far, in order; the others are kept for a later call (asking for element
  // messages must not lose an info message posted beside them).
  std::vector<GstMessage*> take(GstMessageType type) {
    while (GstMessage* m = gst_bus_pop(bus_)) kept_.push_back(m);
    std::vector<GstMessage*> out;
    std::vector<GstMessage*> rest;
    for (GstMessage* m : kept_) (GST_MESSAGE_TYPE(m) & type ? out : rest).push_back(m);
    kept_.swap(rest);
    return out;
  }

  std::string host_;
  GstHarness* h_;
  GstBus* bus_;
  std::vector<GstMessage*> kept_;
};

// A pipeline from gst_parse_launch, with its bus watched for an error.
class Pipeline {
 public:
  explicit Pipeline(const std::string& launch) {
    GError* err = nullptr;
    pipeline_ = gst_parse_launch(launch.c_str(), &err);
    if (err != nullptr) {
      std::string m = err->message;
      g_error_free(err);
      throw std::runtime_error("cannot build " + launch + ": " + m);
    }
  }
  ~Pipeline() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  GstElement* get() { return pipeline_; }
  GstElement* by_name(const char* name) {
    GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline_), name);
    if (e != nullptr) gst_object_unref(e);  // the pipeline keeps it alive
    return e;
  }

  // Sets the state from the host's network namespace; false on failure. (A live pipeline going to PLAYING
  // completes only when data flows, so this does not wait for that.)
  bool set_state(const std::string& host, GstState state) {
    lab::InHost in(host);
    const GstStateChangeReturn ret = gst_element_set_state(pipeline_, state);
    // Sockets open and joins happen in the synchronous part (NULL→READY→PAUSED), so a failure shows here.
    return ret != GST_STATE_CHANGE_FAILURE;
  }

  // The first message of `type` within `timeout`, or nullptr. The caller unrefs it.
  GstMessage* wait_for(GstMessageType type, std::chrono::milliseconds timeout = 5000ms) {
    GstBus* bus = gst_element_get_bus(pipeline_);
    GstMessage* m = gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(timeout.count()) * GST_MSECOND, type);
    gst_object_unref(bus);
    return m;
  }

  std::string error_text(std::chrono::milliseconds timeout = 2000ms) {
    GstMessage* m = wait_for(GST_MESSAGE_ERROR, timeout);
    if (m == nullptr) return "";
    GError* err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    std::string text = err != nullptr ? err->message : "";
    g_clear_error(&err);
    gst_message_unref(m);
    return text;
  }

 private:
  GstElement* pipeline_;
};

inline size_t open_fd_count() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

// How many rounds the lifetime tests run: 200, or 1,000 under scripts/test --long (MCASTEXPERT_LONG).
inline int lifetime_rounds(int normal, int long_run) {
  return std::getenv("MCASTEXPERT_LONG") != nullptr ? long_run : normal;
}

// The memberships `host` holds now, as the kernel lists them (/proc/net/igmp, igmp6, mcfilter, mcfilter6 of the
// host's network namespace): what a leaked join would change.
inline std::string memberships_of(const std::string& host) {
  lab::InHost in(host);
  std::string all;
  for (const char* file : {"igmp", "igmp6", "mcfilter", "mcfilter6"}) {
    std::ifstream f(std::string("/proc/thread-self/net/") + file);
    all += std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return all;
}

// Cycles `p` between `low` and PLAYING (or PAUSED) on `host` (after one warm-up round) and checks that no descriptor
// and no membership is left behind. With `joins`, it also checks that the element does join while up (so that a
// membership count that never moves cannot pass for one that comes back).
inline void expect_cycles_leave_nothing_behind(Pipeline& p, const std::string& host, int rounds, GstState low,
                                               GstState high, bool joins) {
  ASSERT_TRUE(p.set_state(host, high));
  const std::string while_up = memberships_of(host);
  ASSERT_TRUE(p.set_state(host, low));
  const size_t fds = open_fd_count();
  const std::string memberships = memberships_of(host);
  if (joins) {
    EXPECT_NE(while_up, memberships) << "no membership while " << gst_element_state_get_name(high);
  }
  for (int i = 0; i < rounds; ++i) {
    ASSERT_TRUE(p.set_state(host, high)) << "round " << i;
    ASSERT_TRUE(p.set_state(host, low)) << "round " << i;
  }
  EXPECT_EQ(open_fd_count(), fds) << rounds << " rounds";
  EXPECT_EQ(memberships_of(host), memberships) << rounds << " rounds";
}

// PLAYING ↔ NULL 200 times (1,000 with --long): descriptors and memberships back where they started.
inline void expect_state_cycles_leak_no_descriptors(Pipeline& p, const std::string& host, bool joins = false) {
  expect_cycles_leave_nothing_behind(p, host, lifetime_rounds(200, 1000), GST_STATE_NULL, GST_STATE_PLAYING, joins);
}

inline void run_in(const std::string& host, const std::string& command) {
  lab::InHost in(host);
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed on " + host + ": " + command);
}

inline std::string run_output(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// Sets `element` (alone, on a bus of its own) to `state` on `host` while a synchronous bus handler reads
// `property` as each error is posted, as an application's handler may. Returns the first error's text. If the
// state change has not returned after 10 s, the element deadlocked posting its error: the test fails and the
// binary exits, since a deadlocked thread cannot be recovered.
inline std::string error_while_a_sync_handler_reads(GstElement* element, const std::string& host, GstState state,
                                                    const char* property) {
  struct Seen {
    GstElement* element;
    const char* property;
    std::string error;
    std::string value;
  } seen{element, property, "", ""};
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  gst_bus_set_sync_handler(
      bus,
      [](GstBus*, GstMessage* m, gpointer data) {
        auto* seen = static_cast<Seen*>(data);
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR && seen->error.empty()) {
          GValue v = G_VALUE_INIT;
          GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(seen->element), seen->property);
          g_value_init(&v, pspec->value_type);
          g_object_get_property(G_OBJECT(seen->element), seen->property, &v);
          gchar* text = gst_value_serialize(&v);
          seen->value = text != nullptr ? text : "";
          g_free(text);
          g_value_unset(&v);
          GError* err = nullptr;
          gst_message_parse_error(m, &err, nullptr);
          seen->error = err != nullptr ? err->message : "?";
          g_clear_error(&err);
        }
        gst_message_unref(m);  // a sync handler that drops a message owns it
        return GST_BUS_DROP;
      },
      &seen, nullptr);
  std::atomic<bool> done{false};
  std::thread change([&] {
    lab::InHost in(host);
    gst_element_set_state(element, state);
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  if (!done) {
    ADD_FAILURE() << "the state change deadlocked while a bus handler read '" << property << "' on an error";
    std::fflush(nullptr);
    std::_Exit(1);
  }
  change.join();
  gst_element_set_state(element, GST_STATE_NULL);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  return seen.error;
}

inline int read_int_file(const char* path) {
  int v = 0;
  if (FILE* f = fopen(path, "r")) {
    if (fscanf(f, "%d", &v) != 1) v = 0;
    fclose(f);
  }
  return v;
}

// Both ways an element reports bad settings at start — a value a setter refused, and an error found while opening
// (an unknown interface) — posted while a synchronous bus handler reads a property, as an application's may.
inline void expect_errors_posted_with_no_lock_held(const char* factory, const char* group, GstState state) {
  const std::vector<std::pair<const char*, std::string>> cases{
      {"groups", "Property 'groups' was set to '10.1.1.1'"},
      {"iface", "Property 'iface' (\"eht0\"): no interface matches"}};
  for (const auto& [bad, expected] : cases) {
    GstElement* e = gst_element_factory_make(factory, nullptr);
    g_object_set(e, "groups", group, nullptr);
    g_object_set(e, bad, std::string(bad) == "groups" ? "10.1.1.1" : "eht0", nullptr);
    const std::string error = error_while_a_sync_handler_reads(e, "rx", state, "groups");
    EXPECT_NE(error.find(expected), std::string::npos) << factory << ": " << error;
    gst_object_unref(e);
  }
}

// A veth from rx (hot end `name`, 10.77.N.1) to txa (`name`p, 10.77.N.2), both up, for a test that changes an
// interface under a running element. Deleted when the test ends, also when it fails: a link left behind would make
// the next test that wants the name fail for a reason of its own.
class HotLink {
 public:
  HotLink(std::string name, int subnet) : name_(std::move(name)), subnet_(subnet) { make(); }
  ~HotLink() {
    try {
      lab::InHost in("rx");
      const std::string del = "ip link del " + name_ + " 2>/dev/null";
      [[maybe_unused]] const int gone_already_is_fine = std::system(del.c_str());
    } catch (const std::exception&) {
      // the lab itself is gone: so is the link
    }
  }
  HotLink(const HotLink&) = delete;
  HotLink& operator=(const HotLink&) = delete;

  // Makes the link (again, after remove()).
  void make() const {
    run_in("rx", "ip link add " + name_ + " type veth peer name " + peer() + " netns txa && ip addr add " + near() +
                     "/24 dev " + name_ + " && ip link set " + name_ + " up");
    run_in("txa", "ip addr add " + far() + "/24 dev " + peer() + " && ip link set " + peer() + " up");
    // A new link's carrier comes up through the kernel's linkwatch, which may take up to a second; until then its
    // qdisc is noop, which drops every datagram while the send reports success. Wait for both ends to be UP.
    auto wait_up = [](const std::string& host, const std::string& ifname) {
      run_in(host, "for i in $(seq 300); do ip -o link show " + ifname +
                       " | grep -q 'state UP' && exit 0; sleep 0.01; done; exit 1");
    };
    wait_up("rx", name_);
    wait_up("txa", peer());
  }
  // Deletes both ends, as unplugging a USB adapter or a container runtime would.
  void remove() const { run_in("rx", "ip link del " + name_); }

  const std::string& name() const { return name_; }
  std::string peer() const { return name_ + "p"; }                                // its end in txa
  std::string near() const { return "10.77." + std::to_string(subnet_) + ".1"; }  // rx's address on it
  std::string far() const { return "10.77." + std::to_string(subnet_) + ".2"; }   // txa's address on it

 private:
  std::string name_;
  int subnet_;
};

inline unsigned index_in(const std::string& host, const std::string& ifname) {
  lab::InHost in(host);
  return if_nametoindex(ifname.c_str());
}

// Waits until a message of `type` containing `text` is posted (messages read while waiting are kept in `seen`).
inline bool wait_for_message(Harness& h, GstMessageType type, const std::string& text, std::vector<std::string>& seen,
                             std::chrono::milliseconds timeout = 2000ms) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (auto& m : h.messages(type)) seen.push_back(std::move(m));
    for (const auto& m : seen)
      if (m.find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

class GstEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { gst_init(nullptr, nullptr); }
};

}  // namespace et
