// mcastexpert-bench: one end of a benchmark run — a sender or a receiver — raw sockets or a GStreamer element, on
// the lab host it is started on. bench/run starts pairs of them and turns their reports into tables.
//
//   mcastexpert-bench send IMPL GROUP PORT IFNAME IFINDEX SOURCE SIZE RATE SECONDS
//       IMPL: raw (sendmmsg, batch 64) | udpsink | sink | sink-list (buffer lists of 64)
//       RATE: datagrams per second, 0 = as fast as possible
//   mcastexpert-bench recv IMPL GROUP PORT IFNAME IFINDEX SIZE SECONDS
//       IMPL: raw (recvmmsg, batch 64) | udpsrc | udpsrc-tuned | src | src-tuned
//       (-tuned: buffer-size 16 MiB and mtu = SIZE, what a careful user would set)
//   mcastexpert-bench frames IMPL GROUP PORT IFNAME DATAGRAMS FPS SECONDS
//       a frame-structured sender: buffer lists of DATAGRAMS datagrams of 1,316 bytes, FPS lists a second, each
//       stamped with its frame's time and sent with sync=true. IMPL: sink (pacing=none) | sink-spread |
//       udpsink | udpsink-max-bitrate (base sink max-bitrate at 1.1x the stream's rate)
//   mcastexpert-bench arrivals GROUP PORT IFINDEX SECONDS
//       a raw receiver that records every datagram's kernel arrival time and reports how evenly they came
//   mcastexpert-bench drain IMPL GROUP PORT SIZE COUNT ROUNDS
//       (IMPL: raw, udpsrc, src, src-packed, src-pair, src-pair-merge)
//       IMPL: raw | udpsrc | src. On lo: fills the receiving socket's queue with COUNT datagrams before reading
//       starts, then measures the receiving thread's CPU time per datagram (median of ROUNDS)
//
// Each prints one JSON object. Every datagram carries a sequence number and the sender's CLOCK_MONOTONIC time, so
// the receiver can count loss and one-way latency (both ends share the clock: they run on one machine).
#include <arpa/inet.h>
#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kBatch = 64;
constexpr size_t kMaxLatencySamples = 2000000;

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void sleep_until_ns(int64_t t) {
  timespec ts{static_cast<time_t>(t / 1000000000), static_cast<long>(t % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

long rss_kib() {
  long kib = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr)
      if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    std::fclose(f);
  }
  return kib;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// With MCASTEXPERT_BENCH_TS set, datagrams are MPEG-TS: 188-byte null packets (PID 0x1fff), the stamp inside the
// first one's payload, so that tsdemux downstream parses them as it would a real stream's.
const bool g_ts = std::getenv("MCASTEXPERT_BENCH_TS") != nullptr;
constexpr size_t kStampAt = 4;  // after the first TS packet's header

void stamp(uint8_t* data, uint64_t seq) {
  const int64_t t = now_ns();
  const size_t at = g_ts ? kStampAt : 0;
  std::memcpy(data + at, &seq, 8);
  std::memcpy(data + at + 8, &t, 8);
}

void fill_payload(uint8_t* data, size_t size) {
  std::memset(data, 0x5a, size);
  if (!g_ts) return;
  for (size_t at = 0; at + 188 <= size; at += 188) {
    const uint8_t header[4] = {0x47, 0x1f, 0xff, 0x10};
    std::memcpy(data + at, header, 4);
  }
}

bool is_v6(const std::string& a) {
  return a.find(':') != std::string::npos;
}

sockaddr_storage make_addr(const std::string& addr, uint16_t port) {
  sockaddr_storage ss{};
  if (is_v6(addr)) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    inet_pton(AF_INET6, addr.c_str(), &s->sin6_addr);
  } else {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    inet_pton(AF_INET, addr.c_str(), &s->sin_addr);
  }
  return ss;
}

socklen_t addr_len(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mcastexpert-bench: %s\n", what.c_str());
  std::exit(2);
}

size_t g_datagram_size = 1316;  // a packed buffer (preserve-packetization=false) holds size / this many

// --- what the receiver saw ---

struct Tally {
  std::atomic<uint64_t> packets{0};
  uint64_t bytes = 0;
  uint64_t max_seq = 0;
  std::atomic<int64_t> last_ns{0};
  std::vector<int64_t> latencies;
  bool keep_latency = false;
  long rss_warm = 0;  // RSS once 100,000 datagrams have passed (pools and queues filled), for the soak check
  long rss_end = 0;

  void sample_rss() {
    if (rss_warm == 0 && packets.load(std::memory_order_relaxed) >= 100000) rss_warm = rss_kib();
  }

  void add(const uint8_t* data, size_t len) {
    if (g_ts && len >= kStampAt + 16) data += kStampAt;
    const int64_t t = now_ns();
    packets.store(packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (data == nullptr) {  // counted, nothing to read (a datagram inside a packed buffer)
      bytes += g_datagram_size;
      return;
    }
    bytes += len;
    last_ns.store(t, std::memory_order_relaxed);
    if (len < 16) return;
    uint64_t seq;
    int64_t sent;
    std::memcpy(&seq, data, 8);
    std::memcpy(&sent, data + 8, 8);
    max_seq = std::max(max_seq, seq + 1);
    if (keep_latency && latencies.size() < kMaxLatencySamples) latencies.push_back(t - sent);
  }
};

std::string percentiles(std::vector<int64_t>& v) {
  if (v.empty()) return "null";
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return static_cast<double>(v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]) / 1000.0;
  };
  char buf[128];
  std::snprintf(buf, sizeof buf, "{\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f}", at(0.5), at(0.99),
                at(0.999));
  return buf;
}

