/**
 * SECTION:element-mcastexpertsink
 * @title: mcastexpertsink
 * @see_also: mcastexpertsrc, udpsink, multiudpsink
 *
 * Sends each buffer as one UDP datagram to IP multicast groups, leaving by exactly the interfaces you choose, with
 * the TTL (hop limit), loopback, DSCP and source address set on purpose.
 *
 * Egress is pinned with IP_MULTICAST_IF / IPV6_MULTICAST_IF and each socket is bound to its interface's own address,
 * so receivers (and source-specific joins) see the address they expect; no root and no SO_BINDTODEVICE needed. The
 * sink never joins the groups it sends to. With several interfaces in #mcastexpertsink:iface, every datagram goes
 * out once on each (redundant networks). Without it, each group leaves by the interface the routing table picks
 * for it — the default route's, unless a multicast route says otherwise — and the element says which in an INFO
 * message.
 *
 * Buffer lists go out in batches: runs of equal-sized datagrams as one UDP GSO send, the rest with sendmmsg; a
 * buffer of several memories is one datagram. A send error on one
 * route is counted and reported once while the others go on; when nothing could be sent for a second, the element
 * warns once, keeps trying and says when it sends again (#GstMcastExpertSink:error-timeout makes it an error).
 *
 * With #GstMcastExpertSink:pacing a list's datagrams are spread over its duration or held to
 * #GstMcastExpertSink:max-rate. Interfaces are followed while it runs (re-created: re-pinned; new address:
 * rebound), each change posted as a `McastExpertInterface` element message.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 audiotestsrc ! audioconvert ! rtpL16pay ! mcastexpertsink groups=239.255.0.1
 * ]| Sends by the interface the routing table picks for 239.255.0.1 (reported on the bus).
 * |[
 * gst-launch-1.0 videotestsrc ! rtpvrawpay ! mcastexpertsink groups=239.255.0.1:5004 iface=eth1
 * ]| Pinned to eth1.
 * |[
 * gst-launch-1.0 videotestsrc ! rtpvrawpay ! mcastexpertsink groups=239.255.0.1 iface=eth1,eth2
 * ]| Every datagram once on eth1 and once on eth2.
 * |[
 * gst-launch-1.0 videotestsrc ! rtpvrawpay ! mcastexpertsink groups=239.1.1.1@eth1,239.2.2.2@eth2
 * ]| A red/blue pair (SMPTE ST 2022-7): each group by its own network.
 * |[
 * gst-launch-1.0 audiotestsrc ! rtpL16pay ! mcastexpertsink groups=239.255.0.1 iface=eth1 ttl=8 qos-dscp=46
 * ]| Routed further (TTL 8), marked Expedited Forwarding.
 * |[
 * gst-launch-1.0 audiotestsrc ! rtpL16pay ! mcastexpertsink groups="[ff15::1]:5004" iface=eth1
 * gst-launch-1.0 audiotestsrc ! rtpL16pay ! mcastexpertsink groups=ff02::1:5 iface=fe80::1%eth1
 * ]| IPv6, site-scope and link-scope groups.
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! audioconvert ! rtpL24pay min-ptime=1000000 max-ptime=1000000 \
 *     ! mcastexpertsink groups=239.69.1.1 iface=eth1 sdp-file=stage.sdp session-name="Stage left"
 * ]| AES67-style audio (1 ms packets), its SDP kept current in stage.sdp for receivers: FFmpeg, sdpdemux,
 * mcastexpertsrc sdp-file=stage.sdp, or a device.
 */
#include "gstmcastexpertsink.h"

#include <gst/net/gstptpclock.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "destination.hpp"
#include "element_common.h"
#include "error.hpp"
#include "frame_timing.hpp"
#include "interface_table.hpp"
#include "pacer.hpp"
#include "sap_announcing.h"
#include "send_batch.h"
#include "sender.hpp"
#include "stream_describer.h"
#include "waker.hpp"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_sink_debug);
#define GST_CAT_DEFAULT mcastexpert_sink_debug

using namespace mcastexpert;
using plugin::kReadOnly;
using plugin::kReadyOnly;
using plugin::ListKind;

namespace {

constexpr gint kDefaultPort = 5004;
constexpr gint kDefaultTtl = 1;
constexpr gboolean kDefaultLoop = FALSE;
constexpr gint kDefaultDscp = -1;
constexpr gint kDefaultBindPort = 0;
constexpr gint kDefaultBufferSize = 0;
constexpr guint64 kDefaultErrorTimeout = 0;  // never give up: a pulled cable comes back
constexpr guint64 kDefaultMaxRate = 0;
constexpr guint kDefaultPacingBurst = 16;  // 16 × 1,316 B ≈ 21 KB back to back: well inside a shallow switch buffer
constexpr guint kMaxPacingBurst = 1024;
constexpr gboolean kDefaultGso = TRUE;
// Between FFmpeg's and PipeWire's 5 s and the 30 s of Dante and aes67-linux-daemon: a new listener finds the stream
// within seconds, and ten silent periods (how long listeners keep a session) stay under two minutes.
constexpr guint kDefaultSapInterval = 10;
constexpr guint64 kMaxMaxRate = G_GUINT64_CONSTANT(1000000000000);  // 1 Tbit/s
constexpr gint64 kInterfaceCheckNs = 50 * GST_MSECOND;  // how often a sending sink looks for interface changes

enum Pacing { PACING_NONE, PACING_SPREAD, PACING_RATE };

GType pacing_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {PACING_NONE, "Send each buffer or list at once, as fast as the kernel takes it", "none"},
      {PACING_SPREAD, "Spread each buffer's or list's datagrams evenly over its duration (max-rate: a ceiling)",
       "spread"},
      {PACING_RATE, "Never send faster than max-rate", "rate"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstMcastExpertPacing", values));
  return type;
}

enum {
  PROP_0,
  PROP_GROUPS,
  PROP_PORT,
  PROP_IFACE,
  PROP_TTL,
  PROP_LOOP,
  PROP_QOS_DSCP,
  PROP_BIND_PORT,
  PROP_BUFFER_SIZE,
  PROP_ERROR_TIMEOUT,
  PROP_PACING,
  PROP_MAX_RATE,
  PROP_PACING_BURST,
  PROP_GSO,
  PROP_SDP,
  PROP_SDP_FILE,
  PROP_SESSION_NAME,
  PROP_SAP,
  PROP_SAP_INTERVAL,
  PROP_SAP_GROUP,
  PROP_STATS,
  PROP_URI,
};

enum { SIGNAL_ADD, SIGNAL_REMOVE, SIGNAL_CLEAR, SIGNAL_GET_STATS, LAST_SIGNAL };
guint signals[LAST_SIGNAL];

// Everything the user set: one copy, behind Private::settings_lock; start takes a copy.
struct Settings {
  std::string groups;
  gint port = kDefaultPort;
  std::string iface;
  gint ttl = kDefaultTtl;
  gboolean loop = kDefaultLoop;
  gint dscp = kDefaultDscp;
  gint bind_port = kDefaultBindPort;
  gint buffer_size = kDefaultBufferSize;
  guint64 error_timeout = kDefaultErrorTimeout;  // ns
  gint pacing = PACING_NONE;
  guint64 max_rate = kDefaultMaxRate;  // bits/s of UDP payload
  guint pacing_burst = kDefaultPacingBurst;
  gboolean gso = kDefaultGso;
  std::string sdp_file;                      // where the description is written, "" for nowhere
  std::string session_name;                  // s=; "" for the default
  gboolean sap = FALSE;                      // announce the sdp by SAP
  guint sap_interval = kDefaultSapInterval;  // s
  std::string sap_group;                     // "": 239.255.255.255, or ff0X::2:7ffe for IPv6
  std::vector<Destination> added;            // by the "add" signal, checked when added; kept across restarts
  plugin::RefusedValues refused;
};

// The sockets, from start to stop, dropped whole at stop; and what the streaming thread measured, for stats.
struct RunningState {
  std::shared_ptr<MulticastSender> sender;
  std::unique_ptr<plugin::SapAnnouncing> sap;  // with sap=true: its own thread, a deletion when it goes
  plugin::SendMeasures measures;
};

// The streaming thread's own, made at start and dropped whole at stop: the batch being built, and what it
// reported.
struct StreamingState {
  plugin::DatagramBatch batch;
  std::vector<SendFailure> failures;
  bool warned_oversize = false;
  plugin::FailureWatch failure_watch;
  guint64 error_timeout = 0;                          // ns, from the settings at start
  std::optional<PacingSchedule> schedule;             // with pacing
  FrameTiming frame_timing;                           // with pacing=spread: each batch's share of its frame's time
  GstClockTime frame_duration = GST_CLOCK_TIME_NONE;  // from the caps' framerate
  bool warned_behind = false;
  PreciseWaiter waiter;
  int64_t interfaces_checked = 0;  // monotonic ns: when the sink last looked for interface changes
  bool last_send_failed = false;   // the last batch had sends that failed: look for interface changes at once
  plugin::RateMeter rate;
  uint64_t measured_batches = 0;     // for the description's sampled measurements
  std::vector<GstBuffer*> measured;  // a list's packets to measure (borrowed)
};

}  // namespace

