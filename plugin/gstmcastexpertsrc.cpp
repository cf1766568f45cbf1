/**
 * SECTION:element-mcastexpertsrc
 * @title: mcastexpertsrc
 * @see_also: mcastexpertsink, udpsrc
 *
 * Receives UDP datagrams sent to IP multicast groups, joined on exactly the network interfaces you name, and pushes
 * them downstream — only those: datagrams for another group on the same port, the right group arriving on an
 * interface it did not join on, unicast sent to the port, and (with #mcastexpertsrc:sources or
 * #mcastexpertsrc:block-sources) unwanted senders are dropped and counted in #mcastexpertsrc:stats.
 *
 * Interfaces are named by name (`eth1`), IPv4 address, IPv6 address (with or without `%scope`) or index, and a name
 * or address that matches nothing is an error, never a silent fall-back to the default route's interface. Without
 * #mcastexpertsrc:iface the groups are joined on every interface that is up, multicast-capable, not loopback and
 * has an address of the groups' family.
 *
 * Each buffer carries a #GstNetAddressMeta with the sender's address (unless
 * #mcastexpertsrc:retrieve-sender-address is off) and a custom meta named `McastExpertReceiveMeta` whose structure
 * holds the destination `group` (string), `port` (uint), and the arrival interface's `ifindex` (uint) and `ifname`
 * (string). Datagrams read together go downstream as one buffer list; each has its own timestamp, the running time
 * at which the kernel received it.
 *
 * The element follows its interfaces while it runs: one deleted and made again under the same name is joined again
 * on its new index, and with the default interfaces new ones are joined and vanished ones dropped; each change is
 * posted as a `McastExpertInterface` element message (and a warning or info message).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=239.255.0.1 port=5004 ! fakesink dump=true
 * ]| Joins 239.255.0.1 on every multicast-capable interface.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=239.255.0.1 iface=eth1 \
 *     caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=RAW,sampling=YCbCr-4:2:2,depth=(string)8,width=(string)320,height=(string)240,colorimetry=BT601-5"
 * \ ! rtpjitterbuffer ! rtpvrawdepay ! videoconvert ! autovideosink
 * ]| Receives an RTP stream on eth1 only.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=239.255.0.1 iface=eth1,eth2 ! fakesink
 * ]| Joins on two interfaces; the meta tells which one each datagram came by.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=239.1.1.1@eth1,239.2.2.2@eth2 port=5004 redundancy=st2022-7 \
 *     caps="application/x-rtp,..." ! rtpjitterbuffer ! ...
 * ]| A red/blue pair (SMPTE ST 2022-7): group 239.1.1.1 only from eth1, 239.2.2.2 only from eth2, each RTP packet
 * delivered once — the first copy to arrive.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=232.1.1.1 sources=10.0.0.5 iface=eth1 ! fakesink
 * ]| Source-specific multicast (IGMPv3): only 10.0.0.5's datagrams are delivered.
 * |[
 * gst-launch-1.0 mcastexpertsrc sdp-file=stream.sdp iface=eth1 ! rtpjitterbuffer ! rtpL24depay ! audioconvert \
 *     ! autoaudiosink
 * ]| Receives what a stream description says (an AES67 device's, FFmpeg's -sdp_file, mcastexpertsink's sdp-file):
 * groups, port, senders and caps come from the SDP, the interface from iface.
 * |[
 * gst-launch-1.0 mcastexpertsrc sap-session="Stage left" iface=eth1 ! rtpjitterbuffer ! rtpL24depay ! audioconvert \
 *     ! autoaudiosink
 * gst-launch-1.0 playbin uri="sap://?session=Stage%20left&iface=eth1"
 * ]| Receives the stream announced by SAP (RFC 2974) as "Stage left" on eth1 — a Dante or AES67 device's,
 * PipeWire's, FFmpeg's, mcastexpertsink sap=true's — and follows its announcements while playing.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=ff02::1:5 iface=eth1 ! fakesink
 * gst-launch-1.0 playbin uri="mcast://[ff02::1:5%eth1]:5004"
 * ]| An IPv6 link-scope group, which needs its interface.
 */
#include "gstmcastexpertsrc.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "datagram_buffers.h"
#include "datagram_pool.h"
#include "element_common.h"
#include "error.hpp"
#include "interface_table.hpp"
#include "receive_meta.h"
#include "receiver.hpp"
#include "reception_plan.hpp"
#include "rtp_merge.hpp"
#include "sap_following.h"
#include "sdp_reading.hpp"
#include "wait_deadline.hpp"
#include "waker.hpp"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_src_debug);
#define GST_CAT_DEFAULT mcastexpert_src_debug

using namespace mcastexpert;
using plugin::kLive;
using plugin::kReadOnly;
using plugin::kReadyOnly;
using plugin::ListKind;

namespace {

constexpr gint kDefaultPort = 5004;
constexpr guint kDefaultMtu = 1500;
constexpr guint kDefaultBatchSize = 64;
constexpr gboolean kDefaultPreservePacketization = TRUE;
constexpr gint64 kInterfaceCheckUs = 200000;  // how often a stream that never waits looks for interface changes
constexpr guint64 kDefaultTimeout = 0;
constexpr guint kDefaultRejoinInterval = 0;  // s; off: a network with a querier needs none
constexpr guint kMaxRejoinInterval = 3600;
// Sized for video: a frame of uncompressed HD arrives as a burst of thousands of datagrams, which the OS default
// (about 200 KiB) cannot hold while the streaming thread is busy downstream.
constexpr gint kDefaultBufferSize = 8 * 1024 * 1024;
constexpr gint kDefaultSkipFirstBytes = 0;
constexpr gboolean kDefaultRetrieveSenderAddress = TRUE;
constexpr gboolean kDefaultReuse = TRUE;
constexpr gboolean kDefaultLoop = FALSE;
constexpr guint kDefaultRedundancyWindowMs = 500;  // over the widest path difference ST 2022-7 receivers take (450 ms)
constexpr guint64 kDefaultLegSilenceNs = GST_SECOND;  // a leg this long without data is reported gone (timeout=0)

// What mcastexpertsrc does with copies of one stream arriving by several legs.
enum Redundancy { REDUNDANCY_NONE, REDUNDANCY_ST2022_7 };

GType redundancy_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {REDUNDANCY_NONE, "Deliver every datagram of every leg", "none"},
      {REDUNDANCY_ST2022_7, "SMPTE ST 2022-7: deliver each RTP packet once, the first copy to arrive", "st2022-7"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstMcastExpertRedundancy", values));
  return type;
}

enum {
  PROP_0,
  PROP_GROUPS,
  PROP_PORT,
  PROP_IFACE,
  PROP_SOURCES,
  PROP_BLOCK_SOURCES,
  PROP_CAPS,
  PROP_BUFFER_SIZE,
  PROP_MTU,
  PROP_TIMEOUT,
  PROP_REJOIN_INTERVAL,
  PROP_RETRIEVE_SENDER_ADDRESS,
  PROP_SKIP_FIRST_BYTES,
  PROP_REUSE,
  PROP_LOOP,
  PROP_BATCH_SIZE,
  PROP_REDUNDANCY,
  PROP_REDUNDANCY_WINDOW,
  PROP_PRESERVE_PACKETIZATION,
  PROP_SDP,
  PROP_SDP_FILE,
  PROP_MEDIA,
  PROP_SAP_SESSION,
  PROP_SAP_GROUP,
  PROP_STATS,
  PROP_URI,
};

// A counted reference to caps (NULL allowed), so that settings can be copied whole.
class CapsRef {
 public:
  CapsRef() = default;
  CapsRef(const CapsRef& other) : caps_(other.caps_ != nullptr ? gst_caps_ref(other.caps_) : nullptr) {}
  CapsRef& operator=(const CapsRef& other) {
    if (this != &other) reset(other.caps_ != nullptr ? gst_caps_ref(other.caps_) : nullptr);
    return *this;
  }
  ~CapsRef() { reset(nullptr); }
  GstCaps* get() const { return caps_; }
  void reset(GstCaps* taken) {
    if (caps_ != nullptr) gst_caps_unref(caps_);
    caps_ = taken;
  }

 private:
  GstCaps* caps_ = nullptr;
};

// What the socket is made from: a change here means a new socket at the next start.
struct SocketSettings {
  std::string groups;
  gint port = kDefaultPort;
  std::string iface;
  std::string sources;
  std::string block_sources;
  gint buffer_size = kDefaultBufferSize;
  bool buffer_size_set = false;  // asked for by the user (a smaller grant is then worth a warning)
  gboolean reuse = kDefaultReuse;
  gboolean loop = kDefaultLoop;
  std::string sdp;          // a stream description, as text
  std::string sdp_file;     // ... or in a file, read at each start
  std::string media;        // which media description of it
  std::string sap_session;  // ... or the one announced by SAP under this name ("*": the first heard)
  std::string sap_group;    // the SAP groups listened on for it ("": the defaults)