// --- raw ends ---

int raw_socket(const std::string& group, unsigned ifindex) {
  const int fd = socket(is_v6(group) ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (is_v6(group)) {
    int idx = static_cast<int>(ifindex);
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof one);
  } else {
    ip_mreqn mreq{};
    mreq.imr_ifindex = static_cast<int>(ifindex);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one);
  }
  return fd;
}

uint64_t raw_send(const std::string& group, uint16_t port, unsigned ifindex, const std::string& source, size_t size,
                  double rate, double seconds) {
  const int fd = raw_socket(group, ifindex);
  auto local = make_addr(source, 0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), addr_len(local)) != 0) die("bind " + source);
  auto dest = make_addr(group, port);
  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(size, 0x5a));
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    fill_payload(bufs[i].data(), size);
    iov[i] = {bufs[i].data(), size};
    msgs[i].msg_hdr.msg_name = &dest;
    msgs[i].msg_hdr.msg_namelen = addr_len(dest);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int64_t start = now_ns();
  const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
  uint64_t seq = 0;
  if (rate > 0) {
    const double period = 1e9 / rate;
    while (true) {
      const int64_t due = start + static_cast<int64_t>(static_cast<double>(seq) * period);
      if (due >= end) break;
      // Sleeps only when ahead of the schedule: behind it (a timer wake-up costs more than one period at high
      // rates), it catches up at once, as a real paced sender does in small bursts.
      if (due > now_ns()) sleep_until_ns(due);
      stamp(bufs[0].data(), seq);
      if (sendto(fd, bufs[0].data(), size, 0, reinterpret_cast<sockaddr*>(&dest), addr_len(dest)) > 0) ++seq;
    }
  } else {
    while (now_ns() < end) {
      for (int i = 0; i < kBatch; ++i) stamp(bufs[i].data(), seq + static_cast<uint64_t>(i));
      const int n = sendmmsg(fd, msgs.data(), kBatch, 0);
      if (n > 0) seq += static_cast<uint64_t>(n);
    }
  }
  close(fd);
  return seq;
}

// A plain receiving socket: bound to the port, joined to the group on the interface, with a big receive buffer.
int raw_receiver_socket(const std::string& group, uint16_t port, unsigned ifindex, int buffer_size) {
  const int fd = raw_socket(group, ifindex);
  int zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_size, sizeof buffer_size);
  if (is_v6(group))
    setsockopt(fd, IPPROTO_IPV6, 29 /* IPV6_MULTICAST_ALL */, &zero, sizeof zero);
  else
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
  auto any = make_addr(is_v6(group) ? "::" : "0.0.0.0", port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&any), addr_len(any)) != 0) die("bind");
  group_req req{};
  req.gr_interface = ifindex;
  auto g = make_addr(group, 0);
  std::memcpy(&req.gr_group, &g, sizeof g);
  if (setsockopt(fd, is_v6(group) ? IPPROTO_IPV6 : IPPROTO_IP, MCAST_JOIN_GROUP, &req, sizeof req) != 0) die("join");
  return fd;
}

void raw_receive(const std::string& group, uint16_t port, unsigned ifindex, size_t size, double seconds, Tally& tally) {
  const int fd = raw_receiver_socket(group, port, ifindex, 16 * 1024 * 1024);
  std::printf("{\"ready\": true}\n");
  std::fflush(stdout);
  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(std::max<size_t>(size, 65536)));
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  const int64_t deadline = now_ns() + static_cast<int64_t>(seconds * 1e9);
  while (now_ns() < deadline) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      if (tally.packets > 0 && now_ns() - tally.last_ns > 500000000) break;  // the sender is done
      continue;
    }
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    for (int i = 0; i < n; ++i) tally.add(bufs[i].data(), msgs[i].msg_len);
    tally.sample_rss();
  }
  tally.rss_end = rss_kib();
  close(fd);
}