struct McastExpertSinkPrivate {
  std::mutex settings_lock;
  Settings settings;

  // Guards the `running` pointer for the signals, the stats and property reads, which copy the sender's pointer
  // and let go. The streaming thread reads it without the lock (it changes only at start and stop) and sends
  // holding no lock at all: the sender works on its own snapshot of the destinations.
  std::mutex state_lock;
  std::unique_ptr<RunningState> running;

  std::unique_ptr<StreamingState> streaming;

  // unlock() wakes a send waiting for room in a full socket buffer, without any lock.
  Waker stop;

  // The stream's SDP, for the element's life (its session id stays); and the PTP clock whose grandmaster it names,
  // watched for a change (set_clock, under the object lock).
  plugin::StreamDescriber describer;
  GstClock* ptp_clock = nullptr;
  gulong grandmaster_handler = 0;
};

struct _GstMcastExpertSink {
  GstBaseSink parent;
  McastExpertSinkPrivate* priv;
};

static void gst_mcastexpert_sink_uri_handler_init(gpointer g_iface, gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE(GstMcastExpertSink, gst_mcastexpert_sink, GST_TYPE_BASE_SINK,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, gst_mcastexpert_sink_uri_handler_init))
GST_ELEMENT_REGISTER_DEFINE(mcastexpertsink, "mcastexpertsink", GST_RANK_NONE, GST_TYPE_MCASTEXPERT_SINK)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_mcastexpert_sink_finalize(GObject* object);
static void gst_mcastexpert_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec);
static void gst_mcastexpert_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec);
static gboolean gst_mcastexpert_sink_start(GstBaseSink* sink);
static gboolean gst_mcastexpert_sink_stop(GstBaseSink* sink);
static gboolean gst_mcastexpert_sink_unlock(GstBaseSink* sink);
static gboolean gst_mcastexpert_sink_unlock_stop(GstBaseSink* sink);
static GstFlowReturn gst_mcastexpert_sink_render(GstBaseSink* sink, GstBuffer* buffer);
static GstFlowReturn gst_mcastexpert_sink_render_list(GstBaseSink* sink, GstBufferList* list);
static gboolean gst_mcastexpert_sink_set_caps(GstBaseSink* sink, GstCaps* caps);
static void gst_mcastexpert_sink_add(GstMcastExpertSink* self, const gchar* host, gint port);
static void gst_mcastexpert_sink_remove(GstMcastExpertSink* self, const gchar* host, gint port);
static void gst_mcastexpert_sink_clear(GstMcastExpertSink* self);
static GstStructure* gst_mcastexpert_sink_get_stats(GstMcastExpertSink* self, const gchar* host, gint port);
static gboolean gst_mcastexpert_sink_set_clock(GstElement* element, GstClock* clock);
static void describe_now(GstMcastExpertSink* self);
static void write_sdp_file(GstMcastExpertSink* self, const std::string& text);
static std::string session_name_of(const Settings& s);

