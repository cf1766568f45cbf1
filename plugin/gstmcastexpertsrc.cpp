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
 * ]| Joins on two interfaces (redundant networks); the meta tells which one each datagram came by.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=232.1.1.1 sources=10.0.0.5 iface=eth1 ! fakesink
 * ]| Source-specific multicast (IGMPv3): only 10.0.0.5's datagrams are delivered.
 * |[
 * gst-launch-1.0 mcastexpertsrc groups=ff02::1:5 iface=eth1 ! fakesink
 * gst-launch-1.0 playbin uri="mcast://[ff02::1:5%eth1]:5004"
 * ]| An IPv6 link-scope group, which needs its interface.
 */
#include "gstmcastexpertsrc.h"

#include <gio/gio.h>
#include <gst/net/gstnetaddressmeta.h>
#include <time.h>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "datagram_pool.h"
#include "element_common.h"
#include "error.hpp"
#include "interface_table.hpp"
#include "receive_meta.h"
#include "receiver.hpp"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_src_debug);
#define GST_CAT_DEFAULT mcastexpert_src_debug

using namespace mcastexpert;

namespace {

constexpr gint kDefaultPort = 5004;
constexpr guint kDefaultMtu = 1500;
constexpr guint kDefaultBatchSize = 64;
constexpr guint64 kDefaultTimeout = 0;
// Sized for video: a frame of uncompressed HD arrives as a burst of thousands of datagrams, which the OS default
// (about 200 KiB) cannot hold while the streaming thread is busy downstream.
constexpr gint kDefaultBufferSize = 8 * 1024 * 1024;
constexpr gint kDefaultSkipFirstBytes = 0;
constexpr gboolean kDefaultRetrieveSenderAddress = TRUE;
constexpr gboolean kDefaultReuse = TRUE;
constexpr gboolean kDefaultLoop = FALSE;

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
  PROP_RETRIEVE_SENDER_ADDRESS,
  PROP_SKIP_FIRST_BYTES,
  PROP_REUSE,
  PROP_LOOP,
  PROP_BATCH_SIZE,
  PROP_STATS,
  PROP_URI,
};

// Keys an mcast:// URI may carry: the properties of the same names.
const gchar* const kUriKeys[] = {"iface",
                                 "sources",
                                 "block-sources",
                                 "buffer-size",
                                 "mtu",
                                 "timeout",
                                 "reuse",
                                 "loop",
                                 "batch-size",
                                 "caps",
                                 "skip-first-bytes",
                                 "retrieve-sender-address",
                                 nullptr};

struct CapsDeleter {
  void operator()(GstCaps* caps) const { gst_caps_unref(caps); }
};
using CapsPtr = std::unique_ptr<GstCaps, CapsDeleter>;

struct ObjectDeleter {
  void operator()(gpointer object) const { g_object_unref(object); }
};

// What the user set. Guarded by Private::settings_lock.
struct Settings {
  std::string groups;
  gint port = kDefaultPort;
  std::string iface;
  std::string sources;
  std::string block_sources;
  CapsPtr caps;
  gint buffer_size = kDefaultBufferSize;
  bool buffer_size_set = false;  // asked for by the user (a smaller grant is then worth a warning)
  guint mtu = kDefaultMtu;
  guint64 timeout = kDefaultTimeout;
  gboolean retrieve_sender_address = kDefaultRetrieveSenderAddress;
  gint skip_first_bytes = kDefaultSkipFirstBytes;
  gboolean reuse = kDefaultReuse;
  gboolean loop = kDefaultLoop;
  guint batch_size = kDefaultBatchSize;
  // A value a setter refused, by property: start fails with the reason rather than run without it.
  std::map<std::string, std::string> rejected;
};

// A buffer from the pool, its memory mapped, waiting for a datagram.
struct SpareBuffer {
  GstBuffer* buffer = nullptr;
  GstMapInfo map{};
};

}  // namespace

struct McastExpertSrcPrivate {
  std::mutex settings_lock;
  Settings settings;

  // The running receiver: opened at NULL→READY (so port=0 can be read back), reopened at READY→PAUSED if a setting
  // changed in between, closed at READY→NULL. Guarded by state_lock, which the streaming thread never holds while
  // it waits, so unlock() and the stats getter never wait on it.
  std::mutex state_lock;
  std::unique_ptr<MulticastReceiver> receiver;
  bool receiver_stale = false;