// --- a source element that makes stamped datagrams as fast as, or as paced as, asked ---

struct SourceConfig {
  size_t size = 1316;
  double rate = 0;
  double seconds = 1;
  bool lists = false;
  uint64_t seq = 0;
  int64_t start = 0;
  GstBufferPool* pool = nullptr;
} g_source;

#define BENCH_TYPE_SRC (bench_src_get_type())
G_DECLARE_FINAL_TYPE(BenchSrc, bench_src, BENCH, SRC, GstPushSrc)
struct _BenchSrc {
  GstPushSrc parent;
};
G_DEFINE_TYPE(BenchSrc, bench_src, GST_TYPE_PUSH_SRC)

GstBuffer* stamped_buffer() {
  GstBuffer* buf = nullptr;
  gst_buffer_pool_acquire_buffer(g_source.pool, &buf, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  stamp(map.data, g_source.seq++);
  gst_buffer_unmap(buf, &map);
  return buf;
}

GstFlowReturn bench_src_create(GstPushSrc* src, GstBuffer** out) {
  if (g_source.start == 0) g_source.start = now_ns();
  const int64_t end = g_source.start + static_cast<int64_t>(g_source.seconds * 1e9);
  if (g_source.rate > 0) {
    const int64_t due = g_source.start + static_cast<int64_t>(static_cast<double>(g_source.seq) * 1e9 / g_source.rate);
    if (due >= end) return GST_FLOW_EOS;
    sleep_until_ns(due);
  } else if (now_ns() >= end) {
    return GST_FLOW_EOS;
  }
  if (!g_source.lists) {
    *out = stamped_buffer();
    return GST_FLOW_OK;
  }
  GstBufferList* list = gst_buffer_list_new_sized(kBatch);
  for (int i = 0; i < kBatch; ++i) gst_buffer_list_add(list, stamped_buffer());
  gst_base_src_submit_buffer_list(GST_BASE_SRC(src), list);
  *out = nullptr;
  return GST_FLOW_OK;
}

void bench_src_class_init(BenchSrcClass* klass) {
  static GstStaticPadTemplate tmpl = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  gst_element_class_add_static_pad_template(GST_ELEMENT_CLASS(klass), &tmpl);
  gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass), "bench source", "Source", "stamped datagrams",
                                        "bench");
  GST_PUSH_SRC_CLASS(klass)->create = bench_src_create;
}
void bench_src_init(BenchSrc*) {}

GstElement* run_pipeline(const std::string& launch) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(launch.c_str(), &err);
  if (p == nullptr || err != nullptr) die("cannot build " + launch + ": " + (err ? err->message : "?"));
  if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) die("cannot start " + launch);
  return p;
}

std::string pop_error(GstElement* p, GstClockTime timeout) {
  GstBus* bus = gst_element_get_bus(p);
  GstMessage* m =
      gst_bus_timed_pop_filtered(bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  gst_object_unref(bus);
  std::string text;
  if (m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    text = err->message;
    g_error_free(err);
  }
  if (m != nullptr) gst_message_unref(m);
  return text;
}

uint64_t element_send(const std::string& impl, const std::string& group, uint16_t port, const std::string& ifname,
                      size_t size, double rate, double seconds) {
  gst_element_register(nullptr, "benchsrc", GST_RANK_NONE, BENCH_TYPE_SRC);
  g_source.size = size;
  g_source.rate = rate;
  g_source.seconds = seconds;
  g_source.lists = impl == "sink-list";
  g_source.pool = gst_buffer_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(g_source.pool);
  gst_buffer_pool_config_set_params(config, nullptr, static_cast<guint>(size), 0, 0);
  gst_buffer_pool_set_config(g_source.pool, config);
  gst_buffer_pool_set_active(g_source.pool, TRUE);
  const std::string dest =
      is_v6(group) ? "[" + group + "]:" + std::to_string(port) : group + ":" + std::to_string(port);
  std::string sink;
  if (impl == "udpsink")
    sink = "udpsink host=" + group + " port=" + std::to_string(port) + " multicast-iface=" + ifname + " ttl-mc=1";
  else
    sink = "mcastexpertsink groups=" + dest + " iface=" + ifname + " ttl=1";
  GstElement* p = run_pipeline("benchsrc ! " + sink + " sync=false async=false");
  const std::string err = pop_error(p, GST_CLOCK_TIME_NONE);
  if (!err.empty()) die(err);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return g_source.seq;
}

GstPadProbeReturn count_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* tally = static_cast<Tally*>(data);
  uint8_t head[32];
  auto one = [&](GstBuffer* b) {
    const size_t len = gst_buffer_get_size(b);
    gst_buffer_extract(b, 0, head, std::min<size_t>(len, sizeof head));
    tally->add(head, std::min(len, g_datagram_size));
    for (size_t more = len / g_datagram_size; more > 1; --more) tally->add(nullptr, 0);  // the packed rest
  };
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0, n = gst_buffer_list_length(list); i < n; ++i) one(gst_buffer_list_get(list, i));
  } else {
    one(GST_PAD_PROBE_INFO_BUFFER(info));
  }
  return GST_PAD_PROBE_OK;
}