static void gst_mcastexpert_sink_class_init(GstMcastExpertSinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* basesink_class = GST_BASE_SINK_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(mcastexpert_sink_debug, "mcastexpertsink", 0, "mcastexpert multicast sender");

  gobject_class->finalize = gst_mcastexpert_sink_finalize;
  gobject_class->set_property = gst_mcastexpert_sink_set_property;
  gobject_class->get_property = gst_mcastexpert_sink_get_property;

  /**
   * GstMcastExpertSink:groups:
   *
   * Where to send, comma-separated: `group` or `group:port`, `[v6]:port` for IPv6 (`239.255.0.1:5004`,
   * `[ff15::1]:5006`). One family per element. Required (or destinations added with the "add" signal).
   *
   * Since: 0.1
   */
  plugin::install_list_property(gobject_class, PROP_GROUPS, "groups", "Groups",
                                "Comma-separated destination groups, each group or group:port ([v6]:port for IPv6)",
                                ListKind::Destinations, kReadyOnly);
  /**
   * GstMcastExpertSink:port:
   *
   * The destination port for groups listed without one.
   *
   * Since: 0.1
   */
  g_object_class_install_property(gobject_class, PROP_PORT,
                                  g_param_spec_int("port", "Port", "Destination port for groups listed without one", 1,
                                                   65535, kDefaultPort, kReadyOnly));
  /**
   * GstMcastExpertSink:iface:
   *
   * The interfaces to send by, comma-separated: names, IPv4 addresses, IPv6 addresses (with or without `%scope`) or
   * indexes. Every datagram goes out once on each. An address that two interfaces share is refused as ambiguous, and
   * so is an interface named twice (also as its name and its index or address).
   * Empty: the interface the routing table picks for each group (an error when there is no route).
   *
   * Since: 0.1
   */
  plugin::install_list_property(gobject_class, PROP_IFACE, "iface", "Interfaces",
                                "Comma-separated interfaces to send by, each datagram once on each: name, IPv4, "
                                "IPv6[%scope] or index (empty = the interface the routing table picks for the group)",
                                ListKind::Interfaces, kReadyOnly);
  /**
   * GstMcastExpertSink:ttl:
   *
   * The multicast TTL (IPv4) or hop limit (IPv6). 1, the default, keeps datagrams on the local link.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_TTL,
      g_param_spec_int("ttl", "TTL", "Multicast TTL (IPv4) or hop limit (IPv6); 1 keeps datagrams on the local link", 0,
                       255, kDefaultTtl, kReadyOnly));
  /**
   * GstMcastExpertSink:loop:
   *
   * Whether receivers on this host get the datagrams too (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_LOOP,
      g_param_spec_boolean("loop", "Loop", "Deliver the datagrams to receivers on this host too", kDefaultLoop,
                           kReadyOnly));
  /**
   * GstMcastExpertSink:qos-dscp:
   *
   * The Differentiated Services Code Point put in IP_TOS / IPV6_TCLASS; -1 leaves it as the OS sets it.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_QOS_DSCP,
      g_param_spec_int("qos-dscp", "QoS DSCP",
                       "Differentiated Services Code Point for IP_TOS / IPV6_TCLASS (-1 = leave as is)", -1, 63,
                       kDefaultDscp, kReadyOnly));
  /**
   * GstMcastExpertSink:bind-port:
   *
   * The source port. 0 takes an ephemeral one (the same on every interface when it can). While the element runs
   * this reads the port bound; stopped, what you set (so a restart asks for an ephemeral port again).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_BIND_PORT,
      g_param_spec_int("bind-port", "Bind port", "Source port (0 = ephemeral; while running, reads the port bound)", 0,
                       65535, kDefaultBindPort, kReadyOnly));
  /**
   * GstMcastExpertSink:buffer-size:
   *
   * The kernel send buffer in bytes (0 = OS default); a smaller grant warns naming net.core.wmem_max.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_BUFFER_SIZE,
      g_param_spec_int("buffer-size", "Buffer size",
                       "Kernel send buffer in bytes (0 = OS default); warns when net.core.wmem_max caps it", 0,
                       G_MAXINT, kDefaultBufferSize, kReadyOnly));
  /**
   * GstMcastExpertSink:error-timeout:
   *
   * When nothing at all could be sent for this many nanoseconds (every destination's send failing: a cable
   * pulled, a link down), post an error and stop. 0, the default, never gives up: after a second of failures the
   * sink posts one warning, keeps trying and counting (`send-errors` in #GstMcastExpertSink:stats, per interface
   * too), and posts an info message when sending works again.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_ERROR_TIMEOUT,
      g_param_spec_uint64("error-timeout", "Error timeout",
                          "Post an error when nothing could be sent for this many ns (0 = never: warn after a "
                          "second, keep trying, say when it works again)",
                          0, G_MAXUINT64, kDefaultErrorTimeout, kReadyOnly));
  /**
   * GstMcastExpertSink:pacing:
   *
   * How the datagrams of a buffer list (a video frame from a payloader: hundreds to thousands of datagrams with one
   * timestamp) leave. `none`, the default, sends each list at once, as fast as the kernel takes it. `spread` sends
   * them evenly over the list's duration — its first buffer's duration, else the gap between its timestamp and the
   * previous one's, else one frame of the caps' framerate (without any, at once) — in bursts of at most
   * #GstMcastExpertSink:pacing-burst datagrams, each holding what falls due within 50 µs; a list never starts
   * before the previous one's time is over, so consecutive frames do not overlap. `rate` never sends faster than
   * #GstMcastExpertSink:max-rate. Pacing waits in user space (an absolute `clock_nanosleep` on CLOCK_MONOTONIC,
   * with the streaming thread's timer slack lowered to 1 ns), so it works on any qdisc; it never drops or
   * reorders, and works with sync=true and sync=false and with every destination and interface. A sink that
   * cannot keep up warns once, with the rate it achieved, and sends as fast as it can.
   *
   * Since: 0.3
   */
  g_object_class_install_property(
      gobject_class, PROP_PACING,
      g_param_spec_enum("pacing", "Pacing",
                        "How a list's datagrams leave: at once, spread evenly over its duration, or at max-rate",
                        pacing_get_type(), PACING_NONE, kReadyOnly));
  /**
   * GstMcastExpertSink:max-rate:
   *
   * Bits per second of UDP payload that #GstMcastExpertSink:pacing never exceeds, on each destination and
   * interface (each carries the stream once): the rate with `pacing=rate`, a ceiling with `spread`. 0, the
   * default, is no ceiling (`pacing=rate` then refuses to start). Also set as SO_MAX_PACING_RATE on the sockets,
   * which the fq qdisc enforces in the kernel as well.
   *
   * Since: 0.3
   */
  g_object_class_install_property(
      gobject_class, PROP_MAX_RATE,
      g_param_spec_uint64("max-rate", "Maximum rate",
                          "Bits per second of UDP payload pacing never exceeds (0 = no ceiling; needed by pacing=rate)",
                          0, kMaxMaxRate, kDefaultMaxRate, kReadyOnly));
  /**
   * GstMcastExpertSink:pacing-burst:
   *
   * With #GstMcastExpertSink:pacing, the most datagrams sent back to back, whatever the batching (GSO runs and
   * sendmmsg included): 16, the default, is about 21 KB of 1,316-byte datagrams, which a switch port with a shallow
   * buffer absorbs. A paced burst holds what falls due within 50 µs, up to this many.
   *
   * Since: 0.3
   */
  g_object_class_install_property(
      gobject_class, PROP_PACING_BURST,
      g_param_spec_uint("pacing-burst", "Pacing burst", "With pacing: the most datagrams sent back to back", 1,
                        kMaxPacingBurst, kDefaultPacingBurst, kReadyOnly));
  /**
   * GstMcastExpertSink:gso:
   *
   * Whether runs of equal-sized datagrams go to the kernel as one UDP GSO send (UDP_SEGMENT), which it cuts into
   * datagrams as late as it can. Receivers see the same datagrams either way, but a capture on the sending host
   * (tcpdump, wireshark) shows each run as one large packet, and some NICs mishandle GSO. false sends every
   * datagram on its own through sendmmsg: what the capture then shows is what leaves.
   *
   * Since: 0.3
   */
  g_object_class_install_property(
      gobject_class, PROP_GSO,
      g_param_spec_boolean("gso", "UDP GSO",
                           "Send runs of equal-sized datagrams as one UDP GSO call (false: each datagram on its own, "
                           "as a capture on this host then shows)",
                           kDefaultGso, kReadyOnly));
  /**
   * GstMcastExpertSink:sdp:
   *
   * The SDP (RFC 8866) of the stream as it is being sent: `o=` with the address the datagrams leave from, `c=` the
   * group (`/ttl` for IPv4), `m=` the port and payload type, `a=rtpmap` / `a=fmtp` from the negotiated caps (as
   * GStreamer's SDP library maps them), `a=source-filter: incl` naming the sending address, `a=ptime` and
   * `a=framecount` measured from the audio packets sent, and with a PTP pipeline clock (#GstPtpClock)
   * `a=ts-refclk:ptp=IEEE1588-2008:<grandmaster>:<domain>` and `a=mediaclk:direct=<offset>` (RFC 7273) as the
   * payloader really timestamps. Several destinations are one `m=` each under `a=group:DUP` (RFC 7104). NULL until
   * caps are known and while stopped, and for a stream that is not RTP (MPEG-TS straight over UDP has no SDP that
   * players agree on: payload it with rtpmp2tpay). Notified (notify::sdp) at every change, the `o=` version one
   * higher each time, the session id the same for the element's life.
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SDP,
      g_param_spec_string("sdp", "SDP",
                          "The SDP of the stream as sent (NULL until RTP caps are known, while stopped, and for a "
                          "stream that is not RTP)",
                          nullptr, kReadOnly));
  /**
   * GstMcastExpertSink:sdp-file:
   *
   * A path the element writes #GstMcastExpertSink:sdp to each time it changes, whole (a temporary file renamed over
   * it: a reader never sees half of it). Any state; the next change writes to the new path.
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SDP_FILE,
      g_param_spec_string("sdp-file", "SDP file", "Write the sdp to this file, whole, each time it changes", nullptr,
                          plugin::kLive));
  /**
   * GstMcastExpertSink:session-name:
   *
   * The `s=` line of #GstMcastExpertSink:sdp: what receivers list the stream as. Unset (NULL or empty), the `s=`
   * line is never empty: it is the host's name and the first destination ("studio-a 239.255.0.1:5004"), which
   * tells two senders on one host apart.
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SESSION_NAME,
      g_param_spec_string("session-name", "Session name",
                          "The SDP's s= line (unset: the host's name and the first destination, as the sdp shows)",
                          nullptr, plugin::kLive));
  /**
   * GstMcastExpertSink:sap:
   *
   * Announce #GstMcastExpertSink:sdp by SAP (RFC 2974) while PAUSED or PLAYING: on every interface the stream leaves
   * by, from that interface's address, with the stream's #GstMcastExpertSink:ttl, every
   * #GstMcastExpertSink:sap-interval seconds and at once when the SDP changes; the deletion follows when the element
   * stops, so receivers drop the stream at once. Dante and AES67 devices, PipeWire, VLC, FFmpeg's `sap://` and
   * `mcastexpert sap` list it.
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SAP,
      g_param_spec_boolean("sap", "SAP", "Announce the sdp by SAP (RFC 2974) while running, and delete it on stop",
                           FALSE, kReadyOnly));
  /**
   * GstMcastExpertSink:sap-interval:
   *
   * Seconds between SAP announcements (FFmpeg and PipeWire use 5, Dante and aes67-linux-daemon 30).
   *
   * Since: 0.4
   */
  g_object_class_install_property(gobject_class, PROP_SAP_INTERVAL,
                                  g_param_spec_uint("sap-interval", "SAP interval", "Seconds between SAP announcements",
                                                    1, 300, kDefaultSapInterval, kReadyOnly));
  /**
   * GstMcastExpertSink:sap-group:
   *
   * The SAP groups to announce on, comma-separated. Empty, the default: 239.255.255.255 for an IPv4 stream (where
   * Dante and AES67 devices, aes67-linux-daemon and PipeWire's AES67 setup listen), ff0X::2:7ffe of the stream
   * group's scope for IPv6. Add 224.2.127.254 to reach FFmpeg's and VLC's defaults.
   *
   * Since: 0.4
   */
  plugin::install_list_property(gobject_class, PROP_SAP_GROUP, "sap-group", "SAP groups",
                                "Comma-separated SAP groups to announce on (empty: 239.255.255.255, or ff0X::2:7ffe "
                                "of the stream's scope for IPv6; add 224.2.127.254 for FFmpeg and VLC)",
                                ListKind::Groups, kReadyOnly);
  /**
   * GstMcastExpertSink:stats:
   *
   * `packets-sent`, `bytes-sent`, `send-errors`, `oversized-dropped`, `buffer-size` (granted), `send-rate`
   * (bits/s of payload over the last complete second), `largest-burst` (datagrams sent back to back, at most),
   * `schedule-late-max` and `schedule-late-mean` (ns a paced burst left after it was due), and the arrays
   * `destinations` (per destination and interface: `destination`, `iface`, `packets`, `bytes`, `errors`) and
   * `interfaces` (per interface: `iface`, `index`, `source`, `packets`, `bytes`, `errors`).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics", "Packets and bytes sent per destination and per interface, send errors",
                         GST_TYPE_STRUCTURE, kReadOnly));
  /**
   * GstMcastExpertSink:uri:
   *
   * An `mcast://GROUP[:PORT][?key=value&...]` URI: sets #GstMcastExpertSink:groups,
   * #GstMcastExpertSink:port and the properties named by the query keys. It is taken whole or not at all: an
   * unknown key, a value that is not one, raw control bytes or a bad percent-escape refuse the URI, every setting
   * stays as it was, and the next start fails with an error naming the key, the value and the fix. Keys an earlier
   * URI set that this one leaves out go back to their defaults.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_URI,
      g_param_spec_string("uri", "URI", "mcast://GROUP[:PORT][?iface=..&ttl=..]: sets groups, port and the keys",
                          nullptr, kReadyOnly));

  /**
   * GstMcastExpertSink::add:
   * @group: the group, IPv4 or IPv6
   * @port: the destination port
   *
   * Adds a destination, at once when running (by every interface of #GstMcastExpertSink:iface, or by the one the
   * routing table picks), and for every later start. @group is one multicast address of the element's family, as
   * #GstMcastExpertSink:groups takes it but without a port; a destination that is not (unicast, the other family,
   * a port outside 1–65535), or one the element has already (listed in #GstMcastExpertSink:groups or added before),
   * is refused with a warning on the bus, before start as while running.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ADD] = g_signal_new_class_handler(
      "add", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_mcastexpert_sink_add), nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
  /**
   * GstMcastExpertSink::remove:
   * @group: the group, IPv4 or IPv6
   * @port: the destination port
   *
   * Removes a destination. While running it stops at once, whether #GstMcastExpertSink:groups listed it or
   * #GstMcastExpertSink::add added it; an added one is also forgotten for later starts. An entry of
   * #GstMcastExpertSink:groups comes back at the next start: to drop it for good, change the property.
   *
   * Since: 0.1
   */
  signals[SIGNAL_REMOVE] = g_signal_new_class_handler(
      "remove", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_mcastexpert_sink_remove), nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
  /**
   * GstMcastExpertSink::clear:
   * Removes every destination until the next start, when #GstMcastExpertSink:groups applies again.
   *
   * Since: 0.1
   */
  signals[SIGNAL_CLEAR] = g_signal_new_class_handler(
      "clear", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_mcastexpert_sink_clear), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);
  /**
   * GstMcastExpertSink::get-stats:
   * @group: the group, IPv4 or IPv6
   * @port: the destination port
   *
   * Returns: a structure with `packets-sent`, `bytes-sent` and `send-errors` for that destination, over every
   * interface (zeros while stopped), or NULL, with a warning on the bus, for a destination the element does not
   * have.
   *
   * Since: 0.1
   */
  signals[SIGNAL_GET_STATS] = g_signal_new_class_handler("get-stats", G_TYPE_FROM_CLASS(klass),
                                                         static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                                                         G_CALLBACK(gst_mcastexpert_sink_get_stats), nullptr, nullptr,
                                                         nullptr, GST_TYPE_STRUCTURE, 2, G_TYPE_STRING, G_TYPE_INT);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Multicast sender (interface-pinned)", "Sink/Network",
      "Sends datagrams to IPv4/IPv6 multicast groups by exactly the interfaces you choose, with TTL, loop, DSCP and "
      "source address set on purpose",
      "mcastexpert developers");

  element_class->set_clock = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_set_clock);
  basesink_class->start = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_render);
  basesink_class->render_list = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_render_list);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_set_caps);
  basesink_class->unlock = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_unlock_stop);
}