  bool operator==(const SocketSettings& o) const {
    return groups == o.groups && port == o.port && iface == o.iface && sources == o.sources &&
           block_sources == o.block_sources && buffer_size == o.buffer_size && reuse == o.reuse && loop == o.loop &&
           sdp == o.sdp && sdp_file == o.sdp_file && media == o.media && sap_session == o.sap_session &&
           sap_group == o.sap_group;
  }
  bool operator!=(const SocketSettings& o) const { return !(*this == o); }
};

// What the streaming thread reads for every batch: these properties apply to the next datagram, in any state.
struct LiveSettings {
  guint64 timeout = kDefaultTimeout;
  guint rejoin_interval = kDefaultRejoinInterval;  // s
  gboolean retrieve_sender_address = kDefaultRetrieveSenderAddress;
  gint skip_first_bytes = kDefaultSkipFirstBytes;
};

// Everything the user set: one copy, behind Private::settings_lock; start and the streaming thread take copies.
struct Settings {
  SocketSettings socket;
  LiveSettings live;
  CapsRef caps;
  guint mtu = kDefaultMtu;                                          // buffers: applied at the next start
  guint batch_size = kDefaultBatchSize;                             // buffers: applied at the next start
  gint redundancy = REDUNDANCY_NONE;                                // applied at the next start
  guint redundancy_window_ms = kDefaultRedundancyWindowMs;          // applied at the next start
  gboolean preserve_packetization = kDefaultPreservePacketization;  // applied at the next start
  plugin::RefusedValues refused;
};

// What a stream description (sdp, sdp-file, or a SAP session's) gave: its text, its caps, whether its legs merge.
struct Description {
  std::string text;
  CapsRef caps;
  bool redundant = false;
};

// The open socket and what it resolved to: made at NULL→READY (so port=0 reads back in READY), remade at
// READY→PAUSED when the socket settings changed since, dropped whole at READY→NULL. With sap-session, the SAP
// listener instead, and a receiver only while the session is announced: made, remade and dropped by the streaming
// thread as the session comes, changes and goes.
struct RunningState {
  std::unique_ptr<MulticastReceiver> receiver;
  SocketSettings opened_with;
  std::unique_ptr<plugin::SapFollowing> sap;  // with sap-session
  uint64_t sap_generation = 0;                // the session generation the receiver was made for
  SocketSettings session_socket;              // what the session's SDP set, as the receiver was made from it
  NetnsPin netns;                             // where receivers made later (for a SAP session) belong
  plugin::ReceiveNames names;                 // for the receive meta
  // From sdp, sdp-file or the SAP session: the description, its caps, and whether its legs are merged (a DUP group).
  Description described;

  // With redundancy, from start to stop (set and dropped under state_lock; the streaming thread writes them):
  std::unique_ptr<RtpMerger> merger;
  std::unique_ptr<std::atomic<bool>[]> leg_live;  // by membership
  std::atomic<uint64_t> not_rtp{0};
};

// The streaming thread's own, made at start and dropped whole at stop.
struct StreamingState {
  StreamingState(GstBufferPool* pool, size_t batch, bool pack) : buffers(pool, batch, pack, GST_CAT_DEFAULT) {}
  ~StreamingState() {
    for (GstBuffer* buf : pending) gst_buffer_unref(buf);
  }
  StreamingState(const StreamingState&) = delete;
  StreamingState& operator=(const StreamingState&) = delete;

  plugin::DatagramBuffers buffers;
  LiveSettings live;               // as read at the top of the current batch
  std::deque<GstBuffer*> pending;  // with num-buffers set: the rest of a batch, one per create()
  bool last_batch_full = false;
  gint64 last_data_monotonic = 0;          // for the timeout message
  std::vector<gint64> leg_last_monotonic;  // with redundancy: by membership, when it last carried a datagram
  gint64 interfaces_checked = 0;           // monotonic µs: when a busy stream last looked for interface changes
  gint64 next_rejoin = 0;                  // monotonic µs: when rejoin-interval next leaves and joins again
};

}  // namespace

struct McastExpertSrcPrivate {
  std::mutex settings_lock;
  Settings settings;

  // Guards `running` against the threads that read it (stats, property reads). The streaming thread reads it
  // without the lock: it changes only in state changes, never between start and stop.
  std::mutex state_lock;
  std::unique_ptr<RunningState> running;

  std::unique_ptr<StreamingState> streaming;

  // Apart from everything above, so that unlock() and the live setters wake the streaming thread's wait without
  // taking a lock it might hold: `stop` ends it (flushing), `recheck` makes it read the live settings again.
  Waker stop;
  Waker recheck;
};

struct _GstMcastExpertSrc {
  GstPushSrc parent;
  McastExpertSrcPrivate* priv;
};

static void gst_mcastexpert_src_uri_handler_init(gpointer g_iface, gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE(GstMcastExpertSrc, gst_mcastexpert_src, GST_TYPE_PUSH_SRC,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, gst_mcastexpert_src_uri_handler_init))
GST_ELEMENT_REGISTER_DEFINE(mcastexpertsrc, "mcastexpertsrc", GST_RANK_NONE, GST_TYPE_MCASTEXPERT_SRC)

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_mcastexpert_src_finalize(GObject* object);
static void gst_mcastexpert_src_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec);
static void gst_mcastexpert_src_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec);
static GstStateChangeReturn gst_mcastexpert_src_change_state(GstElement* element, GstStateChange transition);
static GstCaps* gst_mcastexpert_src_get_caps(GstBaseSrc* src, GstCaps* filter);
static gboolean gst_mcastexpert_src_start(GstBaseSrc* src);
static gboolean gst_mcastexpert_src_stop(GstBaseSrc* src);
static gboolean gst_mcastexpert_src_unlock(GstBaseSrc* src);
static gboolean gst_mcastexpert_src_unlock_stop(GstBaseSrc* src);
static GstFlowReturn gst_mcastexpert_src_create(GstPushSrc* src, GstBuffer** buf);