uint64_t element_receive(const std::string& impl, const std::string& group, uint16_t port, const std::string& ifname,
                         size_t size, double seconds, Tally& tally) {
  const bool tuned = impl.size() > 6 && impl.compare(impl.size() - 6, 6, "-tuned") == 0;
  g_datagram_size = size;
  // src-packed: preserve-packetization=false; -tsdemux: the stream demuxed too (the end-to-end cost).
  const bool packed = impl.find("-packed") != std::string::npos || impl.rfind("src-packed", 0) == 0;
  const bool tsdemux = impl.find("tsdemux") != std::string::npos;
  std::string src;
  if (impl.rfind("udpsrc", 0) == 0)
    src = "udpsrc address=" + group + " port=" + std::to_string(port) + " multicast-iface=" + ifname +
          (tuned ? " buffer-size=16777216 mtu=" + std::to_string(size) : "");
  else
    src = "mcastexpertsrc groups=" + group + " port=" + std::to_string(port) + " iface=" + ifname +
          (tuned || packed || tsdemux ? " buffer-size=16777216 mtu=" + std::to_string(size) : "") +
          (packed ? " preserve-packetization=false" : "") +
          (tsdemux ? " caps=\"video/mpegts,systemstream=(boolean)true,packetsize=(int)188\"" : "");
  // MCASTEXPERT_BENCH_RECV_EXTRA: more properties for the receiving element, to try a setting out.
  if (const char* extra = std::getenv("MCASTEXPERT_BENCH_RECV_EXTRA")) src += std::string(" ") + extra;
  GstElement* p =
      run_pipeline(src + " name=src ! " + (tsdemux ? "tsdemux ! " : "") + "fakesink sync=false async=false");
  GstElement* e = gst_bin_get_by_name(GST_BIN(p), "src");
  GstPad* pad = gst_element_get_static_pad(e, "src");
  gst_pad_add_probe(pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    count_probe, &tally, nullptr);
  gst_object_unref(pad);
  std::printf("{\"ready\": true}\n");
  std::fflush(stdout);
  const int64_t deadline = now_ns() + static_cast<int64_t>(seconds * 1e9);
  while (now_ns() < deadline) {
    const std::string err = pop_error(p, 50 * GST_MSECOND);
    if (!err.empty()) die(err);
    tally.sample_rss();
    if (tally.packets > 0 && now_ns() - tally.last_ns > 500000000) break;
  }
  tally.rss_end = rss_kib();
  uint64_t kernel_drops = 0;
  if (impl.rfind("src", 0) == 0) {
    GstStructure* stats = nullptr;
    g_object_get(e, "stats", &stats, nullptr);
    gst_structure_get_uint64(stats, "packets-dropped-kernel", &kernel_drops);
    gst_structure_free(stats);
  }
  gst_object_unref(e);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return kernel_drops;
}

// --- pacing: a frame-structured sender and a receiver that records arrival times ---

struct FrameSource {
  size_t datagrams = 500;
  int fps = 50;
  uint64_t frames = 0;  // to send
  uint64_t frame = 0;   // next
  uint64_t seq = 0;
  GstBufferPool* pool = nullptr;
} g_frames;

#define BENCH_TYPE_FRAME_SRC (bench_frame_src_get_type())
G_DECLARE_FINAL_TYPE(BenchFrameSrc, bench_frame_src, BENCH, FRAME_SRC, GstPushSrc)
struct _BenchFrameSrc {
  GstPushSrc parent;
};
G_DEFINE_TYPE(BenchFrameSrc, bench_frame_src, GST_TYPE_PUSH_SRC)

// One frame as a payloader hands it over: a list of datagrams, all with the frame's timestamp and no duration.
GstFlowReturn bench_frame_src_create(GstPushSrc* src, GstBuffer** out) {
  if (g_frames.frame >= g_frames.frames) return GST_FLOW_EOS;
  const GstClockTime pts = gst_util_uint64_scale_int(g_frames.frame++, GST_SECOND, g_frames.fps);
  GstBufferList* list = gst_buffer_list_new_sized(static_cast<guint>(g_frames.datagrams));
  for (size_t i = 0; i < g_frames.datagrams; ++i) {
    GstBuffer* buf = nullptr;
    gst_buffer_pool_acquire_buffer(g_frames.pool, &buf, nullptr);
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_WRITE);
    stamp(map.data, g_frames.seq++);
    gst_buffer_unmap(buf, &map);
    GST_BUFFER_PTS(buf) = pts;
    gst_buffer_list_add(list, buf);
  }
  gst_base_src_submit_buffer_list(GST_BASE_SRC(src), list);
  *out = nullptr;
  return GST_FLOW_OK;
}