static void gst_mcastexpert_sink_init(GstMcastExpertSink* self) {
  self->priv = new McastExpertSinkPrivate();
}

static void gst_mcastexpert_sink_finalize(GObject* object) {
  auto* self = GST_MCASTEXPERT_SINK(object);
  if (self->priv->ptp_clock != nullptr) {
    g_signal_handler_disconnect(self->priv->ptp_clock, self->priv->grandmaster_handler);
    gst_object_unref(self->priv->ptp_clock);
  }
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_mcastexpert_sink_parent_class)->finalize(object);
}

// --- settings ---

static void read_setting(const Settings& s, guint prop_id, GValue* value) {
  switch (prop_id) {
    case PROP_GROUPS: g_value_set_string(value, s.groups.c_str()); break;
    case PROP_PORT: g_value_set_int(value, s.port); break;
    case PROP_IFACE: g_value_set_string(value, s.iface.c_str()); break;
    case PROP_TTL: g_value_set_int(value, s.ttl); break;
    case PROP_LOOP: g_value_set_boolean(value, s.loop); break;
    case PROP_QOS_DSCP: g_value_set_int(value, s.dscp); break;
    case PROP_BIND_PORT: g_value_set_int(value, s.bind_port); break;
    case PROP_BUFFER_SIZE: g_value_set_int(value, s.buffer_size); break;
    case PROP_ERROR_TIMEOUT: g_value_set_uint64(value, s.error_timeout); break;
    case PROP_PACING: g_value_set_enum(value, s.pacing); break;
    case PROP_MAX_RATE: g_value_set_uint64(value, s.max_rate); break;
    case PROP_PACING_BURST: g_value_set_uint(value, s.pacing_burst); break;
    case PROP_GSO: g_value_set_boolean(value, s.gso); break;
    case PROP_SDP_FILE: g_value_set_string(value, s.sdp_file.c_str()); break;
    case PROP_SESSION_NAME: g_value_set_string(value, s.session_name.c_str()); break;
    case PROP_SAP: g_value_set_boolean(value, s.sap); break;
    case PROP_SAP_INTERVAL: g_value_set_uint(value, s.sap_interval); break;
    case PROP_SAP_GROUP: g_value_set_string(value, s.sap_group.c_str()); break;
    default: break;
  }
}

static void write_setting(Settings& s, guint prop_id, const GValue* value) {
  switch (prop_id) {
    case PROP_GROUPS: s.groups = plugin::string_of(value); break;
    case PROP_PORT: s.port = g_value_get_int(value); break;
    case PROP_IFACE: s.iface = plugin::string_of(value); break;
    case PROP_TTL: s.ttl = g_value_get_int(value); break;
    case PROP_LOOP: s.loop = g_value_get_boolean(value); break;
    case PROP_QOS_DSCP: s.dscp = g_value_get_int(value); break;
    case PROP_BIND_PORT: s.bind_port = g_value_get_int(value); break;
    case PROP_BUFFER_SIZE: s.buffer_size = g_value_get_int(value); break;
    case PROP_ERROR_TIMEOUT: s.error_timeout = g_value_get_uint64(value); break;
    case PROP_PACING: s.pacing = g_value_get_enum(value); break;
    case PROP_MAX_RATE: s.max_rate = g_value_get_uint64(value); break;
    case PROP_PACING_BURST: s.pacing_burst = g_value_get_uint(value); break;
    case PROP_GSO: s.gso = g_value_get_boolean(value); break;
    case PROP_SDP_FILE: s.sdp_file = plugin::string_of(value); break;
    case PROP_SESSION_NAME: s.session_name = plugin::string_of(value); break;
    case PROP_SAP: s.sap = g_value_get_boolean(value); break;
    case PROP_SAP_INTERVAL: s.sap_interval = g_value_get_uint(value); break;
    case PROP_SAP_GROUP: s.sap_group = plugin::string_of(value); break;
    default: break;
  }
}

static Settings settings_snapshot(McastExpertSinkPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  return priv->settings;
}

// Posts `e` as the element's error, quoting values from `snapshot`. No lock held.
static void post_error(GstMcastExpertSink* self, const Error& e, const Settings& snapshot) {
  plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_OPEN_WRITE,
                     plugin::snapshot_value_text(G_OBJECT_GET_CLASS(self),
                                                 [&](guint id, GValue* v) { read_setting(snapshot, id, v); }));
}

// The running sender, or nullptr; the pointer keeps it alive while the caller uses it.
static std::shared_ptr<MulticastSender> running_sender(McastExpertSinkPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->state_lock);
  return priv->running ? priv->running->sender : nullptr;
}

// --- the stream's description ---

// The s= line: what the user set, else the host's name and the first destination, which tells two senders on one
// host apart.
static std::string session_name_of(const Settings& s) {
  if (!s.session_name.empty()) return s.session_name;
  std::string first;
  try {
    const auto all = destinations_of(parse_group_list(s.groups, kDestinationRules), static_cast<uint16_t>(s.port));
    if (!all.empty())
      first = " " + Destination{all.front().group, all.front().port, {}}.to_string();
    else if (!s.added.empty())
      first = " " + Destination{s.added.front().group, s.added.front().port, {}}.to_string();
  } catch (const Error&) {
    // refused groups: the name goes without a destination
  }
  return std::string(g_get_host_name()) + first;
}