  // Streaming thread only (between start and stop).
  GstBufferPool* pool = nullptr;
  std::vector<SpareBuffer> spares;
  std::vector<ReceiveSlot> slots;
  std::vector<GstBuffer*> ready;            // the buffers of one batch, in order
  std::deque<GstBuffer*> pending;           // with num-buffers set: the rest of a batch, one per create()
  std::vector<std::string> group_names;     // by group index
  std::map<unsigned, std::string> ifnames;  // by index
  std::unique_ptr<GSocketAddress, ObjectDeleter> last_sender;  // reused while the sender stays the same
  sockaddr_storage last_sender_raw{};
  bool last_batch_full = false;
  gint64 last_data_monotonic = 0;  // for the timeout message
  Settings running;                // the settings in force, copied at start
  guint port = 0;                  // the port bound, for the meta
  bool warned_skip = false;
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

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  constexpr auto socket_shaping = static_cast<GParamFlags>(rw | GST_PARAM_MUTABLE_READY);

  /**
   * GstMcastExpertSrc:groups:
   *
   * The multicast groups to join, comma-separated: `239.255.0.1,239.255.0.2` or `ff15::1, [ff15::2]`. One family
   * per element. An IPv6 group may name its interface with `%`: `ff02::1%eth1`. Required.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_GROUPS,
      g_param_spec_string("groups", "Groups",
                          "Comma-separated multicast groups to join (one family), e.g. 239.255.0.1 or ff15::1; "
                          "an IPv6 group may carry %interface",
                          nullptr, socket_shaping));
  /**
   * GstMcastExpertSrc:port:
   *
   * The UDP port to receive on. 0 picks a free port, which reads back here once the element is in READY.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_int("port", "Port", "UDP port to receive on (0 = pick a free one, readable in READY)", 0, 65535,
                       kDefaultPort, socket_shaping));
  /**
   * GstMcastExpertSrc:iface:
   *
   * The interfaces to join on, comma-separated: names (`eth1`), IPv4 addresses, IPv6 addresses with or without
   * `%scope`, or indexes. Every group is joined on every one. Empty: every interface that is up,
   * multicast-capable, not loopback and has an address of the groups' family.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_IFACE,
      g_param_spec_string("iface", "Interfaces",
                          "Comma-separated interfaces to join on: name, IPv4, IPv6[%scope] or index "
                          "(empty = all up, multicast-capable, non-loopback interfaces)",
                          nullptr, socket_shaping));
  /**
   * GstMcastExpertSrc:sources:
   *
   * Source-specific multicast (IGMPv3 / MLDv2): the senders to receive from, comma-separated. Nothing from other
   * senders is delivered.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_SOURCES,
      g_param_spec_string("sources", "Sources",
                          "Comma-separated sender addresses: join source-specific (SSM) and deliver only theirs",
                          nullptr, socket_shaping));
  /**
   * GstMcastExpertSrc:block-sources:
   *
   * Any-source joins that exclude these senders, comma-separated.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SOURCES,
      g_param_spec_string("block-sources", "Blocked sources",
                          "Comma-separated sender addresses to exclude from any-source joins", nullptr,
                          socket_shaping));
  /**
   * GstMcastExpertSrc:caps:
   *
   * The caps of the source pad, as with udpsrc (e.g. `application/x-rtp,...`): what downstream is told the
   * datagrams are.
   *
   * Since: 0.1
   */
  g_object_class_install_property(gobject_class, PROP_CAPS,
                                  g_param_spec_boxed("caps", "Caps", "The caps of the source pad", GST_TYPE_CAPS,
                                                     static_cast<GParamFlags>(rw | GST_PARAM_MUTABLE_READY)));
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
                       0, G_MAXINT, kDefaultBufferSize, socket_shaping));
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
                        kDefaultMtu, socket_shaping));
  /**
   * GstMcastExpertSrc:timeout:
   *
   * After this many nanoseconds without data, post an element message named `GstUDPSrcTimeout` with a `timeout`
   * (guint64) field, as udpsrc does; again after each further period. 0 disables it.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64("timeout", "Timeout",
                          "Post a GstUDPSrcTimeout element message after this many ns without data (0 = off)", 0,
                          G_MAXUINT64, kDefaultTimeout, rw));
  /**
   * GstMcastExpertSrc:retrieve-sender-address:
   *
   * Whether to put the sender's address and port on each buffer as #GstNetAddressMeta.
   *
   * Since: 0.1
   */
  g_object_class_install_property(gobject_class, PROP_RETRIEVE_SENDER_ADDRESS,
                                  g_param_spec_boolean("retrieve-sender-address", "Retrieve sender address",
                                                       "Put the sender's address on each buffer as GstNetAddressMeta",
                                                       kDefaultRetrieveSenderAddress, rw));
  /**
   * GstMcastExpertSrc:skip-first-bytes:
   *
   * Bytes to drop from the start of each datagram (a header). A shorter datagram is dropped, with one warning.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_SKIP_FIRST_BYTES,
      g_param_spec_int("skip-first-bytes", "Skip first bytes", "Drop this many bytes from the start of each datagram",
                       0, G_MAXINT, kDefaultSkipFirstBytes, rw));
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
                           kDefaultReuse, socket_shaping));
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
                           kDefaultLoop, socket_shaping));
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
                        1024, kDefaultBatchSize, socket_shaping));
  /**
   * GstMcastExpertSrc:stats:
   *
   * Counters of the running receiver: `packets-received`, `bytes-received`, `packets-dropped-kernel` (receive queue
   * overflows, the socket's drop count), `packets-rejected` and its parts `rejected-wrong-group`,
   * `rejected-wrong-interface`, `rejected-unicast`, `rejected-source`, `rejected-own`; `truncated`; `buffer-size`
   * (granted); `port`; and `groups`, an array with one structure per group (`group`, `packets`, `bytes`).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Packets and bytes received, kernel drops, rejected datagrams by reason, per-group counters, "
                         "granted buffer size",
                         GST_TYPE_STRUCTURE, static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstMcastExpertSrc:uri:
   *
   * An `mcast://GROUP[:PORT][?key=value&...]` URI: sets #GstMcastExpertSrc:groups, #GstMcastExpertSrc:port
   * and the properties named by the query keys.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_URI,
      g_param_spec_string("uri", "URI", "mcast://GROUP[:PORT][?iface=..&sources=..]: sets groups, port and the keys",
                          nullptr, socket_shaping));

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

static void gst_mcastexpert_src_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SRC(object);
  auto* priv = self->priv;

  if (prop_id == PROP_URI) {
    mcastexpert_plugin::set_uri_property(GST_ELEMENT(self), GST_CAT_DEFAULT, value, kUriKeys, priv->settings_lock,
                                         priv->settings.rejected);
    return;
  }

  bool shapes_socket = (pspec->flags & GST_PARAM_MUTABLE_READY) != 0;
  if (shapes_socket && GST_STATE(self) > GST_STATE_READY) {
    GST_WARNING_OBJECT(self, "property '%s' shapes the socket and cannot change in %s; ignored", pspec->name,
                       gst_element_state_get_name(GST_STATE(self)));
    return;
  }

  std::lock_guard<std::mutex> lock(priv->settings_lock);
  Settings& s = priv->settings;
  using mcastexpert_plugin::ListKind;
  auto set_list = [&](ListKind kind, std::string& field) {
    mcastexpert_plugin::set_list_property(GST_ELEMENT(self), GST_CAT_DEFAULT, pspec, value, kind, field, s.rejected);
  };
  switch (prop_id) {
    case PROP_GROUPS: set_list(ListKind::Groups, s.groups); break;
    case PROP_IFACE: set_list(ListKind::Interfaces, s.iface); break;
    case PROP_SOURCES: set_list(ListKind::Sources, s.sources); break;
    case PROP_BLOCK_SOURCES: set_list(ListKind::Sources, s.block_sources); break;
    case PROP_PORT: s.port = g_value_get_int(value); break;
    case PROP_CAPS: {
      const GstCaps* caps = gst_value_get_caps(value);
      s.caps.reset(caps != nullptr ? gst_caps_copy(caps) : nullptr);
      shapes_socket = false;
      break;
    }
    case PROP_BUFFER_SIZE:
      s.buffer_size = g_value_get_int(value);
      s.buffer_size_set = true;
      break;
    case PROP_MTU: s.mtu = g_value_get_uint(value); break;
    case PROP_TIMEOUT: s.timeout = g_value_get_uint64(value); break;
    case PROP_RETRIEVE_SENDER_ADDRESS: s.retrieve_sender_address = g_value_get_boolean(value); break;
    case PROP_SKIP_FIRST_BYTES: s.skip_first_bytes = g_value_get_int(value); break;
    case PROP_REUSE: s.reuse = g_value_get_boolean(value); break;
    case PROP_LOOP: s.loop = g_value_get_boolean(value); break;
    case PROP_BATCH_SIZE: s.batch_size = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); return;
  }
  if (shapes_socket) {
    std::lock_guard<std::mutex> state(priv->state_lock);
    priv->receiver_stale = true;  // opened with the old value: reopen at READY→PAUSED
  }
}

static GstStructure* make_stats(McastExpertSrcPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->state_lock);
  GstStructure* s = gst_structure_new_empty("application/x-mcastexpert-src-stats");
  const MulticastReceiver* r = priv->receiver.get();
  const ReceiverStats* st = r != nullptr ? &r->stats() : nullptr;
  auto get = [&](const ReceiverStats::Counter ReceiverStats::*field) -> guint64 {
    return st != nullptr ? (st->*field).get() : 0;
  };
  gst_structure_set(
      s, "packets-received", G_TYPE_UINT64, get(&ReceiverStats::packets), "bytes-received", G_TYPE_UINT64,
      get(&ReceiverStats::bytes), "packets-dropped-kernel", G_TYPE_UINT64, r != nullptr ? r->kernel_drops() : 0,
      "packets-rejected", G_TYPE_UINT64, st != nullptr ? st->rejected() : 0, "rejected-wrong-group", G_TYPE_UINT64,
      get(&ReceiverStats::wrong_group), "rejected-wrong-interface", G_TYPE_UINT64, get(&ReceiverStats::wrong_interface),
      "rejected-unicast", G_TYPE_UINT64, get(&ReceiverStats::unicast), "rejected-source", G_TYPE_UINT64,
      get(&ReceiverStats::disallowed_source), "rejected-own", G_TYPE_UINT64, get(&ReceiverStats::own_traffic),
      "truncated", G_TYPE_UINT64, get(&ReceiverStats::truncated), "buffer-size", G_TYPE_INT,
      st != nullptr ? st->granted_buffer_size : 0, "port", G_TYPE_INT, r != nullptr ? static_cast<int>(r->port()) : 0,
      nullptr);
  GValue groups = G_VALUE_INIT;
  gst_value_array_init(&groups, r != nullptr ? r->groups().size() : 0);
  if (r != nullptr) {
    for (size_t g = 0; g < r->groups().size(); ++g) {
      GValue entry = G_VALUE_INIT;
      g_value_init(&entry, GST_TYPE_STRUCTURE);
      GstStructure* gs = gst_structure_new("group", "group", G_TYPE_STRING, r->groups()[g].to_string().c_str(),
                                           "packets", G_TYPE_UINT64, st->group_packets[g].get(), "bytes", G_TYPE_UINT64,
                                           st->group_bytes[g].get(), nullptr);
      g_value_take_boxed(&entry, gs);
      gst_value_array_append_and_take_value(&groups, &entry);
    }
  }
  gst_structure_take_value(s, "groups", &groups);
  return s;
}

static void gst_mcastexpert_src_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SRC(object);
  auto* priv = self->priv;
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(priv));
    return;
  }
  if (prop_id == PROP_URI) {
    g_value_set_string(value, mcastexpert_plugin::build_uri(GST_ELEMENT(self), kUriKeys).c_str());
    return;
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  const Settings& s = priv->settings;
  switch (prop_id) {
    case PROP_GROUPS: g_value_set_string(value, s.groups.c_str()); break;
    case PROP_PORT: g_value_set_int(value, s.port); break;
    case PROP_IFACE: g_value_set_string(value, s.iface.c_str()); break;
    case PROP_SOURCES: g_value_set_string(value, s.sources.c_str()); break;
    case PROP_BLOCK_SOURCES: g_value_set_string(value, s.block_sources.c_str()); break;
    case PROP_CAPS: gst_value_set_caps(value, s.caps.get()); break;
    case PROP_BUFFER_SIZE: g_value_set_int(value, s.buffer_size); break;
    case PROP_MTU: g_value_set_uint(value, s.mtu); break;
    case PROP_TIMEOUT: g_value_set_uint64(value, s.timeout); break;
    case PROP_RETRIEVE_SENDER_ADDRESS: g_value_set_boolean(value, s.retrieve_sender_address); break;
    case PROP_SKIP_FIRST_BYTES: g_value_set_int(value, s.skip_first_bytes); break;
    case PROP_REUSE: g_value_set_boolean(value, s.reuse); break;
    case PROP_LOOP: g_value_set_boolean(value, s.loop); break;
    case PROP_BATCH_SIZE: g_value_set_uint(value, s.batch_size); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

// Builds the receiver from the current settings (NULL→READY, or READY→PAUSED after a change). Posts the error and
// returns FALSE when the settings cannot work.
static gboolean open_receiver(GstMcastExpertSrc* self) {
  auto* priv = self->priv;
  ReceiverSettings rs;
  gint requested_port;
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    const Settings& s = priv->settings;
    if (mcastexpert_plugin::report_refused_value(GST_ELEMENT(self), s.rejected)) return FALSE;
    try {
      rs.groups = about_setting("groups", [&] { return parse_group_list(s.groups); });
      rs.sources = about_setting("sources", [&] { return parse_source_list(s.sources); });
      rs.block_sources = about_setting("block-sources", [&] { return parse_source_list(s.block_sources); });
    } catch (const Error& e) {
      mcastexpert_plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_OPEN_READ);
      return FALSE;
    }
    rs.port = static_cast<uint16_t>(s.port);
    rs.iface = s.iface;
    rs.reuse = s.reuse;
    rs.loop = s.loop;
    rs.buffer_size = s.buffer_size;
    requested_port = s.port;
  }
  rs.log = mcastexpert_plugin::debug_log(GST_ELEMENT(self), GST_CAT_DEFAULT);

  std::unique_ptr<MulticastReceiver> receiver;
  try {
    receiver = std::make_unique<MulticastReceiver>(rs, InterfaceTable::from_system());
  } catch (const Error& e) {
    mcastexpert_plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_OPEN_READ);
    return FALSE;
  }

  for (const auto& m : receiver->memberships())
    GST_INFO_OBJECT(self, "joined %s on %s (index %u)%s", m.group.to_string().c_str(), m.ifname.c_str(), m.ifindex,
                    rs.sources.empty() ? "" : " for the listed sources");
  const int granted = receiver->stats().granted_buffer_size;
  bool warn_buffer;
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    warn_buffer = priv->settings.buffer_size_set;
  }
  if (warn_buffer && rs.buffer_size > 0 && granted < rs.buffer_size) {
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
  const uint16_t port = receiver->port();
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    priv->receiver = std::move(receiver);
    priv->receiver_stale = false;
  }
  if (requested_port == 0) {
    {
      std::lock_guard<std::mutex> lock(priv->settings_lock);
      priv->settings.port = port;
    }
    GST_INFO_OBJECT(self, "bound to free port %u", port);
    g_object_notify(G_OBJECT(self), "port");
  }
  return TRUE;
}

static void close_receiver(GstMcastExpertSrc* self) {
  std::lock_guard<std::mutex> lock(self->priv->state_lock);
  self->priv->receiver.reset();
}

static GstStateChangeReturn gst_mcastexpert_src_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_MCASTEXPERT_SRC(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !open_receiver(self)) return GST_STATE_CHANGE_FAILURE;
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
    caps = self->priv->settings.caps ? gst_caps_ref(self->priv->settings.caps.get()) : gst_caps_new_any();
  }
  if (filter != nullptr) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  return caps;
}

static void release_spares(McastExpertSrcPrivate* priv) {
  for (auto& spare : priv->spares) {
    gst_memory_unmap(mcastexpert_plugin::datagram_memory(spare.buffer), &spare.map);
    gst_buffer_unref(spare.buffer);
  }
  priv->spares.clear();
}

static gboolean gst_mcastexpert_src_start(GstBaseSrc* src) {
  auto* self = GST_MCASTEXPERT_SRC(src);
  auto* priv = self->priv;
  bool reopen;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    reopen = !priv->receiver || priv->receiver_stale;
  }
  if (reopen) {
    close_receiver(self);
    if (!open_receiver(self)) return FALSE;
  }
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    const Settings& s = priv->settings;
    priv->running.mtu = s.mtu;
    priv->running.batch_size = s.batch_size;
    priv->running.timeout = s.timeout;
    priv->running.retrieve_sender_address = s.retrieve_sender_address;
    priv->running.skip_first_bytes = s.skip_first_bytes;
  }

  priv->group_names.clear();
  priv->ifnames.clear();
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    for (const auto& g : priv->receiver->groups()) priv->group_names.push_back(g.address.to_string());
    for (const auto& m : priv->receiver->memberships()) priv->ifnames[m.ifindex] = m.ifname;
    priv->port = priv->receiver->port();
  }

  priv->pool = mcastexpert_plugin::datagram_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(priv->pool);
  gst_buffer_pool_config_set_params(config, nullptr, priv->running.mtu, 0, 0);
  if (!gst_buffer_pool_set_config(priv->pool, config) || !gst_buffer_pool_set_active(priv->pool, TRUE)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, ("Cannot set up a buffer pool"), (nullptr));
    gst_clear_object(&priv->pool);
    return FALSE;
  }
  priv->slots.assign(priv->running.batch_size, ReceiveSlot{});
  priv->last_batch_full = false;
  priv->last_data_monotonic = g_get_monotonic_time();
  priv->last_sender.reset();
  priv->warned_skip = false;
  return TRUE;
}

static gboolean gst_mcastexpert_src_stop(GstBaseSrc* src) {
  auto* priv = GST_MCASTEXPERT_SRC(src)->priv;
  release_spares(priv);
  for (GstBuffer* buf : priv->pending) gst_buffer_unref(buf);
  priv->pending.clear();
  priv->last_sender.reset();
  if (priv->pool != nullptr) {
    gst_buffer_pool_set_active(priv->pool, FALSE);
    gst_clear_object(&priv->pool);
  }
  return TRUE;
}

static gboolean gst_mcastexpert_src_unlock(GstBaseSrc* src) {
  auto* priv = GST_MCASTEXPERT_SRC(src)->priv;
  std::lock_guard<std::mutex> lock(priv->state_lock);
  if (priv->receiver) priv->receiver->wake();
  return TRUE;
}

static gboolean gst_mcastexpert_src_unlock_stop(GstBaseSrc* src) {
  auto* priv = GST_MCASTEXPERT_SRC(src)->priv;
  std::lock_guard<std::mutex> lock(priv->state_lock);
  if (priv->receiver) priv->receiver->clear_wake();
  return TRUE;
}

// The sender's address as a GSocketAddress; the last one is kept, so a stream from one sender costs no allocation.
static GSocketAddress* sender_address(McastExpertSrcPrivate* priv, const sockaddr_storage& sender) {
  const socklen_t len = sender.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (!priv->last_sender || memcmp(&priv->last_sender_raw, &sender, len) != 0) {
    priv->last_sender.reset(g_socket_address_new_from_native(const_cast<sockaddr_storage*>(&sender), len));
    priv->last_sender_raw = sender;
  }
  return priv->last_sender.get();
}

// The metas stay on the pool's buffers (GST_META_FLAG_POOLED) and are rewritten only where a value changed, so a
// steady stream costs no allocation per datagram.
static void mark_pooled(GstMeta* meta) {
  GST_META_FLAGS(meta) = static_cast<GstMetaFlags>(GST_META_FLAGS(meta) | GST_META_FLAG_POOLED);
}

static void set_sender_meta(McastExpertSrcPrivate* priv, GstBuffer* buf, const sockaddr_storage& sender) {
  GSocketAddress* addr = sender_address(priv, sender);
  GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf);
  if (meta == nullptr) {
    meta = gst_buffer_add_net_address_meta(buf, addr);
    mark_pooled(&meta->meta);
  } else if (meta->addr != addr) {
    g_object_unref(meta->addr);
    meta->addr = G_SOCKET_ADDRESS(g_object_ref(addr));
  }
}

static void set_receive_meta(McastExpertSrcPrivate* priv, GstBuffer* buf, const ReceiveSlot& slot) {
  // By API type, not by name: a name look-up takes a global lock and a hash per call.
  static const GType api = gst_meta_get_info(MCASTEXPERT_RECEIVE_META_NAME)->api;
  auto* meta = reinterpret_cast<GstCustomMeta*>(gst_buffer_get_meta(buf, api));
  if (meta == nullptr) {
    meta = gst_buffer_add_custom_meta(buf, MCASTEXPERT_RECEIVE_META_NAME);
    if (meta == nullptr) return;
    mark_pooled(&meta->meta);
  }
  // Fields by quark: the string forms intern the name under a global lock on every call.
  static const GQuark q_group = g_quark_from_static_string("group");
  static const GQuark q_port = g_quark_from_static_string("port");
  static const GQuark q_ifindex = g_quark_from_static_string("ifindex");
  static const GQuark q_ifname = g_quark_from_static_string("ifname");
  GstStructure* s = gst_custom_meta_get_structure(meta);
  const std::string& group = priv->group_names[slot.group_index];
  const GValue* old_group = gst_structure_id_get_value(s, q_group);
  if (old_group == nullptr || group != g_value_get_string(old_group))
    gst_structure_id_set(s, q_group, G_TYPE_STRING, group.c_str(), nullptr);
  const GValue* old_index = gst_structure_id_get_value(s, q_ifindex);
  if (old_index == nullptr || g_value_get_uint(old_index) != slot.ifindex) {
    const auto it = priv->ifnames.find(slot.ifindex);
    gst_structure_id_set(s, q_ifindex, G_TYPE_UINT, slot.ifindex, q_ifname, G_TYPE_STRING,
                         it != priv->ifnames.end() ? it->second.c_str() : "", nullptr);
  }
  const GValue* old_port = gst_structure_id_get_value(s, q_port);
  if (old_port == nullptr || g_value_get_uint(old_port) != priv->port)
    gst_structure_id_set(s, q_port, G_TYPE_UINT, priv->port, nullptr);
}

// The first `len` bytes of a read, in the spare buffer it was read into (taking it). Bytes past the buffer's size
// (mtu) went to the receiver's overflow area and are copied in: the datagram stays whole.
static GstBuffer* take_spare(GstMcastExpertSrc* self, SpareBuffer& spare, const ReceiveSlot& slot, size_t len) {
  GstBuffer* buf = spare.buffer;
  gst_memory_unmap(mcastexpert_plugin::datagram_memory(buf), &spare.map);
  spare.buffer = nullptr;
  if (len <= slot.capacity) {
    mcastexpert_plugin::datagram_set_size(buf, len);
    return buf;
  }
  const size_t rest = len - slot.capacity;
  GstMemory* more = gst_allocator_alloc(nullptr, rest, nullptr);
  GstMapInfo map;
  gst_memory_map(more, &map, GST_MAP_WRITE);
  memcpy(map.data, slot.overflow, rest);
  gst_memory_unmap(more, &map);
  gst_buffer_append_memory(buf, more);
  GST_LOG_OBJECT(self, "datagram of %zu bytes is larger than mtu %zu", len, slot.capacity);
  return buf;
}

// Bytes [offset, offset + len) of a read that the kernel coalesced (UDP GRO), copied into a buffer of their own.
static GstBuffer* copy_segment(McastExpertSrcPrivate* priv, const ReceiveSlot& slot, size_t offset, size_t len) {
  GstBuffer* buf = nullptr;
  if (len > slot.capacity || gst_buffer_pool_acquire_buffer(priv->pool, &buf, nullptr) != GST_FLOW_OK)
    buf = gst_buffer_new_allocate(nullptr, len, nullptr);
  GstMemory* mem = mcastexpert_plugin::datagram_memory(buf);
  GstMapInfo map;
  gst_memory_map(mem, &map, GST_MAP_WRITE);
  slot.copy(offset, len, map.data);
  gst_memory_unmap(mem, &map);
  mcastexpert_plugin::datagram_set_size(buf, len);
  return buf;
}

// Timestamps and metas for one datagram's buffer, and skip-first-bytes; nullptr when nothing is left of it.
static GstBuffer* finish_buffer(GstMcastExpertSrc* self, GstBuffer* buf, const ReceiveSlot& slot,
                                GstClockTime timestamp) {
  auto* priv = self->priv;
  const gint skip = priv->running.skip_first_bytes;
  if (skip > 0) {
    const size_t size = gst_buffer_get_size(buf);
    if (static_cast<size_t>(skip) >= size) {
      if (!priv->warned_skip)
        GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Datagram of %zu bytes is too short to skip %d bytes", size, skip),
                            ("dropping such datagrams; check skip-first-bytes"));
      priv->warned_skip = true;
      gst_buffer_unref(buf);
      return nullptr;
    }
    gst_buffer_resize(buf, skip, -1);
  }
  GST_BUFFER_PTS(buf) = timestamp;
  GST_BUFFER_DTS(buf) = timestamp;
  if (priv->running.retrieve_sender_address) set_sender_meta(priv, buf, slot.sender);
  set_receive_meta(priv, buf, slot);
  return buf;
}

// Appends the buffers of one accepted read to `out`: one per datagram, several when the kernel coalesced a burst.
static void emit_read(GstMcastExpertSrc* self, SpareBuffer& spare, const ReceiveSlot& slot, GstClockTime timestamp,
                      std::vector<GstBuffer*>& out) {
  auto* priv = self->priv;
  const size_t segment = slot.segments > 1 ? slot.segment_size : slot.length;
  const size_t first = out.size();
  out.push_back(nullptr);  // the first datagram's place; its bytes live in the spare, which is taken last
  for (size_t k = 1; k < slot.segments; ++k) {
    const size_t offset = k * segment;
    GstBuffer* buf =
        finish_buffer(self, copy_segment(priv, slot, offset, std::min(segment, slot.length - offset)), slot, timestamp);
    if (buf != nullptr) out.push_back(buf);
  }
  out[first] = finish_buffer(self, take_spare(self, spare, slot, segment), slot, timestamp);
  if (out[first] == nullptr) out.erase(out.begin() + static_cast<std::ptrdiff_t>(first));
}

static GstFlowReturn gst_mcastexpert_src_create(GstPushSrc* psrc, GstBuffer** out) {
  auto* self = GST_MCASTEXPERT_SRC(psrc);
  auto* priv = self->priv;
  MulticastReceiver* receiver = priv->receiver.get();  // stable from start to stop
  const size_t batch = priv->slots.size();
  // num-buffers counts create() calls: while it is set, hand out one buffer per call, the rest of a batch waiting.
  const bool one_at_a_time = GST_BASE_SRC(self)->num_buffers > 0;
  if (!priv->pending.empty()) {
    *out = priv->pending.front();
    priv->pending.pop_front();
    return GST_FLOW_OK;
  }

  while (true) {
    // Buffers for a full batch; those a batch did not use wait, mapped, for the next one.
    while (priv->spares.size() < batch) {
      SpareBuffer spare;
      if (gst_buffer_pool_acquire_buffer(priv->pool, &spare.buffer, nullptr) != GST_FLOW_OK) return GST_FLOW_FLUSHING;
      gst_memory_map(mcastexpert_plugin::datagram_memory(spare.buffer), &spare.map, GST_MAP_WRITE);
      priv->spares.push_back(spare);
    }
    // After a full batch more is likely waiting: read at once. Otherwise wait first (one poll per batch).
    if (!priv->last_batch_full) {
      int timeout_ms = -1;
      if (priv->running.timeout > 0) {
        const gint64 elapsed_us = g_get_monotonic_time() - priv->last_data_monotonic;
        const gint64 remaining_us = static_cast<gint64>(priv->running.timeout / 1000) - elapsed_us;
        timeout_ms = remaining_us <= 0 ? 0 : static_cast<int>((remaining_us + 999) / 1000);
      }
      MulticastReceiver::WaitResult waited;
      try {
        waited = receiver->wait(timeout_ms);
      } catch (const Error& e) {
        mcastexpert_plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_READ);
        return GST_FLOW_ERROR;
      }
      if (waited == MulticastReceiver::WaitResult::Woken) return GST_FLOW_FLUSHING;
      if (waited == MulticastReceiver::WaitResult::TimedOut) {
        GST_DEBUG_OBJECT(self, "no data for %" G_GUINT64_FORMAT " ns", priv->running.timeout);
        gst_element_post_message(
            GST_ELEMENT(self),
            gst_message_new_element(GST_OBJECT(self), gst_structure_new("GstUDPSrcTimeout", "timeout", G_TYPE_UINT64,
                                                                        priv->running.timeout, nullptr)));
        priv->last_data_monotonic = g_get_monotonic_time();
        continue;
      }
    }

    for (size_t i = 0; i < batch; ++i) {
      priv->slots[i].data = priv->spares[i].map.data;
      priv->slots[i].capacity = priv->spares[i].map.size;
    }
    size_t n;
    try {
      n = receiver->receive(priv->slots.data(), batch);
    } catch (const Error& e) {
      mcastexpert_plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_READ);
      return GST_FLOW_ERROR;
    }
    priv->last_batch_full = n == batch;
    if (n == 0) continue;
    priv->last_data_monotonic = g_get_monotonic_time();

    // One clock reading per batch; each datagram's own kernel arrival time places it before that.
    GstClockTime now_running = GST_CLOCK_TIME_NONE;
    gint64 now_realtime = 0;
    if (GstClock* clock = gst_element_get_clock(GST_ELEMENT(self))) {
      const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
      const GstClockTime now = gst_clock_get_time(clock);
      timespec ts{};
      clock_gettime(CLOCK_REALTIME, &ts);
      now_realtime = static_cast<gint64>(ts.tv_sec) * GST_SECOND + ts.tv_nsec;
      now_running = now > base ? now - base : 0;
      gst_object_unref(clock);
    }

    auto& ready = priv->ready;
    ready.clear();
    for (size_t i = 0; i < n; ++i) {
      const ReceiveSlot& slot = priv->slots[i];
      if (slot.verdict != Verdict::Accepted) continue;
      GstClockTime ts = now_running;
      if (GST_CLOCK_TIME_IS_VALID(now_running) && slot.arrival_realtime_ns > 0 &&
          slot.arrival_realtime_ns < now_realtime) {
        const GstClockTime age = static_cast<GstClockTime>(now_realtime - slot.arrival_realtime_ns);
        ts = age < now_running ? now_running - age : 0;
      }
      emit_read(self, priv->spares[i], slot, ts, ready);
    }
    // Keep the spares that were not consumed (rejected datagrams, or slots past n), in order.
    size_t keep = 0;
    for (auto& spare : priv->spares)
      if (spare.buffer != nullptr) priv->spares[keep++] = spare;
    priv->spares.resize(keep);
    if (ready.empty()) continue;

    if (ready.size() == 1 || one_at_a_time) {
      *out = ready.front();
      priv->pending.insert(priv->pending.end(), ready.begin() + 1, ready.end());
    } else {
      GstBufferList* list = gst_buffer_list_new_sized(static_cast<guint>(ready.size()));
      for (GstBuffer* buf : ready) gst_buffer_list_add(list, buf);
      gst_base_src_submit_buffer_list(GST_BASE_SRC(self), list);
      *out = nullptr;
    }
    return GST_FLOW_OK;
  }
}

// --- GstURIHandler (mcast://, shared with the sink) ---

static void gst_mcastexpert_src_uri_handler_init(gpointer g_iface, gpointer) {
  mcastexpert_plugin::init_uri_handler(g_iface, kUriKeys);
}