void bench_frame_src_class_init(BenchFrameSrcClass* klass) {
  static GstStaticPadTemplate tmpl = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  gst_element_class_add_static_pad_template(GST_ELEMENT_CLASS(klass), &tmpl);
  gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass), "bench frames", "Source", "frames of datagrams",
                                        "bench");
  GST_PUSH_SRC_CLASS(klass)->create = bench_frame_src_create;
}
void bench_frame_src_init(BenchFrameSrc* self) {
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);  // a camera's pace: each frame at its time
}

// Sends `seconds` of frames through IMPL with sync=true; returns datagrams sent, and the sink's CPU (its thread's).
uint64_t frames_send(const std::string& impl, const std::string& group, uint16_t port, const std::string& ifname,
                     size_t datagrams, int fps, double seconds) {
  gst_element_register(nullptr, "benchframes", GST_RANK_NONE, BENCH_TYPE_FRAME_SRC);
  g_frames.datagrams = datagrams;
  g_frames.fps = fps;
  g_frames.frames = static_cast<uint64_t>(seconds * fps);
  g_frames.pool = gst_buffer_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(g_frames.pool);
  gst_buffer_pool_config_set_params(config, nullptr, 1316, 0, 0);
  gst_buffer_pool_set_config(g_frames.pool, config);
  gst_buffer_pool_set_active(g_frames.pool, TRUE);
  const double bits_per_second = static_cast<double>(datagrams) * fps * 1316 * 8;
  std::string sink;
  if (impl.rfind("udpsink", 0) == 0) {
    sink = "udpsink host=" + group + " port=" + std::to_string(port) + " multicast-iface=" + ifname + " ttl-mc=1";
    if (impl == "udpsink-max-bitrate")
      sink += " max-bitrate=" + std::to_string(static_cast<uint64_t>(bits_per_second * 1.1));
  } else {
    sink = "mcastexpertsink groups=" + group + ":" + std::to_string(port) + " iface=" + ifname + " ttl=1";
    if (impl == "sink-spread") sink += " pacing=spread";
  }
  GstElement* p = run_pipeline("benchframes ! " + sink + " name=sink sync=true");
  const std::string err = pop_error(p, GST_CLOCK_TIME_NONE);
  if (!err.empty()) die(err);
  if (impl.rfind("sink", 0) == 0) {
    GstElement* e = gst_bin_get_by_name(GST_BIN(p), "sink");
    GstStructure* stats = nullptr;
    g_object_get(e, "stats", &stats, nullptr);
    gchar* text = gst_structure_to_string(stats);
    std::fprintf(stderr, "%s\n", text);
    g_free(text);
    gst_structure_free(stats);
    gst_object_unref(e);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return g_frames.seq;
}

// How evenly datagrams arrived: the most in any window of `w` ns starting at an arrival, over the average rate's
// share of such a window (1.0 = perfectly even).
double peak_ratio(const std::vector<int64_t>& t, int64_t w) {
  if (t.size() < 2 || t.back() <= t.front()) return 0;
  const double per_ns = static_cast<double>(t.size() - 1) / static_cast<double>(t.back() - t.front());
  size_t peak = 0;
  for (size_t i = 0, j = 0; i < t.size(); ++i) {
    while (j < t.size() && t[j] < t[i] + w) ++j;
    peak = std::max(peak, j - i);
  }
  return static_cast<double>(peak) / (per_ns * static_cast<double>(w));
}

void arrivals_receive(const std::string& group, uint16_t port, unsigned ifindex, double seconds) {
  const int fd = raw_receiver_socket(group, port, ifindex, 64 * 1024 * 1024);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  std::printf("{\"ready\": true}\n");
  std::fflush(stdout);
  std::vector<int64_t> arrivals;
  arrivals.reserve(4000000);
  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(2048));
  std::vector<std::array<char, 64>> controls(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  uint64_t highest = 0;
  const int64_t deadline = now_ns() + static_cast<int64_t>(seconds * 1e9);
  int64_t last = 0;
  while (now_ns() < deadline) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = controls[i].data();
      msgs[i].msg_hdr.msg_controllen = controls[i].size();
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      if (!arrivals.empty() && now_ns() - last > 1000000000) break;  // the sender is done
      continue;
    }
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    for (int i = 0; i < n; ++i) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
          timespec ts{};
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arrivals.push_back(static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
        }
      uint64_t seq = 0;
      std::memcpy(&seq, bufs[i].data(), 8);
      highest = std::max(highest, seq + 1);
    }
    if (n > 0) last = now_ns();
  }
  close(fd);
  std::sort(arrivals.begin(), arrivals.end());
  // The first 100 ms are left out: the very first frame has no timestamp gap to be paced by.
  if (!arrivals.empty()) {
    const int64_t from = arrivals.front() + 100000000;
    arrivals.erase(arrivals.begin(), std::lower_bound(arrivals.begin(), arrivals.end(), from));
  }
  if (const char* dump = std::getenv("MCASTEXPERT_BENCH_ARRIVALS")) {  // every arrival time, for a closer look
    if (FILE* f = std::fopen(dump, "w")) {
      for (const int64_t t : arrivals) std::fprintf(f, "%lld\n", static_cast<long long>(t));
      std::fclose(f);
    }
  }
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < arrivals.size(); ++i) gaps.push_back(arrivals[i] - arrivals[i - 1]);
  std::sort(gaps.begin(), gaps.end());
  auto gap_at = [&](double q) {
    return gaps.empty()
               ? 0.0
               : static_cast<double>(gaps[static_cast<size_t>(q * static_cast<double>(gaps.size() - 1))]) / 1000.0;
  };
  std::printf(
      "{\"role\": \"arrivals\", \"received\": %zu, \"highest_seq\": %llu, \"peak_100us\": %.2f, "
      "\"peak_1ms\": %.2f, \"gap_p50_us\": %.1f, \"gap_p99_us\": %.1f}\n",
      arrivals.size(), static_cast<unsigned long long>(highest), peak_ratio(arrivals, 100000),
      peak_ratio(arrivals, 1000000), gap_at(0.5), gap_at(0.99));
}