// The running destinations as the description's legs: each with the addresses its datagrams leave from.
static std::vector<SentLeg> sent_legs(const MulticastSender& sender, int ttl) {
  const auto egresses = sender.egresses();
  std::vector<SentLeg> legs;
  for (const auto& route : sender.route_stats()) {
    const Destination target{route.destination.group, route.destination.port, {}};
    auto leg = std::find_if(legs.begin(), legs.end(), [&](const SentLeg& l) {
      return l.group.same_address(target.group) && l.port == target.port;
    });
    if (leg == legs.end()) leg = legs.insert(legs.end(), SentLeg{target.group, target.port, ttl, {}});
    for (const auto& e : egresses)
      if (e.iface.name == route.ifname && std::none_of(leg->sources.begin(), leg->sources.end(),
                                                       [&](const IpAddress& a) { return a.same_address(e.source); }))
        leg->sources.push_back(e.source);
  }
  return legs;
}

// The PTP grandmaster the pipeline clock follows, nullopt when it is no PTP clock (or has none yet).
static std::optional<PtpReference> ptp_reference(GstMcastExpertSink* self) {
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  std::optional<PtpReference> ref;
  if (clock != nullptr && GST_IS_PTP_CLOCK(clock)) {
    guint64 grandmaster = 0;
    guint domain = 0;
    g_object_get(clock, "grandmaster-clock-id", &grandmaster, "domain", &domain, nullptr);
    if (grandmaster != 0) ref = PtpReference{grandmaster, domain};
  }
  if (clock != nullptr) gst_object_unref(clock);
  return ref;
}

// Writes the description to sdp-file, if one is set; a failure is a warning naming the path.
static void write_sdp_file(GstMcastExpertSink* self, const std::string& text) {
  const std::string path = settings_snapshot(self->priv).sdp_file;
  if (path.empty() || text.empty()) return;
  std::string error;
  if (!plugin::write_file_whole(path, text, error))
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                        ("Cannot write the SDP to sdp-file '%s': %s", path.c_str(), error.c_str()),
                        ("the sdp property still has it; give a path in a writable folder"));
}

// Describes the stream as it is now; when the description changed, notifies sdp and writes sdp-file. No lock held
// by the caller.
static void describe_now(GstMcastExpertSink* self) {
  auto* priv = self->priv;
  const Settings s = settings_snapshot(priv);
  const auto sender = running_sender(priv);
  const auto changed = priv->describer.describe(sender ? sent_legs(*sender, s.ttl) : std::vector<SentLeg>{},
                                                session_name_of(s), ptp_reference(self));
  if (!changed) return;
  if (changed->empty())
    GST_INFO_OBJECT(self, "no SDP: %s", priv->describer.why_none().c_str());
  else
    GST_INFO_OBJECT(self, "SDP now:\n%s", changed->c_str());
  write_sdp_file(self, *changed);
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (priv->running && priv->running->sap) priv->running->sap->set_sdp(*changed);
  }
  g_object_notify(G_OBJECT(self), "sdp");
}

// A PTP clock's grandmaster changed: receivers must hear of the new one (RFC 7273 ts-refclk).
static void on_grandmaster_changed(GObject*, GParamSpec*, gpointer self) {
  describe_now(GST_MCASTEXPERT_SINK(self));
}

// The pipeline's clock: a PTP clock is watched for a new grandmaster, and the description says which clock it is.
static gboolean gst_mcastexpert_sink_set_clock(GstElement* element, GstClock* clock) {
  auto* self = GST_MCASTEXPERT_SINK(element);
  auto* priv = self->priv;
  {
    GST_OBJECT_LOCK(self);
    if (priv->ptp_clock != nullptr) {
      g_signal_handler_disconnect(priv->ptp_clock, priv->grandmaster_handler);
      gst_object_unref(priv->ptp_clock);
      priv->ptp_clock = nullptr;
    }
    if (clock != nullptr && GST_IS_PTP_CLOCK(clock)) {
      priv->ptp_clock = GST_CLOCK(gst_object_ref(clock));
      priv->grandmaster_handler =
          g_signal_connect(clock, "notify::grandmaster-clock-id", G_CALLBACK(on_grandmaster_changed), self);
    }
    GST_OBJECT_UNLOCK(self);
  }
  const gboolean ret = GST_ELEMENT_CLASS(gst_mcastexpert_sink_parent_class)->set_clock(element, clock);
  describe_now(self);
  return ret;
}

static void gst_mcastexpert_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SINK(object);
  auto* priv = self->priv;
  if (prop_id == PROP_0 || prop_id > PROP_URI || prop_id == PROP_STATS || prop_id == PROP_SDP) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    return;
  }
  Settings& s = priv->settings;
  const plugin::SettingsAccess access{priv->settings_lock, s.refused,
                                      [&](guint id, GValue* v) { read_setting(s, id, v); },
                                      [&](guint id, const GValue* v) { write_setting(s, id, v); }};
  if (!plugin::set_element_property(GST_ELEMENT(self), GST_CAT_DEFAULT, pspec, value, PROP_URI, access)) return;
  // The live ones, applied now: a new name is a new description, a new path gets the current one.
  if (prop_id == PROP_SESSION_NAME) describe_now(self);
  if (prop_id == PROP_SDP_FILE) write_sdp_file(self, priv->describer.text());
}

static GValue stats_entry(GstStructure* s) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed(&v, s);
  return v;
}

static GstStructure* make_stats(McastExpertSinkPrivate* priv) {
  std::shared_ptr<MulticastSender> sender;
  uint64_t oversized = 0, send_rate = 0, largest_burst = 0, late_max = 0, late_mean = 0;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (const auto& r = priv->running) {
      sender = r->sender;
      const plugin::SendMeasures& m = r->measures;
      oversized = m.oversized.load(std::memory_order_relaxed);
      send_rate = m.send_rate.load(std::memory_order_relaxed);
      largest_burst = m.largest_burst.load(std::memory_order_relaxed);
      late_max = m.late_max.load(std::memory_order_relaxed);
      const uint64_t bursts = m.late_bursts.load(std::memory_order_relaxed);
      late_mean = bursts > 0 ? m.late_sum.load(std::memory_order_relaxed) / bursts : 0;
    }
  }
  GstStructure* s = gst_structure_new_empty("application/x-mcastexpert-sink-stats");
  uint64_t packets = 0, bytes = 0, errors = 0;
  GValue destinations = G_VALUE_INIT, interfaces = G_VALUE_INIT;
  gst_value_array_init(&destinations, 0);
  gst_value_array_init(&interfaces, 0);
  if (sender) {
    const auto routes = sender->route_stats();
    for (const auto& r : routes) {
      packets += r.packets;
      bytes += r.bytes;
      errors += r.errors;
      GValue v =
          stats_entry(gst_structure_new("destination", "destination", G_TYPE_STRING, r.destination.to_string().c_str(),
                                        "iface", G_TYPE_STRING, r.ifname.c_str(), "packets", G_TYPE_UINT64, r.packets,
                                        "bytes", G_TYPE_UINT64, r.bytes, "errors", G_TYPE_UINT64, r.errors, nullptr));
      gst_value_array_append_and_take_value(&destinations, &v);
    }
    for (const auto& e : sender->egresses()) {
      uint64_t ip = 0, ib = 0, ie = 0;
      for (const auto& r : routes)
        if (r.ifname == e.iface.name) ip += r.packets, ib += r.bytes, ie += r.errors;
      GValue v = stats_entry(gst_structure_new(
          "interface", "iface", G_TYPE_STRING, e.iface.name.c_str(), "index", G_TYPE_UINT, e.iface.index, "source",
          G_TYPE_STRING, e.source.to_string().c_str(), "source-port", G_TYPE_UINT, static_cast<guint>(e.source_port),
          "packets", G_TYPE_UINT64, ip, "bytes", G_TYPE_UINT64, ib, "errors", G_TYPE_UINT64, ie, nullptr));
      gst_value_array_append_and_take_value(&interfaces, &v);
    }
  }
  gst_structure_set(s, "packets-sent", G_TYPE_UINT64, packets, "bytes-sent", G_TYPE_UINT64, bytes, "send-errors",
                    G_TYPE_UINT64, errors, "oversized-dropped", G_TYPE_UINT64, oversized, "buffer-size", G_TYPE_INT,
                    sender ? sender->granted_buffer_size() : 0, "send-rate", G_TYPE_UINT64, send_rate, "largest-burst",
                    G_TYPE_UINT64, largest_burst, "schedule-late-max", G_TYPE_UINT64, late_max, "schedule-late-mean",
                    G_TYPE_UINT64, late_mean, nullptr);
  gst_structure_take_value(s, "destinations", &destinations);
  gst_structure_take_value(s, "interfaces", &interfaces);
  return s;
}