static void gst_mcastexpert_src_class_init(GstMcastExpertSrcClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* basesrc_class = GST_BASE_SRC_CLASS(klass);
  auto* pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(mcastexpert_src_debug, "mcastexpertsrc", 0, "mcastexpert multicast receiver");
  mcastexpert_receive_meta_register();

  gobject_class->finalize = gst_mcastexpert_src_finalize;
  gobject_class->set_property = gst_mcastexpert_src_set_property;
  gobject_class->get_property = gst_mcastexpert_src_get_property;

  /**
   * GstMcastExpertSrc:groups:
   *
   * The multicast groups to join, comma-separated: `239.255.0.1,239.255.0.2` or `ff15::1, [ff15::2]`. One family
   * per element. An IPv6 group may name its interface with `%`: `ff02::1%eth1`. An entry may carry its own port
   * (`239.255.0.1:5006`, `[ff15::1]:5006`: a socket of that port) and its own interfaces after `@`, several joined
   * by `+` (`239.1.1.1:5004@eth1,239.2.2.2:5006@eth2`: one leg per network); entries without take
   * #GstMcastExpertSrc:port and #GstMcastExpertSrc:iface. Required.
   *
   * Since: 0.1
   */
  plugin::install_list_property(
      gobject_class, PROP_GROUPS, "groups", "Groups",
      "Comma-separated multicast groups to join (one family), e.g. 239.255.0.1 or ff15::1; each may carry its own "
      ":port and @iface+iface (an IPv6 group also %interface)",
      ListKind::Groups, kReadyOnly);
  /**
   * GstMcastExpertSrc:port:
   *
   * The UDP port to receive on. 0 picks a free port. While the socket is open (from NULL→READY to READY→NULL)
   * this reads the port it is bound to; in NULL, what you set.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_int("port", "Port",
                       "UDP port to receive on (0 = pick a free one; from READY on, reads the port bound)", 0, 65535,
                       kDefaultPort, kReadyOnly));
  /**
   * GstMcastExpertSrc:iface:
   *
   * The interfaces to join on, comma-separated: names (`eth1`), IPv4 addresses, IPv6 addresses with or without
   * `%scope`, or indexes. Every group is joined on every one. Empty: every interface that is up,
   * multicast-capable, not loopback and has an address of the groups' family. An interface named twice (also as
   * its name and its index or address) is refused at start.
   *
   * Since: 0.1
   */
  plugin::install_list_property(gobject_class, PROP_IFACE, "iface", "Interfaces",
                                "Comma-separated interfaces to join on: name, IPv4, IPv6[%scope] or index "
                                "(empty = all up, multicast-capable, non-loopback interfaces)",
                                ListKind::Interfaces, kReadyOnly);
  /**
   * GstMcastExpertSrc:sources:
   *
   * Source-specific multicast (IGMPv3 / MLDv2): the senders to receive from, comma-separated. Nothing from other
   * senders is delivered. A list longer than one socket may filter (`net.ipv4.igmp_max_msf`, 10 by default;
   * `net.ipv6.mld_max_msf`, 64) is spread over several sockets on the port, each datagram still delivered once.
   *
   * Since: 0.1
   */
  plugin::install_list_property(gobject_class, PROP_SOURCES, "sources", "Sources",
                                "Comma-separated sender addresses: join source-specific (SSM) and deliver only theirs",
                                ListKind::Sources, kReadyOnly);
  /**
   * GstMcastExpertSrc:block-sources:
   *
   * Any-source joins that exclude these senders, comma-separated.
   *
   * Since: 0.1
   */
  plugin::install_list_property(gobject_class, PROP_BLOCK_SOURCES, "block-sources", "Blocked sources",
                                "Comma-separated sender addresses to exclude from any-source joins", ListKind::Sources,
                                kReadyOnly);
  /**
   * GstMcastExpertSrc:caps:
   *
   * The caps of the source pad, as with udpsrc (e.g. `application/x-rtp,...`): what downstream is told the
   * datagrams are. Changes in any state: the pad renegotiates before the next buffer.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_CAPS,
      g_param_spec_boxed("caps", "Caps",
                         "The caps of the source pad (any state: the pad renegotiates before the next buffer)",
                         GST_TYPE_CAPS, kLive));
  /**
   * GstMcastExpertSrc:buffer-size:
   *
   * The kernel receive buffer in bytes; 0 leaves the OS default. Asked with SO_RCVBUF, then SO_RCVBUFFORCE when
   * allowed (CAP_NET_ADMIN). The default, 8 MiB, is sized for video bursts; the size granted is logged and is in
   * #mcastexpertsrc:stats. When you set it yourself and get less, a warning names net.core.rmem_max.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_BUFFER_SIZE,
      g_param_spec_int("buffer-size", "Buffer size",
                       "Kernel receive buffer in bytes (0 = OS default; the default is sized for video); warns "
                       "when net.core.rmem_max caps a size you set",
                       0, G_MAXINT, kDefaultBufferSize, kReadyOnly));
  /**
   * GstMcastExpertSrc:mtu:
   *
   * The size of the buffers datagrams are read into. Larger datagrams (up to 65507 bytes for IPv4, 65527 for IPv6)
   * still arrive whole, at the cost of a copy.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_MTU,
      g_param_spec_uint("mtu", "MTU",
                        "Expected largest datagram in bytes; larger ones still arrive whole, never truncated", 1, 65535,
                        kDefaultMtu, kReadyOnly));
  /**
   * GstMcastExpertSrc:timeout:
   *
   * After this many nanoseconds without data, post an element message named `GstUDPSrcTimeout` with a `timeout`
   * (guint64) field, as udpsrc does; again after each further period. 0 disables it. Changes in any state: a wait
   * under way is measured again against the new value.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64(
          "timeout", "Timeout",
          "Post a GstUDPSrcTimeout element message after this many ns without data (0 = off; any state)", 0,
          G_MAXUINT64, kDefaultTimeout, kLive));
  /**
   * GstMcastExpertSrc:rejoin-interval:
   *
   * Every this many seconds, leave and join every group again, so that the host reports its memberships anew.
   * An IGMP/MLD-snooping switch forwards a group to a port only while it remembers a report from it; it forgets
   * after a few minutes (260 s by default) unless a querier on the network asks hosts to report again. On a network
   * without a querier, where a stream stops after some minutes for no visible reason, set this below the switch's
   * membership timeout (60 is a good value). 0, the default, never rejoins: with a querier (any router or a switch
   * configured as one), memberships are refreshed by its queries. Between the leave and the join, some
   * microseconds, a datagram may be missed. Changes in any state. With #GstMcastExpertSrc:sap-session, the SAP
   * listener also joins its groups again after this long without an announcement (60 s when 0), as set at start.
   *
   * Since: 0.3
   */
  g_object_class_install_property(
      gobject_class, PROP_REJOIN_INTERVAL,
      g_param_spec_uint("rejoin-interval", "Rejoin interval",
                        "Leave and join again every this many seconds, so snooping switches without a querier "
                        "relearn the memberships (0 = never; any state)",
                        0, kMaxRejoinInterval, kDefaultRejoinInterval, kLive));
  /**
   * GstMcastExpertSrc:retrieve-sender-address:
   *
   * Whether to put the sender's address and port on each buffer as #GstNetAddressMeta. Changes in any state, from
   * the next datagram on.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_RETRIEVE_SENDER_ADDRESS,
      g_param_spec_boolean(
          "retrieve-sender-address", "Retrieve sender address",
          "Put the sender's address on each buffer as GstNetAddressMeta (any state, from the next datagram)",
          kDefaultRetrieveSenderAddress, kLive));
  /**
   * GstMcastExpertSrc:skip-first-bytes:
   *
   * Bytes to drop from the start of each datagram (a header). A shorter datagram is dropped, with one warning.
   * Changes in any state, from the next datagram on.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_SKIP_FIRST_BYTES,
      g_param_spec_int("skip-first-bytes", "Skip first bytes",
                       "Drop this many bytes from the start of each datagram (any state, from the next datagram)", 0,
                       G_MAXINT, kDefaultSkipFirstBytes, kLive));
  /**
   * GstMcastExpertSrc:preserve-packetization:
   *
   * Whether each datagram is a buffer of its own (true, the default). For streams that need no datagram
   * boundaries — MPEG-TS over UDP, a byte stream of 188-byte packets that `tsdemux` reads however it is cut — false
   * puts the consecutive datagrams of one read that came from the same group, port, interface and sender into one
   * buffer of at most 64 KiB (a larger datagram stays alone), so that downstream handles a few buffers per batch
   * instead of one per datagram. The buffer then carries the first datagram's timestamps and metas (its
   * #GstMcastExpertSrc:retrieve-sender-address meta and the receive meta), which hold for all of it but the arrival
   * time. #GstMcastExpertSrc:skip-first-bytes still applies to each datagram before they are joined. Not for RTP,
   * whose depayloaders need one packet per buffer.
   *
   * Since: 0.3
   */
  g_object_class_install_property(
      gobject_class, PROP_PRESERVE_PACKETIZATION,
      g_param_spec_boolean("preserve-packetization", "Preserve packetization",
                           "One buffer per datagram (false: consecutive datagrams of one sender and group joined into "
                           "buffers of up to 64 KiB, for MPEG-TS and other byte streams)",
                           kDefaultPreservePacketization, kReadyOnly));
  /**
   * GstMcastExpertSrc:sdp:
   *
   * A stream description (SDP, RFC 8866) to receive, as text: it sets #GstMcastExpertSrc:groups (its `c=`),
   * #GstMcastExpertSrc:port (`m=`), #GstMcastExpertSrc:sources and #GstMcastExpertSrc:block-sources (its
   * `a=source-filter` incl and excl), #GstMcastExpertSrc:caps as sdpdemux makes them (`a=rtpmap`, `a=fmtp`, and every
   * attribute as an `a-<name>` field, so rtpjitterbuffer's RFC 7273 sync sees `a-ts-refclk` and `a-mediaclk`), and for
   * an `a=group:DUP` pair both legs, merged as #GstMcastExpertSrc:redundancy=st2022-7 does.
   * #GstMcastExpertSrc:iface still says where; with a DUP pair, one interface per leg, in leg order, pins each leg to
   * its own. A property the description sets that is also set to something else is an error at start naming both.
   * Read at each start; an SDP that cannot be received is an error naming its line, what is wrong and the fix.
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SDP,
      g_param_spec_string("sdp", "SDP",
                          "A stream description (SDP text) to receive: sets groups, port, sources and caps (a DUP "
                          "pair: both legs, merged); iface still says where",
                          nullptr, kReadyOnly));
  /**
   * GstMcastExpertSrc:sdp-file:
   *
   * The path of a stream description (SDP) to receive, read at each start: as #GstMcastExpertSrc:sdp (set one or the
   * other).
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SDP_FILE,
      g_param_spec_string("sdp-file", "SDP file",
                          "Path of a stream description (SDP) to receive, read at each start (as sdp)", nullptr,
                          kReadyOnly));
  /**
   * GstMcastExpertSrc:media:
   *
   * Which media description of #GstMcastExpertSrc:sdp to receive when it has several: its `a=mid`, its media type
   * (`audio`, `video`: the first of it), or its index from 0. Empty, the default: the first one (with its DUP
   * partner).
   *
   * Since: 0.4
   */
  g_object_class_install_property(gobject_class, PROP_MEDIA,
                                  g_param_spec_string("media", "Media",
                                                      "Which media description of the SDP to receive: its mid, type "
                                                      "(audio, video) or index (empty = the first)",
                                                      nullptr, kReadyOnly));
  /**
   * GstMcastExpertSrc:sap-session:
   *
   * Receive the stream announced by SAP (RFC 2974) under this session name (its SDP's `s=`, matched exactly), as
   * Dante and AES67 devices, PipeWire, FFmpeg's `-f sap` and #mcastexpertsink:sap announce them; `*` takes the first
   * session heard. From READY on the source listens on #GstMcastExpertSrc:sap-group on its
   * #GstMcastExpertSrc:iface (the announcements heard elsewhere do not count), and once the session is heard it
   * receives what its SDP describes, as #GstMcastExpertSrc:sdp does, on the interface it was heard on. While PLAYING
   * it follows the announcements: a new group, port, sender or payload is left and joined anew, caps renegotiated;
   * a deletion or silence leaves the groups, and the source waits for the session to come back (or for another
   * announcement of the name, on another interface). Each change posts an element message `McastExpertSapSession`
   * (`event`: `found`, `updated`, `deleted` or `expired`; `session`, `origin`, `iface`, `sap-group`, `reason`,
   * `sdp`); while nothing matches, `McastExpertSapWaiting` (`session`, `listening`, and `heard`, an array naming the
   * sessions that are announced) is posted each time what is heard changes, with an info message naming them. Not
   * with #GstMcastExpertSrc:groups, #GstMcastExpertSrc:sdp or #GstMcastExpertSrc:sdp-file. The URI
   * `sap://[GROUP[:PORT]][?session=NAME&...]` sets it.
   *
   * Since: 0.4
   */
  g_object_class_install_property(
      gobject_class, PROP_SAP_SESSION,
      g_param_spec_string("sap-session", "SAP session",
                          "Receive the stream announced by SAP under this name (s=; * = the first heard): waits for "
                          "it, receives what its SDP says, follows its updates",
                          nullptr, kReadyOnly));
  /**
   * GstMcastExpertSrc:sap-group:
   *
   * With #GstMcastExpertSrc:sap-session, the SAP groups to listen on, comma-separated, either family, each with its
   * own `:port` when not 9875. Empty, the default: 239.255.255.255 (Dante, AES67 gear, PipeWire's AES67 setup),
   * 224.2.127.254 (FFmpeg, VLC), 224.0.0.56 (PipeWire's RTP modules) and, where the interfaces have IPv6,
   * ff02::2:7ffe, ff05::2:7ffe and ff08::2:7ffe.
   *
   * Since: 0.4
   */
  plugin::install_list_property(gobject_class, PROP_SAP_GROUP, "sap-group", "SAP groups",
                                "With sap-session: the SAP groups to listen on, either family, each with its own "
                                ":port (empty = 239.255.255.255, 224.2.127.254, 224.0.0.56, ff0X::2:7ffe)",
                                ListKind::SapGroups, kReadyOnly);
  /**
   * GstMcastExpertSrc:reuse:
   *
   * Let other receivers share the port (SO_REUSEADDR). Every receiver still gets only its own groups, and never a
   * share of another's stream: SO_REUSEPORT, which splits traffic between sockets, is never set.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_REUSE,
      g_param_spec_boolean("reuse", "Reuse", "Let other receivers share the port (each still gets only its groups)",
                           kDefaultReuse, kReadyOnly));
  /**
   * GstMcastExpertSrc:loop:
   *
   * Whether to deliver datagrams this host sent itself. When FALSE, a datagram whose source address is one of this
   * host's own (non-loopback) addresses is dropped, unless it arrived on a loopback interface.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_LOOP,
      g_param_spec_boolean("loop", "Loop",
                           "Deliver datagrams sent by this host itself (off: drop those whose source is one of "
                           "this host's addresses, except on loopback)",
                           kDefaultLoop, kReadyOnly));
  /**
   * GstMcastExpertSrc:batch-size:
   *
   * At most this many datagrams are read in one system call and pushed as one buffer list. A batch never waits to
   * fill: it holds what had already arrived.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint("batch-size", "Batch size",
                        "Most datagrams read per system call and pushed as one buffer list (never waits to fill)", 1,
                        1024, kDefaultBatchSize, kReadyOnly));
  /**
   * GstMcastExpertSrc:redundancy:
   *
   * `st2022-7`: the groups (and interfaces) carry the same RTP stream by several legs — two networks, say — and
   * each RTP packet is delivered once: the first copy to arrive goes downstream at once, later copies are dropped
   * and counted (SMPTE ST 2022-7 seamless protection switching). Packets are the same when their SSRC, sequence
   * number and RTP timestamp are. Datagrams that are not RTP are dropped and counted as `rejected-not-rtp`. A leg
   * silent for longer than #GstMcastExpertSrc:timeout (1 s when that is 0) posts an element message
   * `McastExpertLegState` (`group`, `port`, `iface`, `ifindex`, `live` = FALSE), and another (`live` = TRUE) when
   * it is back. `none` (the default) delivers every datagram of every leg.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_REDUNDANCY,
      g_param_spec_enum("redundancy", "Redundancy",
                        "How copies of one RTP stream arriving by several legs are delivered: every one (none), or "
                        "each packet once, the first copy to arrive (st2022-7)",
                        redundancy_get_type(), REDUNDANCY_NONE, kReadyOnly));
  /**
   * GstMcastExpertSrc:redundancy-window:
   *
   * With #GstMcastExpertSrc:redundancy, how long in milliseconds a delivered packet is remembered, so that a later
   * copy is known as one. It must cover the largest difference in delay between the legs; the default, 500 ms,
   * covers the widest receiver class of ST 2022-7 (450 ms). Memory grows with it: about 40 bytes per packet the
   * window holds.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_REDUNDANCY_WINDOW,
      g_param_spec_uint("redundancy-window", "Redundancy window",
                        "With redundancy: how long (ms) a delivered packet is remembered to know its later copies; "
                        "must exceed the legs' delay difference",
                        1, 60000, kDefaultRedundancyWindowMs, kReadyOnly));
  /**
   * GstMcastExpertSrc:stats:
   *
   * Counters of the running receiver: `packets-received`, `bytes-received`, `packets-dropped-kernel` (receive queue
   * overflows, the socket's drop count), `packets-rejected` and its parts `rejected-wrong-group`,
   * `rejected-wrong-interface`, `rejected-unicast`, `rejected-source`, `rejected-own`, `rejected-empty`
   * (zero-byte datagrams: a buffer of nothing would only trouble downstream); `buffer-size`
   * (granted); `port`; `groups`, an array with one structure per group (`group`, `port`, `packets`, `bytes`); and
   * `legs`, an array with one structure per join (`group`, `port`, `iface`, `ifindex`, `packets`; with
   * #GstMcastExpertSrc:redundancy also `duplicates` dropped, `unique` — delivered by this leg alone — and `live`).
   * With redundancy, `duplicates-dropped` and `rejected-not-rtp` too.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Packets and bytes received, kernel drops, rejected datagrams by reason, per-group counters, "
                         "granted buffer size",
                         GST_TYPE_STRUCTURE, kReadOnly));
  /**
   * GstMcastExpertSrc:uri:
   *
   * An `mcast://GROUP[:PORT][?key=value&...]` URI: sets #GstMcastExpertSrc:groups, #GstMcastExpertSrc:port
   * and the properties named by the query keys. It is taken whole or not at all: an unknown key, a value that is
   * not one, raw control bytes or a bad percent-escape refuse the URI, every setting stays as it was, and the next
   * start fails with an error naming the key, the value and the fix. Keys an earlier URI set that this one leaves
   * out go back to their defaults. Or a `sap://[GROUP[:PORT]][?session=NAME&key=value&...]` URI (FFmpeg's scheme):
   * sets #GstMcastExpertSrc:sap-group from its host and port, #GstMcastExpertSrc:sap-session from `session` (`*`,
   * the first session heard, without it), and the other keys as for mcast://.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_URI,
      g_param_spec_string("uri", "URI",
                          "mcast://GROUP[:PORT][?iface=..&sources=..]: sets groups, port and the keys; or "
                          "sap://[GROUP[:PORT]][?session=NAME&..]: sap-group, sap-session and the keys",
                          nullptr, kReadyOnly));

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Multicast receiver (interface-pinned)", "Source/Network",
      "Joins IPv4/IPv6 multicast groups (any-source or source-specific) on exactly the interfaces you name and "
      "delivers only their datagrams",
      "mcastexpert developers");

  element_class->change_state = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_change_state);
  basesrc_class->get_caps = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_get_caps);
  basesrc_class->start = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_unlock_stop);
  pushsrc_class->create = GST_DEBUG_FUNCPTR(gst_mcastexpert_src_create);
}

static void gst_mcastexpert_src_init(GstMcastExpertSrc* self) {
  self->priv = new McastExpertSrcPrivate();
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}

static void gst_mcastexpert_src_finalize(GObject* object) {
  auto* self = GST_MCASTEXPERT_SRC(object);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_mcastexpert_src_parent_class)->finalize(object);
}

// --- settings ---

// A setting as its property reads it; the caller holds the settings lock or owns the copy.
static void read_setting(const Settings& s, guint prop_id, GValue* value) {
  switch (prop_id) {
    case PROP_GROUPS: g_value_set_string(value, s.socket.groups.c_str()); break;
    case PROP_PORT: g_value_set_int(value, s.socket.port); break;
    case PROP_IFACE: g_value_set_string(value, s.socket.iface.c_str()); break;
    case PROP_SOURCES: g_value_set_string(value, s.socket.sources.c_str()); break;
    case PROP_BLOCK_SOURCES: g_value_set_string(value, s.socket.block_sources.c_str()); break;
    case PROP_CAPS: gst_value_set_caps(value, s.caps.get()); break;
    case PROP_BUFFER_SIZE: g_value_set_int(value, s.socket.buffer_size); break;
    case PROP_MTU: g_value_set_uint(value, s.mtu); break;
    case PROP_TIMEOUT: g_value_set_uint64(value, s.live.timeout); break;
    case PROP_REJOIN_INTERVAL: g_value_set_uint(value, s.live.rejoin_interval); break;
    case PROP_RETRIEVE_SENDER_ADDRESS: g_value_set_boolean(value, s.live.retrieve_sender_address); break;
    case PROP_PRESERVE_PACKETIZATION: g_value_set_boolean(value, s.preserve_packetization); break;
    case PROP_SDP: g_value_set_string(value, s.socket.sdp.c_str()); break;
    case PROP_SDP_FILE: g_value_set_string(value, s.socket.sdp_file.c_str()); break;
    case PROP_MEDIA: g_value_set_string(value, s.socket.media.c_str()); break;
    case PROP_SAP_SESSION: g_value_set_string(value, s.socket.sap_session.c_str()); break;
    case PROP_SAP_GROUP: g_value_set_string(value, s.socket.sap_group.c_str()); break;
    case PROP_SKIP_FIRST_BYTES: g_value_set_int(value, s.live.skip_first_bytes); break;
    case PROP_REUSE: g_value_set_boolean(value, s.socket.reuse); break;
    case PROP_LOOP: g_value_set_boolean(value, s.socket.loop); break;
    case PROP_BATCH_SIZE: g_value_set_uint(value, s.batch_size); break;
    case PROP_REDUNDANCY: g_value_set_enum(value, s.redundancy); break;
    case PROP_REDUNDANCY_WINDOW: g_value_set_uint(value, s.redundancy_window_ms); break;
    default: break;
  }
}

static void write_setting(Settings& s, guint prop_id, const GValue* value) {
  switch (prop_id) {
    case PROP_GROUPS: s.socket.groups = plugin::string_of(value); break;
    case PROP_PORT: s.socket.port = g_value_get_int(value); break;
    case PROP_IFACE: s.socket.iface = plugin::string_of(value); break;
    case PROP_SOURCES: s.socket.sources = plugin::string_of(value); break;
    case PROP_BLOCK_SOURCES: s.socket.block_sources = plugin::string_of(value); break;
    case PROP_CAPS: {
      const GstCaps* caps = gst_value_get_caps(value);
      s.caps.reset(caps != nullptr ? gst_caps_copy(caps) : nullptr);
      break;
    }
    case PROP_BUFFER_SIZE:
      s.socket.buffer_size = g_value_get_int(value);
      s.socket.buffer_size_set = true;
      break;
    case PROP_MTU: s.mtu = g_value_get_uint(value); break;
    case PROP_TIMEOUT: s.live.timeout = g_value_get_uint64(value); break;
    case PROP_REJOIN_INTERVAL: s.live.rejoin_interval = g_value_get_uint(value); break;
    case PROP_RETRIEVE_SENDER_ADDRESS: s.live.retrieve_sender_address = g_value_get_boolean(value); break;
    case PROP_PRESERVE_PACKETIZATION: s.preserve_packetization = g_value_get_boolean(value); break;
    case PROP_SDP: s.socket.sdp = plugin::string_of(value); break;
    case PROP_SDP_FILE: s.socket.sdp_file = plugin::string_of(value); break;
    case PROP_MEDIA: s.socket.media = plugin::string_of(value); break;
    case PROP_SAP_SESSION: s.socket.sap_session = plugin::string_of(value); break;
    case PROP_SAP_GROUP: s.socket.sap_group = plugin::string_of(value); break;
    case PROP_SKIP_FIRST_BYTES: s.live.skip_first_bytes = g_value_get_int(value); break;
    case PROP_REUSE: s.socket.reuse = g_value_get_boolean(value); break;
    case PROP_LOOP: s.socket.loop = g_value_get_boolean(value); break;
    case PROP_BATCH_SIZE: s.batch_size = g_value_get_uint(value); break;
    case PROP_REDUNDANCY: s.redundancy = g_value_get_enum(value); break;
    case PROP_REDUNDANCY_WINDOW: s.redundancy_window_ms = g_value_get_uint(value); break;
    default: break;
  }
}

static Settings settings_snapshot(McastExpertSrcPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  return priv->settings;
}

// Posts `e` as the element's error, quoting values from `snapshot`. No lock held.
static void post_error(GstMcastExpertSrc* self, const Error& e, const Settings& snapshot) {
  plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_OPEN_READ,
                     plugin::snapshot_value_text(G_OBJECT_GET_CLASS(self),
                                                 [&](guint id, GValue* v) { read_setting(snapshot, id, v); }));
}

static void gst_mcastexpert_src_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SRC(object);
  auto* priv = self->priv;
  if (prop_id == PROP_0 || prop_id > PROP_URI || prop_id == PROP_STATS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    return;
  }
  Settings& s = priv->settings;
  const plugin::SettingsAccess access{priv->settings_lock, s.refused,
                                      [&](guint id, GValue* v) { read_setting(s, id, v); },
                                      [&](guint id, const GValue* v) { write_setting(s, id, v); }};
  if (!plugin::set_element_property(GST_ELEMENT(self), GST_CAT_DEFAULT, pspec, value, PROP_URI, access)) return;
  // The live ones, applied now: the waiting streaming thread measures its timeout again, the pad renegotiates.
  if (prop_id == PROP_TIMEOUT || prop_id == PROP_REJOIN_INTERVAL) priv->recheck.wake();
  if (prop_id == PROP_CAPS) gst_pad_mark_reconfigure(GST_BASE_SRC_PAD(self));
}

static GstStructure* make_stats(McastExpertSrcPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->state_lock);
  GstStructure* s = gst_structure_new_empty("application/x-mcastexpert-src-stats");
  const MulticastReceiver* r = priv->running ? priv->running->receiver.get() : nullptr;
  const ReceiverStats* st = r != nullptr ? &r->stats() : nullptr;
  gst_structure_set(s, "packets-received", G_TYPE_UINT64, st != nullptr ? st->packets.get() : 0, "bytes-received",
                    G_TYPE_UINT64, st != nullptr ? st->bytes.get() : 0, "packets-dropped-kernel", G_TYPE_UINT64,
                    r != nullptr ? r->kernel_drops() : 0, "packets-rejected", G_TYPE_UINT64,
                    st != nullptr ? st->rejected() : 0, nullptr);
  for (const auto& rejection : kRejections)
    gst_structure_set(s, rejection.stats_field, G_TYPE_UINT64,
                      st != nullptr ? st->rejected(rejection.verdict).get() : 0, nullptr);
  gst_structure_set(s, "buffer-size", G_TYPE_INT, st != nullptr ? st->granted_buffer_size : 0, "port", G_TYPE_INT,
                    r != nullptr ? static_cast<int>(r->port()) : 0, nullptr);
  const RtpMerger* merger = priv->running ? priv->running->merger.get() : nullptr;
  if (merger != nullptr) {
    uint64_t duplicates = 0;
    for (size_t i = 0; i < merger->leg_count(); ++i) duplicates += merger->leg(i).duplicates.load();
    gst_structure_set(s, "duplicates-dropped", G_TYPE_UINT64, duplicates, "rejected-not-rtp", G_TYPE_UINT64,
                      priv->running->not_rtp.load(), nullptr);
  }
  GValue legs = G_VALUE_INIT;
  gst_value_array_init(&legs, r != nullptr ? r->memberships().size() : 0);
  if (r != nullptr) {
    for (size_t i = 0; i < r->memberships().size(); ++i) {
      const Membership& m = r->memberships()[i];
      GstStructure* leg =
          gst_structure_new("leg", "group", G_TYPE_STRING, m.group.to_string().c_str(), "port", G_TYPE_UINT,
                            static_cast<guint>(m.port), "iface", G_TYPE_STRING, m.ifname.c_str(), "ifindex",
                            G_TYPE_UINT, m.ifindex, "packets", G_TYPE_UINT64, st->leg_packets[i].get(), nullptr);
      if (merger != nullptr)
        gst_structure_set(leg, "duplicates", G_TYPE_UINT64, merger->leg(i).duplicates.load(), "unique", G_TYPE_UINT64,
                          merger->leg(i).unique.load(), "live", G_TYPE_BOOLEAN, priv->running->leg_live[i].load(),
                          nullptr);
      GValue entry = G_VALUE_INIT;
      g_value_init(&entry, GST_TYPE_STRUCTURE);
      g_value_take_boxed(&entry, leg);
      gst_value_array_append_and_take_value(&legs, &entry);
    }
  }
  gst_structure_take_value(s, "legs", &legs);
  GValue groups = G_VALUE_INIT;
  gst_value_array_init(&groups, r != nullptr ? r->groups().size() : 0);
  if (r != nullptr) {
    for (size_t g = 0; g < r->groups().size(); ++g) {
      GValue entry = G_VALUE_INIT;
      g_value_init(&entry, GST_TYPE_STRUCTURE);
      g_value_take_boxed(
          &entry,
          gst_structure_new("group", "group", G_TYPE_STRING, r->groups()[g].to_string().c_str(), "port", G_TYPE_UINT,
                            static_cast<guint>(r->groups()[g].port.value_or(r->port())), "packets", G_TYPE_UINT64,
                            st->group_packets[g].get(), "bytes", G_TYPE_UINT64, st->group_bytes[g].get(), nullptr));
      gst_value_array_append_and_take_value(&groups, &entry);
    }
  }
  gst_structure_take_value(s, "groups", &groups);
  return s;
}

static void gst_mcastexpert_src_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SRC(object);
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
    case PROP_PORT: {
      // While a socket is open, the port it is bound to (port=0 asks for any); what the user set otherwise.
      std::lock_guard<std::mutex> lock(priv->state_lock);
      if (priv->running && priv->running->receiver) {
        g_value_set_int(value, priv->running->receiver->port());
        return;
      }
      break;
    }
    default: break;
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  read_setting(priv->settings, prop_id, value);
}

// --- running state ---

// Opens the socket and joins from `s` (NULL→READY, or READY→PAUSED after a change). Posts the error and returns
// FALSE when the settings cannot work.
// The stream description sdp or sdp-file holds, as text ("" when neither is set). Throws Error naming the property.
static std::string description_text(const SocketSettings& s) {
  if (!s.sdp.empty() && !s.sdp_file.empty()) {
    Error e(ErrorKind::InvalidSetting, "sdp and sdp-file are both set", "set one of them");
    e.set_setting("sdp-file");
    throw e;
  }
  if (s.sdp_file.empty()) return s.sdp;
  return about_setting("sdp-file", [&] { return read_sdp_file(s.sdp_file); });
}

// A property the description sets that the user set to something else: an error naming both.
[[noreturn]] static void conflict(const char* which, const char* property, const std::string& described,
                                  const std::string& set) {
  Error e(
      ErrorKind::InvalidSetting,
      std::string(which) + " sets " + property + " to '" + described + "', but " + property + " is '" + set + "'",
      std::string("leave ") + property + " unset (the description sets it), or set it to what the description says");
  e.set_setting(property);
  throw e;
}

static bool same_sources(const std::string& a, const std::string& b) {
  auto x = parse_source_list(a), y = parse_source_list(b);
  auto key = [](const IpAddress& i) { return i.to_string(); };
  std::vector<std::string> kx, ky;
  std::transform(x.begin(), x.end(), std::back_inserter(kx), key);
  std::transform(y.begin(), y.end(), std::back_inserter(ky), key);
  std::sort(kx.begin(), kx.end());
  std::sort(ky.begin(), ky.end());
  return kx == ky;
}

// With sdp or sdp-file: `s` with what the description sets (groups, port, iface per leg, sources, block-sources),
// its caps and whether its legs merge in `running`. A property set to something else than the description says is
// an error naming both. Throws Error.
static Settings apply_description(const Settings& s, Description& described) {
  const std::string text = description_text(s.socket);
  if (text.empty()) return s;
  const char* which = s.socket.sdp.empty() ? "sdp-file" : "sdp";
  described.text = text;
  const StreamDescription d = about_setting(which, [&] { return read_sdp(text, s.socket.media); });
  const ReceptionPlan plan = about_setting("iface", [&] { return plan_reception(d, s.socket.iface); });
  Settings out = s;
  if (!s.socket.groups.empty() && about_setting("groups", [&] {
                                    return parse_group_list(s.socket.groups, kReceiverGroupRules);
                                  }) != parse_group_list(plan.groups, kReceiverGroupRules))
    conflict(which, "groups", plan.groups, s.socket.groups);
  if (d.legs.size() == 1 && s.socket.port != kDefaultPort && s.socket.port != plan.port)
    conflict(which, "port", std::to_string(plan.port), std::to_string(s.socket.port));
  if (!s.socket.sources.empty() &&
      !about_setting("sources", [&] { return same_sources(s.socket.sources, plan.sources); }))
    conflict(which, "sources", plan.sources, s.socket.sources);
  if (!s.socket.block_sources.empty() &&
      !about_setting("block-sources", [&] { return same_sources(s.socket.block_sources, plan.block_sources); }))
    conflict(which, "block-sources", plan.block_sources, s.socket.block_sources);
  GstCaps* caps = gst_caps_from_string(plan.caps.c_str());
  if (s.caps.get() != nullptr && !gst_caps_is_equal(s.caps.get(), caps)) {
    gchar* set = gst_caps_to_string(s.caps.get());
    const std::string set_text = set;
    g_free(set);
    gst_caps_unref(caps);
    conflict(which, "caps", plan.caps, set_text);
  }
  described.caps.reset(caps);
  described.redundant = plan.redundant;
  out.socket.groups = plan.groups;
  if (d.legs.size() == 1) out.socket.port = plan.port;
  out.socket.iface = plan.iface;
  out.socket.sources = plan.sources;
  out.socket.block_sources = plan.block_sources;
  return out;
}

// What the receiver is made from, for settings `s` (with what a description set already applied).
static ReceiverSettings receiver_settings(GstMcastExpertSrc* self, const Settings& s) {
  ReceiverSettings rs;
  rs.groups = about_setting("groups", [&] { return parse_group_list(s.socket.groups, kReceiverGroupRules); });
  rs.sources = about_setting("sources", [&] { return parse_source_list(s.socket.sources); });
  rs.block_sources = about_setting("block-sources", [&] { return parse_source_list(s.socket.block_sources); });
  rs.port = static_cast<uint16_t>(s.socket.port);
  rs.iface = s.socket.iface;
  rs.reuse = s.socket.reuse;
  rs.loop = s.socket.loop;
  rs.buffer_size = s.socket.buffer_size;
  rs.log = plugin::debug_log(GST_ELEMENT(self), GST_CAT_DEFAULT);
  return rs;
}

// The receive meta's names and the log of the joins, for the receiver `running` holds now.
static void note_joins(GstMcastExpertSrc* self, RunningState& running, bool ssm) {
  const MulticastReceiver& receiver = *running.receiver;
  running.names = {};
  for (const auto& g : receiver.groups()) running.names.groups.push_back(g.address.to_string());
  for (const auto& m : receiver.memberships()) {
    running.names.ifnames[m.ifindex] = m.ifname;
    GST_INFO_OBJECT(self, "joined %s on %s (index %u)%s", m.group.to_string().c_str(), m.ifname.c_str(), m.ifindex,
                    ssm ? " for the listed sources" : "");
  }
}

// With sap-session (NULL→READY): the SAP listener, and no receiver until the session is heard. What cannot go with
// it is an error naming both properties.
static gboolean start_listening(GstMcastExpertSrc* self, const Settings& user) {
  auto* priv = self->priv;
  auto running = std::make_unique<RunningState>();
  try {
    if (!priv->stop.valid() || !priv->recheck.valid()) throw_system_error("cannot create an eventfd", EMFILE);
    const std::pair<const char*, const std::string*> alternatives[] = {
        {"groups", &user.socket.groups}, {"sdp", &user.socket.sdp}, {"sdp-file", &user.socket.sdp_file}};
    for (const auto& [property, value] : alternatives) {
      if (value->empty()) continue;
      Error e(ErrorKind::InvalidSetting, std::string("sap-session and ") + property + " are both set",
              std::string("set one of them: sap-session receives what the announcement describes"));
      e.set_setting(property);
      throw e;
    }
    SapListenerSettings listen;
    listen.groups = about_setting("sap-group", [&] { return parse_group_list(user.socket.sap_group, kSapGroupRules); });
    listen.iface = user.socket.iface;
    // A switch that forgot the SAP groups' membership silences every announcement: join again after a silence as
    // long as rejoin-interval (60 s without one).
    if (user.live.rejoin_interval > 0) listen.rejoin_after_ns = int64_t{user.live.rejoin_interval} * 1000000000;
    listen.log = plugin::debug_log(GST_ELEMENT(self), GST_CAT_DEFAULT);
    running->sap = about_setting("sap-session", [&] {
      return std::make_unique<plugin::SapFollowing>(listen, user.socket.sap_session, GST_ELEMENT(self), GST_CAT_DEFAULT,
                                                    [priv] { priv->recheck.wake(); });
    });
  } catch (const Error& e) {
    post_error(self, e, user);
    return FALSE;
  }
  running->opened_with = user.socket;
  std::lock_guard<std::mutex> lock(priv->state_lock);
  priv->running = std::move(running);
  return TRUE;
}

static gboolean open_receiver(GstMcastExpertSrc* self, const Settings& user) {
  auto* priv = self->priv;
  if (plugin::report_refused_value(GST_ELEMENT(self), user.refused)) return FALSE;
  if (!user.socket.sap_session.empty()) return start_listening(self, user);
  auto running = std::make_unique<RunningState>();
  ReceiverSettings rs;
  Settings s;
  try {
    if (!priv->stop.valid() || !priv->recheck.valid()) throw_system_error("cannot create an eventfd", EMFILE);
    s = apply_description(user, running->described);
    rs = receiver_settings(self, s);
    running->receiver = std::make_unique<MulticastReceiver>(rs, InterfaceTable::from_system());
  } catch (const Error& e) {
    post_error(self, e, user);
    return FALSE;
  }
  const MulticastReceiver& receiver = *running->receiver;
  running->opened_with = user.socket;
  note_joins(self, *running, !rs.sources.empty());
  const int granted = receiver.stats().granted_buffer_size;
  if (s.socket.buffer_size_set && rs.buffer_size > 0 && granted < rs.buffer_size) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Asked for a %d-byte receive buffer, got %d: the kernel caps it at net.core.rmem_max",
                         rs.buffer_size, granted),
                        ("raise it (sysctl -w net.core.rmem_max=%d), or run with CAP_NET_ADMIN so SO_RCVBUFFORCE "
                         "works; bursts larger than the buffer are dropped by the kernel",
                         rs.buffer_size));
  } else {
    GST_INFO_OBJECT(self, "receive buffer: asked %d bytes, got %d (net.core.rmem_max caps it without CAP_NET_ADMIN)",
                    rs.buffer_size, granted);
  }
  const uint16_t port = receiver.port();
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    priv->running = std::move(running);
  }
  if (s.socket.port == 0) {
    GST_INFO_OBJECT(self, "bound to free port %u", port);
    g_object_notify(G_OBJECT(self), "port");
  }
  return TRUE;
}

static void close_receiver(GstMcastExpertSrc* self) {
  std::unique_ptr<RunningState> old;
  {
    std::lock_guard<std::mutex> lock(self->priv->state_lock);
    old = std::move(self->priv->running);
  }
}

static GstStateChangeReturn gst_mcastexpert_src_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_MCASTEXPERT_SRC(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !open_receiver(self, settings_snapshot(self->priv)))
    return GST_STATE_CHANGE_FAILURE;
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_mcastexpert_src_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) close_receiver(self);
  return ret;
}

static GstCaps* gst_mcastexpert_src_get_caps(GstBaseSrc* src, GstCaps* filter) {
  auto* self = GST_MCASTEXPERT_SRC(src);
  GstCaps* caps;
  {
    std::lock_guard<std::mutex> lock(self->priv->settings_lock);
    GstCaps* set = self->priv->settings.caps.get();
    caps = set != nullptr ? gst_caps_ref(set) : nullptr;
  }
  if (caps == nullptr) {
    // What a stream description gave, while the socket it opened is open.
    std::lock_guard<std::mutex> lock(self->priv->state_lock);
    GstCaps* described = self->priv->running ? self->priv->running->described.caps.get() : nullptr;
    caps = described != nullptr ? gst_caps_ref(described) : gst_caps_new_any();
  }
  if (filter != nullptr) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  return caps;
}

// --- streaming state ---

// With redundancy (set, or a DUP description): the merger of the receiver's legs, from now on. The caller holds
// state_lock.
static void start_merging(GstMcastExpertSrc* self, RunningState& running, StreamingState& streaming,
                          const Settings& s) {
  running.merger.reset();
  running.leg_live.reset();
  running.not_rtp = 0;
  streaming.leg_last_monotonic.clear();
  if (!running.receiver || (s.redundancy != REDUNDANCY_ST2022_7 && !running.described.redundant)) return;
  const size_t legs = running.receiver->memberships().size();
  running.merger = std::make_unique<RtpMerger>(uint64_t{s.redundancy_window_ms} * 1000000, legs);
  running.leg_live = std::make_unique<std::atomic<bool>[]>(legs);
  for (size_t i = 0; i < legs; ++i) running.leg_live[i] = true;  // until it is silent for a while
  streaming.leg_last_monotonic.assign(legs, g_get_monotonic_time());
  GST_INFO_OBJECT(self, "merging %zu legs (ST 2022-7), remembering packets for %u ms", legs, s.redundancy_window_ms);
}

static gboolean gst_mcastexpert_src_start(GstBaseSrc* src) {
  auto* self = GST_MCASTEXPERT_SRC(src);
  auto* priv = self->priv;
  const Settings s = settings_snapshot(priv);
  bool reopen;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    reopen = !priv->running || priv->running->opened_with != s.socket;
  }
  // An sdp-file is read at each start: a description that changed since the socket opened opens it anew.
  if (!reopen && !s.socket.sdp_file.empty()) {
    try {
      std::lock_guard<std::mutex> lock(priv->state_lock);
      reopen = description_text(s.socket) != priv->running->described.text;
    } catch (const Error&) {
      reopen = true;  // open_receiver reports it
    }
  }
  if (reopen) {
    close_receiver(self);
    if (!open_receiver(self, s)) return FALSE;
  }

  GstBufferPool* pool = plugin::datagram_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(pool);
  gst_buffer_pool_config_set_params(config, nullptr, s.mtu, 0, 0);
  if (!gst_buffer_pool_set_config(pool, config) || !gst_buffer_pool_set_active(pool, TRUE)) {
    gst_object_unref(pool);
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, ("Cannot set up a buffer pool of %u-byte buffers", s.mtu),
                      (nullptr));
    return FALSE;
  }
  // A wake left from before (a timeout set while stopped, an unlock without its unlock_stop) means nothing now.
  priv->stop.clear();
  priv->recheck.clear();
  auto streaming = std::make_unique<StreamingState>(pool, s.batch_size, !s.preserve_packetization);
  streaming->live = s.live;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    start_merging(self, *priv->running, *streaming, s);
  }
  streaming->last_data_monotonic = g_get_monotonic_time();
  priv->streaming = std::move(streaming);
  return TRUE;
}

static gboolean gst_mcastexpert_src_stop(GstBaseSrc* src) {
  auto* priv = GST_MCASTEXPERT_SRC(src)->priv;
  priv->streaming.reset();
  std::lock_guard<std::mutex> lock(priv->state_lock);
  if (priv->running) {
    priv->running->merger.reset();
    priv->running->leg_live.reset();
  }
  return TRUE;
}

static gboolean gst_mcastexpert_src_unlock(GstBaseSrc* src) {
  GST_MCASTEXPERT_SRC(src)->priv->stop.wake();
  return TRUE;
}

static gboolean gst_mcastexpert_src_unlock_stop(GstBaseSrc* src) {
  GST_MCASTEXPERT_SRC(src)->priv->stop.clear();
  return TRUE;
}

// --- legs (with redundancy) ---

// How long a leg may carry nothing before it is reported gone: the timeout, or a second without one.
static gint64 leg_silence_us(const StreamingState& st) {
  return static_cast<gint64>(
      std::min<guint64>(st.live.timeout > 0 ? st.live.timeout : kDefaultLegSilenceNs, G_MAXINT64 / 2) / 1000);
}

static void post_leg_state(GstMcastExpertSrc* self, const Membership& m, bool live) {
  GST_INFO_OBJECT(self, "leg %s:%u on %s %s", m.group.to_string().c_str(), m.port, m.ifname.c_str(),
                  live ? "carries data again" : "went silent");
  gst_element_post_message(
      GST_ELEMENT(self),
      gst_message_new_element(
          GST_OBJECT(self),
          gst_structure_new("McastExpertLegState", "group", G_TYPE_STRING, m.group.to_string().c_str(), "port",
                            G_TYPE_UINT, static_cast<guint>(m.port), "iface", G_TYPE_STRING, m.ifname.c_str(),
                            "ifindex", G_TYPE_UINT, m.ifindex, "live", G_TYPE_BOOLEAN, live, nullptr)));
}

// `leg` carried a datagram at `now_us`: reported back if it was gone.
static void leg_heard(GstMcastExpertSrc* self, size_t leg, gint64 now_us) {
  RunningState& running = *self->priv->running;
  self->priv->streaming->leg_last_monotonic[leg] = now_us;
  if (!running.leg_live[leg].exchange(true)) post_leg_state(self, running.receiver->memberships()[leg], true);
}

// Reports every leg silent for longer than allowed; returns the ms until the next one would be (-1: none live).
static int check_legs(GstMcastExpertSrc* self) {
  RunningState& running = *self->priv->running;
  StreamingState& st = *self->priv->streaming;
  if (running.merger == nullptr) return -1;
  const gint64 now = g_get_monotonic_time();
  const gint64 silence = leg_silence_us(st);
  int next = -1;
  for (size_t i = 0; i < st.leg_last_monotonic.size(); ++i) {
    if (!running.leg_live[i].load()) continue;
    const gint64 left = st.leg_last_monotonic[i] + silence - now;
    if (left <= 0) {
      running.leg_live[i] = false;
      post_leg_state(self, running.receiver->memberships()[i], false);
      continue;
    }
    const int ms = poll_timeout_ms(static_cast<uint64_t>(left) * 1000);
    next = next < 0 ? ms : std::min(next, ms);
  }
  return next;
}

// The live settings, read again for each batch: a change made while PLAYING applies to the next datagram.
static void refresh_live_settings(McastExpertSrcPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  priv->streaming->live = priv->settings.live;
}

// How long to wait for data before the timeout message is due (-1: no timeout).
static int timeout_message_due_ms(const StreamingState& st) {
  if (st.live.timeout == 0) return -1;
  const gint64 elapsed_us = std::max<gint64>(0, g_get_monotonic_time() - st.last_data_monotonic);
  return poll_timeout_ms(remaining_ns(st.live.timeout, static_cast<uint64_t>(elapsed_us) * 1000));
}

// With rejoin-interval: leaves and joins again when it is time (and says when it next is, in ms; -1: never).
static int rejoin_when_due(GstMcastExpertSrc* self, MulticastReceiver& receiver) {
  StreamingState& st = *self->priv->streaming;
  if (st.live.rejoin_interval == 0) return -1;
  const gint64 now = g_get_monotonic_time();
  const gint64 period = static_cast<gint64>(st.live.rejoin_interval) * G_USEC_PER_SEC;
  if (st.next_rejoin == 0 || st.next_rejoin > now + period) st.next_rejoin = now + period;  // (re)started
  if (now >= st.next_rejoin) {
    const std::string failed = receiver.rejoin();
    if (failed.empty())
      GST_DEBUG_OBJECT(self, "left and joined every group again (rejoin-interval %u s)", st.live.rejoin_interval);
    else
      GST_ELEMENT_WARNING(
          self, RESOURCE, READ, ("Rejoining failed: %s", failed.c_str()),
          ("rejoin-interval %u s; the next attempt follows at the next interval", st.live.rejoin_interval));
    st.next_rejoin = now + period;
  }
  return poll_timeout_ms(static_cast<uint64_t>(st.next_rejoin - now) * 1000);
}

// How long to wait: until the timeout message is due, a leg would be reported silent, or a rejoin is (-1: no
// limit).
static int wait_timeout_ms(GstMcastExpertSrc* self, MulticastReceiver& receiver) {
  int wait = -1;
  for (const int t :
       {timeout_message_due_ms(*self->priv->streaming), check_legs(self), rejoin_when_due(self, receiver)})
    if (t >= 0) wait = wait < 0 ? t : std::min(wait, t);
  return wait;
}

// The kernel reported interface or address changes: the joins follow them (under state_lock, which the stats
// readers of the memberships take), and each change is reported — a warning when nothing can arrive by an
// interface, an info message when it can again — and posted as a "McastExpertInterface" element message.
static void follow_interfaces(GstMcastExpertSrc* self, MulticastReceiver& receiver) {
  auto* priv = self->priv;
  std::vector<InterfaceEvent> events;
  try {
    const InterfaceTable table = receiver.interfaces_now();
    std::lock_guard<std::mutex> lock(priv->state_lock);
    RunningState& running = *priv->running;
    events = receiver.follow_interfaces(table, running.merger == nullptr);
    for (const auto& m : receiver.memberships())
      if (m.present) running.names.ifnames[m.ifindex] = m.ifname;
  } catch (const Error& e) {
    GST_WARNING_OBJECT(self, "cannot read the interfaces after a change: %s", e.what());
    return;
  }
  plugin::post_interface_events(GST_ELEMENT(self), events, GST_RESOURCE_ERROR_READ);
}

// Posts GstUDPSrcTimeout when `timeout` has passed without data (a wait longer than poll() can take ends early: only
// once the whole period has passed), and counts the next period from now.
static void post_timeout_when_due(GstMcastExpertSrc* self) {
  StreamingState& st = *self->priv->streaming;
  if (st.live.timeout == 0 || timeout_message_due_ms(st) > 0) return;
  GST_DEBUG_OBJECT(self, "no data for %" G_GUINT64_FORMAT " ns", st.live.timeout);
  gst_element_post_message(
      GST_ELEMENT(self),
      gst_message_new_element(
          GST_OBJECT(self), gst_structure_new("GstUDPSrcTimeout", "timeout", G_TYPE_UINT64, st.live.timeout, nullptr)));
  st.last_data_monotonic = g_get_monotonic_time();
}

// Waits for data, posting the timeout message as it falls due. FLOW_OK when there is something to read.
static GstFlowReturn wait_for_data(GstMcastExpertSrc* self, MulticastReceiver& receiver) {
  auto* priv = self->priv;
  while (true) {
    MulticastReceiver::WaitResult waited;
    try {
      waited = receiver.wait(wait_timeout_ms(self, receiver), priv->stop, priv->recheck);
    } catch (const Error& e) {
      post_error(self, e, settings_snapshot(priv));
      return GST_FLOW_ERROR;
    }
    switch (waited) {
      case MulticastReceiver::WaitResult::Readable: return GST_FLOW_OK;
      case MulticastReceiver::WaitResult::Stopped: return GST_FLOW_FLUSHING;
      case MulticastReceiver::WaitResult::Recheck:
        priv->recheck.clear();
        refresh_live_settings(priv);
        // The announced session changed: back to create(), which follows it (reading what is waiting first).
        if (priv->running->sap && priv->running->sap->generation() != priv->running->sap_generation) return GST_FLOW_OK;
        continue;
      case MulticastReceiver::WaitResult::InterfacesChanged: follow_interfaces(self, receiver); continue;
      case MulticastReceiver::WaitResult::TimedOut: break;
    }
    // Legs are checked by the next wait_timeout_ms().
    post_timeout_when_due(self);
  }
}

// The clock readings this batch's timestamps come from (one per batch; each datagram's own kernel arrival time
// places it before them).
static plugin::BatchClock read_batch_clock(GstMcastExpertSrc* self) {
  plugin::BatchClock clock;
  clock.now_monotonic_ns = g_get_monotonic_time() * 1000;
  if (GstClock* gst_clock = gst_element_get_clock(GST_ELEMENT(self))) {
    const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
    const GstClockTime now = gst_clock_get_time(gst_clock);
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    clock.now_realtime_ns = static_cast<gint64>(ts.tv_sec) * GST_SECOND + ts.tv_nsec;
    clock.now_running = now > base ? now - base : 0;
    gst_object_unref(gst_clock);
  }
  return clock;
}

// Waits for the next batch (after a full one, more is likely waiting: it reads at once, looking for interface
// changes and rejoins a few times a second instead). FLOW_OK when there is something to read.
static GstFlowReturn wait_for_batch(GstMcastExpertSrc* self, MulticastReceiver& receiver) {
  StreamingState& st = *self->priv->streaming;
  // Reading on without a wait (full batches, under a flood perhaps all of them rejected, so nothing goes
  // downstream): the wait is where unlock is seen, so look for it here too, or stopping waits for the flood.
  if (st.last_batch_full && self->priv->stop.woken()) return GST_FLOW_FLUSHING;
  if (!st.last_batch_full) return wait_for_data(self, receiver);
  if (const gint64 now = g_get_monotonic_time(); now - st.interfaces_checked > kInterfaceCheckUs) {
    st.interfaces_checked = now;
    if (receiver.interfaces_changed()) follow_interfaces(self, receiver);
    rejoin_when_due(self, receiver);
  }
  return GST_FLOW_OK;
}

// The buffers of the `n` datagrams just read (possibly none: all rejected, or later copies of a merge).
static std::vector<GstBuffer*>& make_buffers(GstMcastExpertSrc* self, MulticastReceiver& receiver, size_t n) {
  StreamingState& st = *self->priv->streaming;
  RunningState& running = *self->priv->running;
  const plugin::BatchClock clock = read_batch_clock(self);
  const gint64 now_us = clock.now_monotonic_ns / 1000;
  const plugin::BufferSettings settings{st.live.skip_first_bytes, st.live.retrieve_sender_address != FALSE};
  auto& buffers = st.buffers.make_buffers(n, receiver.last_receive_mixed(), clock, settings, running.names,
                                          {running.merger.get(), &running.not_rtp},
                                          [&](size_t leg) { leg_heard(self, leg, now_us); });
  if (const auto size = st.buffers.take_too_short_for_skip())
    GST_ELEMENT_WARNING(self, STREAM, DECODE,
                        ("Datagram of %zu bytes is too short to skip %d bytes", *size, st.live.skip_first_bytes),
                        ("dropping such datagrams; check skip-first-bytes"));
  if (running.merger != nullptr) check_legs(self);  // a busy leg must not hide a silent one
  return buffers;
}

// Hands a batch's buffers downstream: one as *out, several as a buffer list — or, while num-buffers is set (which
// counts create() calls), one per call, the rest waiting.
static void hand_out(GstMcastExpertSrc* self, std::vector<GstBuffer*>& buffers, GstBuffer** out) {
  StreamingState& st = *self->priv->streaming;
  if (buffers.size() == 1 || GST_BASE_SRC(self)->num_buffers > 0) {
    *out = buffers.front();
    st.pending.insert(st.pending.end(), buffers.begin() + 1, buffers.end());
    return;
  }
  GstBufferList* list = gst_buffer_list_new_sized(static_cast<guint>(buffers.size()));
  for (GstBuffer* buf : buffers) gst_buffer_list_add(list, buf);
  gst_base_src_submit_buffer_list(GST_BASE_SRC(self), list);
  *out = nullptr;
}

// --- sap-session: the receiver follows the announced session ---

// The settings a session's SDP gives, as sdp would: received on the interface it was heard on — or, for a DUP pair
// and an iface listing one interface per leg, on those.
static Settings session_settings(const Settings& user, const plugin::FollowedSession& session) {
  Settings s = user;
  s.socket.sdp = session.sdp;
  s.socket.sap_session.clear();
  s.socket.sap_group.clear();
  bool per_leg = false;
  try {
    const auto listed = split_interface_list(user.socket.iface);
    per_leg = listed.size() > 1 && read_sdp(session.sdp, user.socket.media).legs.size() == listed.size();
  } catch (const Error&) {
    // apply_description reports what is wrong with it
  }
  if (!per_leg) s.socket.iface = session.ifname;
  return s;
}

static bool same_caps(GstCaps* a, GstCaps* b) {
  return a == b || (a != nullptr && b != nullptr && gst_caps_is_equal(a, b));
}

// Makes the receiver for the session as announced now (in the network namespace the element started in: the
// streaming thread may come from a pool). When what it describes to receive did not change, the receiver stays.
// When its SDP cannot be received here, a warning says why, and the source waits for the next announcement.
static void receive_session(GstMcastExpertSrc* self, const plugin::FollowedSession& session) {
  auto* priv = self->priv;
  RunningState& running = *priv->running;
  const Settings user = settings_snapshot(priv);
  Description described;
  Settings s;
  ReceiverSettings rs;
  try {
    s = apply_description(session_settings(user, session), described);
    if (running.receiver && s.socket == running.session_socket &&
        same_caps(described.caps.get(), running.described.caps.get())) {
      GST_INFO_OBJECT(self, "SAP session '%s' updated; what it describes to receive is the same", session.name.c_str());
      return;
    }
    rs = receiver_settings(self, s);
  } catch (const Error& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_READ,
                        ("SAP session '%s' from %s cannot be received: %s", session.name.c_str(),
                         session.origin.c_str(), plugin::describe(e).c_str()),
                        ("heard on %s; waiting for an announcement that can be", session.ifname.c_str()));
    std::lock_guard<std::mutex> lock(priv->state_lock);
    running.receiver.reset();
    return;
  }
  std::unique_ptr<MulticastReceiver> receiver;
  {
    // The old joins are left before the new ones are made: the same group and port may be in both.
    std::lock_guard<std::mutex> lock(priv->state_lock);
    running.merger.reset();
    running.receiver.reset();
  }
  try {
    receiver =
        running.netns.run([&] { return std::make_unique<MulticastReceiver>(rs, InterfaceTable::from_system()); });
  } catch (const Error& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_READ,
                        ("SAP session '%s' cannot be received: %s", session.name.c_str(), plugin::describe(e).c_str()),
                        ("heard on %s from %s; waiting for an announcement that can be", session.ifname.c_str(),
                         session.origin.c_str()));
    return;
  }
  const bool caps_changed = !same_caps(described.caps.get(), running.described.caps.get());
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    running.receiver = std::move(receiver);
    running.session_socket = s.socket;
    running.described = described;
    start_merging(self, running, *priv->streaming, user);
  }
  note_joins(self, running, !rs.sources.empty());
  priv->streaming->last_batch_full = false;
  if (caps_changed) gst_pad_mark_reconfigure(GST_BASE_SRC_PAD(self));
}

// With sap-session: a receiver for the session as announced now, waiting (in the stop and recheck wakers alone)
// while none is. FLOW_OK with a receiver to read, FLUSHING when unlocked.
static GstFlowReturn follow_session(GstMcastExpertSrc* self) {
  auto* priv = self->priv;
  RunningState& running = *priv->running;
  while (true) {
    uint64_t generation = 0;
    const auto session = running.sap->current(&generation);
    if (generation != running.sap_generation) {
      running.sap_generation = generation;
      if (session) {
        receive_session(self, *session);
      } else {
        GST_INFO_OBJECT(self, "the SAP session is gone: leaving its groups until it is announced again");
        std::lock_guard<std::mutex> lock(priv->state_lock);
        running.merger.reset();
        running.receiver.reset();
      }
    }
    if (running.receiver) return GST_FLOW_OK;
    // No data while nothing is announced: the timeout message falls due as it would for a silent group.
    pollfd fds[] = {{priv->stop.fd(), POLLIN, 0}, {priv->recheck.fd(), POLLIN, 0}};
    const int ready = poll(fds, 2, timeout_message_due_ms(*priv->streaming));
    if (ready == 0) post_timeout_when_due(self);
    if (ready < 0 && errno != EINTR) {
      post_error(self, Error(ErrorKind::Resource, std::string("waiting failed: ") + g_strerror(errno)),
                 settings_snapshot(priv));
      return GST_FLOW_ERROR;
    }
    if (fds[0].revents != 0) return GST_FLOW_FLUSHING;
    if (fds[1].revents != 0) {
      priv->recheck.clear();
      refresh_live_settings(priv);
    }
  }
}

static GstFlowReturn gst_mcastexpert_src_create(GstPushSrc* psrc, GstBuffer** out) {
  auto* self = GST_MCASTEXPERT_SRC(psrc);
  auto* priv = self->priv;
  StreamingState& st = *priv->streaming;
  if (!st.pending.empty()) {
    *out = st.pending.front();
    st.pending.pop_front();
    return GST_FLOW_OK;
  }
  while (true) {
    if (priv->running->sap)
      if (const GstFlowReturn followed = follow_session(self); followed != GST_FLOW_OK) return followed;
    // Stable from start to stop — with sap-session, until the next follow_session().
    MulticastReceiver& receiver = *priv->running->receiver;
    if (!st.buffers.prepare_slots()) return GST_FLOW_FLUSHING;
    if (const GstFlowReturn waited = wait_for_batch(self, receiver); waited != GST_FLOW_OK) return waited;
    size_t n;
    try {
      n = receiver.receive(st.buffers.slots(), st.buffers.batch_size());
    } catch (const Error& e) {
      post_error(self, e, settings_snapshot(priv));
      return GST_FLOW_ERROR;
    }
    // Read after the datagrams are: a live setting changed before one was read applies to it, also when this
    // create() did not wait (read before, it could miss a change made between it and the read).
    refresh_live_settings(priv);
    st.last_batch_full = n == st.buffers.batch_size();
    if (n == 0) continue;
    st.last_data_monotonic = g_get_monotonic_time();
    auto& buffers = make_buffers(self, receiver, n);
    if (buffers.empty()) continue;
    // Caps set while this create() waited: the loop would renegotiate only after these buffers went out with the
    // old caps. The property promises the next buffer, so negotiate here (a failure is left to the loop's own try).
    if (gst_pad_check_reconfigure(GST_BASE_SRC_PAD(self)) && !gst_base_src_negotiate(GST_BASE_SRC(self)))
      gst_pad_mark_reconfigure(GST_BASE_SRC_PAD(self));
    hand_out(self, buffers, out);
    return GST_FLOW_OK;
  }
}

// --- GstURIHandler (mcast://, shared with the sink) ---

static void gst_mcastexpert_src_uri_handler_init(gpointer g_iface, gpointer) {
  plugin::init_uri_handler(g_iface);
}