// --- receive cost with the queue pre-filled ---

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Fills the receiving socket's queue with `count` datagrams on lo (the receiver already joined).
void fill_queue(const std::string& group, uint16_t port, size_t size, size_t count) {
  const int fd = raw_socket(group, 1);
  const auto dest = make_addr(group, port);
  std::vector<uint8_t> buf(size, 0x5a);
  for (size_t i = 0; i < count; ++i) {
    stamp(buf.data(), i);
    if (sendto(fd, buf.data(), size, 0, reinterpret_cast<const sockaddr*>(&dest), addr_len(dest)) < 0)
      die("sendto on lo");
  }
  close(fd);
}

// The second group of a redundant pair: the group's last IPv4 octet plus one.
std::string pair_group(const std::string& group) {
  const auto dot = group.rfind('.');
  return group.substr(0, dot + 1) + std::to_string(std::stoi(group.substr(dot + 1)) + 1);
}

// Fills the queue with `count` datagrams that are `count / 2` RTP packets, each sent to both groups of a pair in
// turn (a red/blue pair on one host), as a merging receiver sees them.
void fill_pair(const std::string& group, uint16_t port, size_t size, size_t count) {
  const int fd = raw_socket(group, 1);
  const sockaddr_storage dest[2] = {make_addr(group, port), make_addr(pair_group(group), port)};
  std::vector<uint8_t> buf(std::max<size_t>(size, 12), 0x5a);
  for (size_t i = 0; i < count; ++i) {
    const auto n = static_cast<uint32_t>(i / 2);
    const uint8_t header[12] = {0x80,
                                96,
                                static_cast<uint8_t>(n >> 8),
                                static_cast<uint8_t>(n),
                                static_cast<uint8_t>(n >> 24),
                                static_cast<uint8_t>(n >> 16),
                                static_cast<uint8_t>(n >> 8),
                                static_cast<uint8_t>(n),
                                0x12,
                                0x34,
                                0x56,
                                0x78};
    std::memcpy(buf.data(), header, sizeof header);
    if (sendto(fd, buf.data(), size, 0, reinterpret_cast<const sockaddr*>(&dest[i % 2]), addr_len(dest[i % 2])) < 0)
      die("sendto on lo");
  }
  close(fd);
}

bool g_drain_packed = false;  // count datagrams by size: a buffer holds several

struct DrainProbe {
  std::atomic<uint64_t> packets{0};
  uint64_t target = 0;
  double first_cpu = 0, last_cpu = 0;
  uint64_t first_packets = 0;
};