static void gst_mcastexpert_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SINK(object);
  auto* priv = self->priv;
  if (prop_id == PROP_0 || prop_id > PROP_URI) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    return;
  }
  switch (prop_id) {
    case PROP_STATS: g_value_take_boxed(value, make_stats(priv)); return;
    case PROP_URI: {
      const std::string uri = plugin::build_uri(GST_ELEMENT(self));
      g_value_set_string(value, uri.empty() ? nullptr : uri.c_str());
      return;
    }
    case PROP_SDP: {
      const std::string text = priv->describer.text();
      g_value_set_string(value, text.empty() ? nullptr : text.c_str());
      return;
    }
    case PROP_BIND_PORT:
      // While running, the port bound (bind-port=0 asks for any); what the user set otherwise.
      if (const auto sender = running_sender(priv)) {
        const auto egresses = sender->egresses();
        if (!egresses.empty()) {
          g_value_set_int(value, egresses.front().source_port);
          return;
        }
      }
      break;
    default: break;
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  read_setting(priv->settings, prop_id, value);
}

// --- running state ---

// The destinations `s` names: the groups and, after them, those the "add" signal added.
static std::vector<Destination> destinations_to_start(const Settings& s) {
  auto all = destinations_of(about_setting("groups", [&] { return parse_group_list(s.groups, kDestinationRules); }),
                             static_cast<uint16_t>(s.port));
  for (const auto& d : s.added) {
    // The groups may have changed family since the destination was added.
    if (!all.empty() && d.group.family() != all.front().group.family())
      throw Error(ErrorKind::InvalidSetting,
                  "destination " + d.to_string() + ", added with the 'add' signal, is " +
                      family_name(d.group.family()) + " but the groups are " + family_name(all.front().group.family()),
                  "remove it with the 'remove' signal, or use a second element for the other family");
    if (std::find(all.begin(), all.end(), d) == all.end()) all.push_back(d);
  }
  return all;
}

static void report_egresses(GstMcastExpertSink* self, const MulticastSender& sender) {
  const auto routes = sender.route_stats();
  for (const auto& e : sender.egresses()) {
    std::string dests;
    for (const auto& r : routes)
      if (r.ifname == e.iface.name) dests += (dests.empty() ? "" : ", ") + r.destination.to_string();
    if (e.from_route()) {
      // gst-launch prints an INFO message's debug part only, so the text goes in both.
      gchar* text = g_strdup_printf(
          "Sending to %s by %s (index %u, source %s), the interface the routing table picks (%s); set iface to "
          "choose another",
          dests.c_str(), e.iface.name.c_str(), e.iface.index, e.source.to_string().c_str(),
          e.reason == EgressReason::MulticastRoute ? "a multicast route" : "the default route");
      GST_ELEMENT_INFO(self, RESOURCE, SETTINGS, ("%s", text), ("%s", text));
      g_free(text);
    } else {
      GST_INFO_OBJECT(self, "sending to %s by %s (index %u) from %s port %u", dests.c_str(), e.iface.name.c_str(),
                      e.iface.index, e.source.to_string().c_str(), e.source_port);
    }
  }
}

// With sap=true: the announcer, on every interface the stream leaves by (each from its own address), on the SAP groups
// of sap-group or the defaults for the stream's family. Throws Error naming sap-group or what else is wrong.
static std::unique_ptr<plugin::SapAnnouncing> start_sap(GstMcastExpertSink* self, const Settings& s,
                                                        const MulticastSender& sender) {
  SapAnnouncerSettings sap;
  const auto egresses = sender.egresses();
  for (const auto& e : egresses) sap.iface += (sap.iface.empty() ? "" : ",") + e.iface.name;
  const auto routes = sender.route_stats();
  const IpAddress first = !routes.empty() ? routes.front().destination.group : IpAddress{};
  if (!s.sap_group.empty()) {
    for (const auto& g : about_setting("sap-group", [&] { return parse_group_list(s.sap_group, kReceiverGroupRules); }))
      sap.groups.push_back(g.address);
    if (!sap.groups.empty() && !routes.empty() && sap.groups.front().family() != first.family()) {
      Error e(ErrorKind::InvalidSetting,
              std::string("is ") + family_name(sap.groups.front().family()) + " but the stream is " +
                  family_name(first.family()),
              "announce on SAP groups of the stream's family (239.255.255.255, or ff0X::2:7ffe for IPv6)");
      e.set_setting("sap-group");
      throw e;
    }
  } else {
    sap.groups = {first.is_v6() ? sap_group_for(first) : *IpAddress::parse("239.255.255.255")};
  }
  sap.ttl = s.ttl;
  sap.log = plugin::debug_log(GST_ELEMENT(self), GST_CAT_DEFAULT);
  return about_setting("sap", [&] {
    return std::make_unique<plugin::SapAnnouncing>(sap, InterfaceTable::from_system(), s.sap_interval);
  });
}

static gboolean gst_mcastexpert_sink_start(GstBaseSink* basesink) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  auto* priv = self->priv;
  const Settings s = settings_snapshot(priv);
  if (plugin::report_refused_value(GST_ELEMENT(self), s.refused)) return FALSE;
  SenderSettings ss;
  auto running = std::make_unique<RunningState>();
  try {
    if (!priv->stop.valid()) throw_system_error("cannot create an eventfd", EMFILE);
    ss.destinations = destinations_to_start(s);
    ss.iface = s.iface;
    ss.ttl = s.ttl;
    ss.loop = s.loop;
    ss.dscp = s.dscp;
    ss.bind_port = static_cast<uint16_t>(s.bind_port);
    ss.buffer_size = s.buffer_size;
    ss.gso = s.gso;
    if (s.pacing == PACING_RATE && s.max_rate == 0) {
      Error e(ErrorKind::InvalidSetting, "pacing=rate needs a rate, and max-rate is 0",
              "set max-rate (bits per second of payload, e.g. max-rate=100000000 for 100 Mbit/s), or use "
              "pacing=spread");
      e.set_setting("max-rate");
      throw e;
    }
    if (s.pacing != PACING_NONE) ss.max_pacing_rate = s.max_rate;
    ss.log = plugin::debug_log(GST_ELEMENT(self), GST_CAT_DEFAULT);
    running->sender = std::make_shared<MulticastSender>(ss, InterfaceTable::from_system());
    if (s.sap) running->sap = start_sap(self, s, *running->sender);
  } catch (const Error& e) {
    post_error(self, e, s);
    return FALSE;
  }
  report_egresses(self, *running->sender);
  const int granted = running->sender->granted_buffer_size();
  if (ss.buffer_size > 0 && granted < ss.buffer_size)
    GST_ELEMENT_WARNING(
        self, RESOURCE, SETTINGS,
        ("Asked for a %d-byte send buffer, got %d: the kernel caps it at net.core.wmem_max", ss.buffer_size, granted),
        ("raise it (sysctl -w net.core.wmem_max=%d), or run with CAP_NET_ADMIN so SO_SNDBUFFORCE works",
         ss.buffer_size));
  auto streaming = std::make_unique<StreamingState>();
  streaming->error_timeout = s.error_timeout;
  PacingSettings pacing;
  pacing.mode = s.pacing == PACING_SPREAD ? PacingMode::Spread
                : s.pacing == PACING_RATE ? PacingMode::Rate
                                          : PacingMode::None;
  pacing.max_rate = s.max_rate;
  pacing.burst_max = s.pacing_burst;
  if (pacing.mode != PacingMode::None) streaming->schedule.emplace(pacing);
  priv->streaming = std::move(streaming);
  priv->stop.clear();  // an unlock from before this start means nothing now
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    priv->running = std::move(running);
  }
  if (s.bind_port == 0) g_object_notify(G_OBJECT(self), "bind-port");  // reads the port bound now
  describe_now(self);  // caps kept from before a restart describe the stream at once
  return TRUE;
}

static gboolean gst_mcastexpert_sink_stop(GstBaseSink* basesink) {
  auto* priv = GST_MCASTEXPERT_SINK(basesink)->priv;
  std::unique_ptr<RunningState> old;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    old = std::move(priv->running);
  }
  priv->streaming.reset();
  const bool described = !priv->describer.text().empty();
  priv->describer.stop();
  if (described) g_object_notify(G_OBJECT(basesink), "sdp");
  return TRUE;
}

static gboolean gst_mcastexpert_sink_unlock(GstBaseSink* basesink) {
  GST_MCASTEXPERT_SINK(basesink)->priv->stop.wake();
  return TRUE;
}

static gboolean gst_mcastexpert_sink_unlock_stop(GstBaseSink* basesink) {
  GST_MCASTEXPERT_SINK(basesink)->priv->stop.clear();
  return TRUE;
}

// --- streaming ---