GstPadProbeReturn drain_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* d = static_cast<DrainProbe*>(data);
  uint64_t n = 1;
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    n = gst_buffer_list_length(list);
    if (g_drain_packed) {
      n = 0;
      for (guint i = 0; i < gst_buffer_list_length(list); ++i)
        n += std::max<gsize>(1, gst_buffer_get_size(gst_buffer_list_get(list, i)) / g_datagram_size);
    }
  } else if (g_drain_packed) {
    n = std::max<gsize>(1, gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)) / g_datagram_size);
  }
  const uint64_t before = d->packets.load(std::memory_order_relaxed);
  if (before == 0) {
    d->first_cpu = thread_cpu_ns();  // the first read is not counted: it includes waking up
    d->first_packets = n;
  }
  if (before + n >= d->target) d->last_cpu = thread_cpu_ns();
  d->packets.store(before + n, std::memory_order_release);  // publishes last_cpu with the count that completes it
  return GST_PAD_PROBE_DROP;                                // the element alone: no downstream work
}

// Per-datagram CPU time of the receiving thread when datagrams wait in the queue already (full batches, no
// waiting, no softirq work on that core): the element's own cost, steady from run to run. Median over rounds, ns.
double drain_cost(const std::string& impl, const std::string& group, uint16_t port, size_t size, size_t count,
                  int rounds) {
  std::vector<double> per_datagram;
  if (impl == "raw") {
    const int fd = raw_receiver_socket(group, port, 1, 64 * 1024 * 1024);
    std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(65536));
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    for (int r = 0; r < rounds; ++r) {
      fill_queue(group, port, size, count);
      size_t got = 0;
      double start = 0;
      while (got < count) {
        for (int i = 0; i < kBatch; ++i) {
          iov[i] = {bufs[i].data(), bufs[i].size()};
          msgs[i].msg_hdr = {};
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) die("raw drain: the queue ran dry (datagrams dropped?)");
        if (got == 0) start = thread_cpu_ns();
        got += static_cast<size_t>(n);
      }
      per_datagram.push_back((thread_cpu_ns() - start) / static_cast<double>(count - kBatch));
    }
    close(fd);
  } else {
    // src-pair: two groups carrying the same RTP packets, all delivered; src-pair-merge: the same, merged
    // (redundancy=st2022-7), so half are delivered. Both count the cost per datagram read.
    const bool pair = impl.rfind("src-pair", 0) == 0, merge = impl == "src-pair-merge";
    std::string src = impl.rfind("udpsrc", 0) == 0 ? "udpsrc address=" + group + " multicast-iface=lo"
                      : pair ? "mcastexpertsrc groups=" + group + "," + pair_group(group) + " iface=lo"
                             : "mcastexpertsrc groups=" + group + " iface=lo";
    if (merge) src += " redundancy=st2022-7";
    g_drain_packed = impl == "src-packed";
    g_datagram_size = size;
    if (g_drain_packed) src += " preserve-packetization=false";
    src += " port=" + std::to_string(port) + " buffer-size=67108864 mtu=" + std::to_string(size);
    GError* err = nullptr;
    GstElement* p = gst_parse_launch((src + " name=src ! fakesink sync=false async=false").c_str(), &err);
    if (p == nullptr) die("cannot build " + src);
    GstElement* e = gst_bin_get_by_name(GST_BIN(p), "src");
    GstPad* pad = gst_element_get_static_pad(e, "src");
    for (int r = 0; r < rounds; ++r) {
      DrainProbe probe;
      probe.target = merge ? count / 2 : count;
      // The socket is open and joined from READY on, in both elements: the queue fills before reading starts.
      if (gst_element_set_state(p, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) die("cannot open " + src);
      if (pair)
        fill_pair(group, port, size, count);
      else
        fill_queue(group, port, size, count);
      const gulong id = gst_pad_add_probe(
          pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST), drain_probe,
          &probe, nullptr);
      gst_element_set_state(p, GST_STATE_PLAYING);
      const int64_t deadline = now_ns() + 10000000000;
      while (probe.packets.load(std::memory_order_acquire) < probe.target && now_ns() < deadline) g_usleep(1000);
      gst_pad_remove_probe(pad, id);
      if (probe.packets.load() < probe.target) {
        GstStructure* stats = nullptr;
        g_object_get(e, "stats", &stats, nullptr);
        gchar* text = gst_structure_to_string(stats);
        die(impl + " drain: got " + std::to_string(probe.packets.load()) + " in round " + std::to_string(r) + ": " +
            text);
      }
      const double read = static_cast<double>(probe.target - probe.first_packets) * (merge ? 2 : 1);
      per_datagram.push_back((probe.last_cpu - probe.first_cpu) / read);
    }
    gst_object_unref(pad);
    gst_object_unref(e);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  }
  std::sort(per_datagram.begin(), per_datagram.end());
  return per_datagram[per_datagram.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 2) die("usage: see the comment at the top of bench/bench.cpp");
  const std::string role = argv[1];
  if (role == "send" && argc == 11) {
    // Paced sends wake on time: without this the kernel may delay each timer by up to 50 µs (the default slack),
    // and the datagrams would leave in bursts. Threads made later (the pipeline's) inherit it.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    const std::string impl = argv[2], group = argv[3], ifname = argv[5], source = argv[7];
    const auto port = static_cast<uint16_t>(std::atoi(argv[4]));
    const unsigned ifindex = static_cast<unsigned>(std::atoi(argv[6]));
    const size_t size = static_cast<size_t>(std::atoi(argv[8]));
    const double rate = std::atof(argv[9]), seconds = std::atof(argv[10]);
    const double cpu0 = cpu_seconds();
    const int64_t t0 = now_ns();
    const uint64_t sent = impl == "raw" ? raw_send(group, port, ifindex, source, size, rate, seconds)
                                        : element_send(impl, group, port, ifname, size, rate, seconds);
    const double wall = static_cast<double>(now_ns() - t0) / 1e9;
    std::printf("{\"role\": \"send\", \"impl\": \"%s\", \"sent\": %llu, \"seconds\": %.3f, \"cpu\": %.4f}\n",
                impl.c_str(), static_cast<unsigned long long>(sent), wall, cpu_seconds() - cpu0);
    return 0;
  }
  if (role == "recv" && argc == 9) {
    const std::string impl = argv[2], group = argv[3], ifname = argv[5];
    const auto port = static_cast<uint16_t>(std::atoi(argv[4]));
    const unsigned ifindex = static_cast<unsigned>(std::atoi(argv[6]));
    const size_t size = static_cast<size_t>(std::atoi(argv[7]));
    const double seconds = std::atof(argv[8]);
    Tally tally;
    tally.keep_latency = true;
    // Touched up front, so that the samples' memory is in the RSS from the start and RSS growth is the element's.
    tally.latencies.resize(kMaxLatencySamples);
    tally.latencies.clear();
    const double cpu0 = cpu_seconds();
    uint64_t drops = 0;
    if (impl == "raw")
      raw_receive(group, port, ifindex, size, seconds, tally);
    else
      drops = element_receive(impl, group, port, ifname, size, seconds, tally);
    const double cpu = cpu_seconds() - cpu0;
    std::printf(
        "{\"role\": \"recv\", \"impl\": \"%s\", \"received\": %llu, \"bytes\": %llu, \"highest_seq\": %llu, "
        "\"cpu\": %.4f, \"element_drops\": %llu, \"rss_warm_kib\": %ld, \"rss_end_kib\": %ld, \"latency\": %s}\n",
        impl.c_str(), static_cast<unsigned long long>(tally.packets.load()),
        static_cast<unsigned long long>(tally.bytes), static_cast<unsigned long long>(tally.max_seq), cpu,
        static_cast<unsigned long long>(drops), tally.rss_warm, tally.rss_end, percentiles(tally.latencies).c_str());
    return 0;
  }
  if (role == "frames" && argc == 9) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    const std::string impl = argv[2], group = argv[3], ifname = argv[5];
    const auto port = static_cast<uint16_t>(std::atoi(argv[4]));
    const size_t datagrams = static_cast<size_t>(std::atoi(argv[6]));
    const int fps = std::atoi(argv[7]);
    const double seconds = std::atof(argv[8]);
    const double cpu0 = cpu_seconds();
    const int64_t t0 = now_ns();
    const uint64_t sent = frames_send(impl, group, port, ifname, datagrams, fps, seconds);
    std::printf("{\"role\": \"send\", \"impl\": \"%s\", \"sent\": %llu, \"seconds\": %.3f, \"cpu\": %.4f}\n",
                impl.c_str(), static_cast<unsigned long long>(sent), static_cast<double>(now_ns() - t0) / 1e9,
                cpu_seconds() - cpu0);
    return 0;
  }
  if (role == "arrivals" && argc == 6) {
    arrivals_receive(argv[2], static_cast<uint16_t>(std::atoi(argv[3])), static_cast<unsigned>(std::atoi(argv[4])),
                     std::atof(argv[5]));
    return 0;
  }
  if (role == "drain" && argc == 8) {
    const std::string impl = argv[2], group = argv[3];
    const auto port = static_cast<uint16_t>(std::atoi(argv[4]));
    const size_t size = static_cast<size_t>(std::atoi(argv[5])), count = static_cast<size_t>(std::atoi(argv[6]));
    const double ns = drain_cost(impl, group, port, size, count, std::atoi(argv[7]));
    std::printf("{\"role\": \"drain\", \"impl\": \"%s\", \"size\": %zu, \"ns_per_datagram\": %.1f}\n", impl.c_str(),
                size, ns);
    return 0;
  }
  die("usage: see the comment at the top of bench/bench.cpp");
}