// Adds one buffer as one datagram to the batch being built; a buffer too large for UDP is left out, counted, and
// reported once.
static void add_datagram(GstMcastExpertSink* self, GstBuffer* buffer, size_t max_datagram) {
  auto* priv = self->priv;
  StreamingState& st = *priv->streaming;
  if (st.batch.add(buffer, max_datagram)) return;
  priv->running->measures.oversized.fetch_add(1, std::memory_order_relaxed);
  if (!st.warned_oversize)
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                        ("Dropping a %zu-byte buffer: a UDP datagram holds at most %zu bytes",
                         gst_buffer_get_size(buffer), max_datagram),
                        ("payload smaller (e.g. the payloader's mtu property); later ones are counted in stats "
                         "(oversized-dropped), not reported again"));
  st.warned_oversize = true;
}

// A few times a second, while sending: the kernel's interface and address changes are followed (a re-created
// interface or a new address gets a new socket) and reported. On the streaming thread, which alone sends.
static void follow_interfaces(GstMcastExpertSink* self) {
  auto* priv = self->priv;
  StreamingState& st = *priv->streaming;
  const int64_t now = monotonic_ns();
  // While sends fail, at every batch: the change that will mend them (a new address, the interface back) is
  // taken up as soon as the kernel has announced it, not up to kInterfaceCheckNs later.
  if (!st.last_send_failed && now - st.interfaces_checked < kInterfaceCheckNs) return;
  st.interfaces_checked = now;
  MulticastSender& sender = *priv->running->sender;
  if (!sender.interfaces_changed()) return;
  try {
    plugin::post_interface_events(GST_ELEMENT(self), sender.follow_interfaces(sender.interfaces_now()),
                                  GST_RESOURCE_ERROR_WRITE);
  } catch (const Error& e) {
    GST_WARNING_OBJECT(self, "cannot read the interfaces after a change: %s", e.what());
  }
}

// Sends the batch in bursts as the schedule says; warns once when the sink runs behind (it then sends each burst as
// soon as the last is out: as fast as it can).
static SendOutcome send_paced(GstMcastExpertSink* self, GstClockTime duration) {
  auto* priv = self->priv;
  StreamingState& st = *priv->streaming;
  RunningState& running = *priv->running;
  GST_LOG_OBJECT(self, "pacing %zu datagrams over %" GST_TIME_FORMAT, st.batch.size(), GST_TIME_ARGS(duration));
  const plugin::PacedSend paced = plugin::send_paced(
      st.batch, GST_CLOCK_TIME_IS_VALID(duration) ? static_cast<int64_t>(duration) : 0, *st.schedule, st.waiter,
      priv->stop, running.measures,
      [&](const Datagram* d, size_t n) { return running.sender->send(d, n, st.failures, priv->stop); });
  if (paced.outcome.interrupted) {
    st.frame_timing = FrameTiming{};  // what follows a flush starts afresh
    return paced.outcome;
  }
  if (paced.worst_late_ns > plugin::kBehindWarningNs && !st.warned_behind) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                        ("Pacing cannot keep up: %.1f ms behind schedule, sending %.1f Mbit/s where %.1f Mbit/s was "
                         "asked for; sending as fast as possible",
                         static_cast<double>(paced.worst_late_ns) / 1e6, paced.achieved_mbps(), paced.wanted_mbps()),
                        ("the network or this host is slower than the stream (a full send buffer waits); lower the "
                         "rate, or raise max-rate / pacing-burst; schedule-late-max in stats tells how far behind; "
                         "reported once"));
    st.warned_behind = true;
  }
  return paced.outcome;
}

// Posts what sending as a whole did: each failed route's warning, and the messages the failure watch says are due.
// FLOW_ERROR when error-timeout has run out.
static GstFlowReturn report_sending(GstMcastExpertSink* self, bool failed) {
  StreamingState& st = *self->priv->streaming;
  for (const auto& f : st.failures)
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", plugin::describe_send_failure(f).c_str()),
                        ("the other destinations go on; this one is counted in stats and reported again only if "
                         "the error changes"));
  switch (st.failure_watch.after_batch(failed, g_get_monotonic_time(), st.error_timeout)) {
    case plugin::FailureWatch::Report::None: break;
    case plugin::FailureWatch::Report::SendingAgain:
      GST_ELEMENT_INFO(self, RESOURCE, WRITE,
                       ("Sending again after %.1f s in which nothing could be sent", st.failure_watch.seconds()),
                       ("Sending again after %.1f s in which nothing could be sent", st.failure_watch.seconds()));
      break;
    case plugin::FailureWatch::Report::NothingSentForASecond:
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("Nothing could be sent for a second (every destination failed); still trying"),
                          ("the datagrams meanwhile are dropped and counted in stats (send-errors); an info message "
                           "follows when sending works again; set error-timeout to stop with an error instead"));
      break;
    case plugin::FailureWatch::Report::GiveUp:
      GST_ELEMENT_ERROR(self, RESOURCE, WRITE,
                        ("Every destination has failed for %.1f s; nothing can be sent", st.failure_watch.seconds()),
                        ("error-timeout is %" G_GUINT64_FORMAT " ns; the warnings before this one give each "
                         "destination's error",
                         st.error_timeout));
      return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

// Sends the batch built by add_datagram (at once, or paced over `duration`) and reports what went wrong.
static GstFlowReturn send_batch(GstMcastExpertSink* self, GstClockTime duration) {
  auto* priv = self->priv;
  StreamingState& st = *priv->streaming;
  RunningState& running = *priv->running;
  follow_interfaces(self);
  st.failures.clear();
  SendOutcome outcome;
  bool failed = false;  // something was to be sent, and every send of it failed
  if (!st.batch.empty()) {
    const uint64_t bytes = st.batch.bytes();
    const int64_t batch_start = monotonic_ns();
    if (st.schedule) {
      outcome = send_paced(self, duration);
    } else {
      running.measures.count_burst(st.batch.size());
      outcome = running.sender->send(st.batch.datagrams(), st.batch.size(), st.failures, priv->stop);
    }
    if (outcome.sent > 0) st.rate.add(bytes, batch_start, monotonic_ns(), running.measures.send_rate);
    st.last_send_failed = outcome.failed > 0;
    // No destination at all (all removed) is not a failure: there is nowhere to send, as with multiudpsink.
    failed = outcome.sent == 0 && outcome.failed > 0 && !outcome.interrupted;
  }
  st.batch.clear();
  if (outcome.interrupted) {
    GST_DEBUG_OBJECT(self,
                     "unlocked while waiting to send (for room, or for the pace); the rest of the batch is "
                     "dropped");
    return GST_FLOW_FLUSHING;
  }
  return report_sending(self, failed);
}

// How long a batch whose first buffer is `first` may take to leave, with pacing=spread (see FrameTiming).
static GstClockTime batch_duration(StreamingState& st, GstBuffer* first, size_t count) {
  const GstClockTime pts = GST_BUFFER_PTS_IS_VALID(first) ? GST_BUFFER_PTS(first) : GST_BUFFER_DTS(first);
  const auto ns = [](GstClockTime t) { return GST_CLOCK_TIME_IS_VALID(t) ? static_cast<int64_t>(t) : -1; };
  const int64_t spread = st.frame_timing.spread_of(ns(pts), ns(GST_BUFFER_DURATION(first)), count,
                                                   std::max<int64_t>(0, ns(st.frame_duration)));
  return spread > 0 ? static_cast<GstClockTime>(spread) : GST_CLOCK_TIME_NONE;
}

// The description's measurements from the packets about to leave: every one for audio (the packet time), the first
// of a batch otherwise (the media clock offset). A change describes the stream again.
static void measure_packets(GstMcastExpertSink* self, GstBuffer* const* buffers, guint n) {
  auto* priv = self->priv;
  const GstSegment& segment = GST_BASE_SINK(self)->segment;
  const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  // Video and the rest: the media clock offset, from the first packet of one batch in 64 (a steady offset needs no
  // more, and a 300,000-packet/s stream pays nothing for it); audio: every packet, for its packet time.
  const auto wants = priv->describer.wants();
  if (wants == plugin::StreamDescriber::Wants::Nothing) return;
  if (wants == plugin::StreamDescriber::Wants::Sample && priv->streaming->measured_batches++ % 64 != 0) return;
  const guint count = wants == plugin::StreamDescriber::Wants::EveryPacket ? n : std::min(n, 1u);
  bool changed = false;
  for (guint i = 0; i < count; ++i) {
    const GstClockTime pts = GST_BUFFER_PTS(buffers[i]);
    const GstClockTime running = GST_CLOCK_TIME_IS_VALID(pts) && segment.format == GST_FORMAT_TIME
                                     ? gst_segment_to_running_time(&segment, GST_FORMAT_TIME, pts)
                                     : GST_CLOCK_TIME_NONE;
    changed |= priv->describer.measure(buffers[i], running, base);
  }
  if (changed) describe_now(self);
}

static GstFlowReturn gst_mcastexpert_sink_render(GstBaseSink* basesink, GstBuffer* buffer) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  StreamingState& st = *self->priv->streaming;
  measure_packets(self, &buffer, 1);
  const GstClockTime duration = st.schedule ? batch_duration(st, buffer, 1) : GST_CLOCK_TIME_NONE;
  add_datagram(self, buffer, self->priv->running->sender->max_datagram());
  return send_batch(self, duration);
}

static GstFlowReturn gst_mcastexpert_sink_render_list(GstBaseSink* basesink, GstBufferList* list) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  StreamingState& st = *self->priv->streaming;
  const size_t max = self->priv->running->sender->max_datagram();
  const guint n = gst_buffer_list_length(list);
  if (n == 0) return GST_FLOW_OK;
  const GstClockTime duration = st.schedule ? batch_duration(st, gst_buffer_list_get(list, 0), n) : GST_CLOCK_TIME_NONE;
  std::vector<GstBuffer*>& packets = st.measured;
  packets.resize(self->priv->describer.wants() == plugin::StreamDescriber::Wants::EveryPacket ? n : 1);
  for (guint i = 0; i < packets.size(); ++i) packets[i] = gst_buffer_list_get(list, i);
  measure_packets(self, packets.data(), static_cast<guint>(packets.size()));
  for (guint i = 0; i < n; ++i) add_datagram(self, gst_buffer_list_get(list, i), max);
  return send_batch(self, duration);
}

// The caps' framerate gives pacing=spread a frame's time when the buffers carry neither durations nor gaps.
static gboolean gst_mcastexpert_sink_set_caps(GstBaseSink* basesink, GstCaps* caps) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  auto* priv = self->priv;
  priv->describer.set_caps(caps);
  describe_now(self);
  if (!priv->streaming) return TRUE;  // caps before start: nothing to pace yet
  StreamingState& st = *priv->streaming;
  st.frame_duration = GST_CLOCK_TIME_NONE;
  gint num = 0, den = 0;
  if (caps != nullptr && gst_caps_get_size(caps) > 0 &&
      gst_structure_get_fraction(gst_caps_get_structure(caps, 0), "framerate", &num, &den) && num > 0 && den > 0)
    st.frame_duration = gst_util_uint64_scale_int(GST_SECOND, den, num);
  return TRUE;
}

// --- signals ---

// Posts the warning for a signal call that was refused: the signal, its arguments, why and the fix.
static void refuse_signal(GstMcastExpertSink* self, const char* signal, const gchar* host, gint port,
                          const std::string& why) {
  GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                      ("Signal '%s' (\"%s\", %d) refused: %s", signal, host != nullptr ? host : "", port, why.c_str()),
                      ("nothing changed"));
}

// The destination a signal names, or nullopt after refusing the call.
static std::optional<Destination> signal_destination(GstMcastExpertSink* self, const char* signal, const gchar* host,
                                                     gint port) {
  try {
    return parse_destination(host != nullptr ? host : "", port);
  } catch (const Error& e) {
    refuse_signal(self, signal, host, port, plugin::describe(e));
    return std::nullopt;
  }
}

// The refusal of a signal that names a destination the element does not have, said once for every such signal.
static std::string not_a_destination(const Destination& d) {
  return d.to_string() +
         " is not a destination of this element. Fix: name one that the groups property lists or that the 'add' "
         "signal added (the stats property lists them under destinations)";
}

// Whether `d` is one of the destinations `s.groups` lists (false when the groups would be refused at start).
static bool listed_in_groups(const Settings& s, const Destination& d) {
  try {
    const auto listed = destinations_of(parse_group_list(s.groups, kDestinationRules), static_cast<uint16_t>(s.port));
    return std::find(listed.begin(), listed.end(), d) != listed.end();
  } catch (const Error&) {
    return false;  // a refused groups value is reported at start
  }
}

// The family the element sends before it runs: its groups', else that of the destinations added so far.
static std::optional<Family> configured_family(const Settings& s) {
  try {
    const auto groups = parse_group_list(s.groups, kDestinationRules);
    if (!groups.empty()) return groups.front().address.family();
  } catch (const Error&) {
    // a refused groups value is reported at start
  }
  if (!s.added.empty()) return s.added.front().group.family();
  return std::nullopt;
}

static void gst_mcastexpert_sink_add(GstMcastExpertSink* self, const gchar* host, gint port) {
  auto* priv = self->priv;
  const auto d = signal_destination(self, "add", host, port);
  if (!d) return;
  // A destination the element has already is refused, as a group listed twice is: sending twice was not meant.
  const char* had = nullptr;
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    const auto& added = priv->settings.added;
    if (std::find(added.begin(), added.end(), *d) != added.end())
      had = "was added before";
    else if (listed_in_groups(priv->settings, *d))
      had = "is listed in groups";
  }
  if (had != nullptr) {
    refuse_signal(self, "add", host, port, d->to_string() + " " + had + ". Fix: add each destination once");
    return;
  }
  try {
    if (const auto sender = running_sender(priv)) {
      sender->add_destination(*d, InterfaceTable::from_system());
    } else if (const auto family = configured_family(settings_snapshot(priv))) {
      check_destination_family(*d, *family);
    }
  } catch (const Error& e) {
    refuse_signal(self, "add", host, port, plugin::describe(e));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    auto& added = priv->settings.added;
    if (std::find(added.begin(), added.end(), *d) == added.end()) added.push_back(*d);
  }
  GST_INFO_OBJECT(self, "added destination %s", d->to_string().c_str());
  describe_now(self);  // no lock held: it takes them
}

static void gst_mcastexpert_sink_remove(GstMcastExpertSink* self, const gchar* host, gint port) {
  auto* priv = self->priv;
  const auto d = signal_destination(self, "remove", host, port);
  if (!d) return;
  const auto sender = running_sender(priv);
  const bool removed_running = sender && sender->remove_destination(*d);
  bool was_added;
  bool listed = false;
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    auto& added = priv->settings.added;
    const auto it = std::find(added.begin(), added.end(), *d);
    was_added = it != added.end();
    if (was_added) added.erase(it);
    if (!sender) listed = listed_in_groups(priv->settings, *d);
  }
  if (removed_running || was_added) {
    GST_INFO_OBJECT(self, "removed destination %s", d->to_string().c_str());
    describe_now(self);
  } else if (listed) {
    refuse_signal(self, "remove", host, port,
                  d->to_string() +
                      " is listed in groups, which applies again at every start. Fix: take it out of "
                      "the groups property");
  } else {
    refuse_signal(self, "remove", host, port, not_a_destination(*d));
  }
}

static void gst_mcastexpert_sink_clear(GstMcastExpertSink* self) {
  auto* priv = self->priv;
  if (const auto sender = running_sender(priv)) sender->clear_destinations();
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    priv->settings.added.clear();
  }
  GST_INFO_OBJECT(self, "cleared all destinations");
  describe_now(self);
}

static GstStructure* gst_mcastexpert_sink_get_stats(GstMcastExpertSink* self, const gchar* host, gint port) {
  const auto d = signal_destination(self, "get-stats", host, port);
  if (!d) return nullptr;
  uint64_t packets = 0, bytes = 0, errors = 0;
  bool known = false;
  if (const auto sender = running_sender(self->priv)) {
    for (const auto& r : sender->route_stats())
      if (r.destination.same_target(*d)) {
        known = true;
        packets += r.packets, bytes += r.bytes, errors += r.errors;
      }
  } else {
    // Stopped: a destination the next start will have counts as known, with nothing sent yet.
    const Settings s = settings_snapshot(self->priv);
    try {
      const auto next = destinations_to_start(s);
      known = std::any_of(next.begin(), next.end(), [&](const Destination& n) { return n.same_target(*d); });
    } catch (const Error&) {
      // a value start would refuse: nothing is known
    }
  }
  if (!known) {
    refuse_signal(self, "get-stats", host, port, not_a_destination(*d));
    return nullptr;
  }
  return gst_structure_new("application/x-mcastexpert-destination-stats", "destination", G_TYPE_STRING,
                           Destination{d->group, d->port, {}}.to_string().c_str(), "packets-sent", G_TYPE_UINT64,
                           packets, "bytes-sent", G_TYPE_UINT64, bytes, "send-errors", G_TYPE_UINT64, errors, nullptr);
}

// --- GstURIHandler (mcast://, shared with the source) ---

static void gst_mcastexpert_sink_uri_handler_init(gpointer g_iface, gpointer) {
  plugin::init_uri_handler(g_iface);
}
