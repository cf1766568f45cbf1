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
 * errors out.
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
 * ]| Every datagram once on eth1 and once on eth2 (ST 2022-7 style redundancy).
 * |[
 * gst-launch-1.0 audiotestsrc ! rtpL16pay ! mcastexpertsink groups=239.255.0.1 iface=eth1 ttl=8 qos-dscp=46
 * ]| Routed further (TTL 8), marked Expedited Forwarding.
 * |[
 * gst-launch-1.0 audiotestsrc ! rtpL16pay ! mcastexpertsink groups="[ff15::1]:5004" iface=eth1
 * gst-launch-1.0 audiotestsrc ! rtpL16pay ! mcastexpertsink groups=ff02::1:5 iface=fe80::1%eth1
 * ]| IPv6, site-scope and link-scope groups.
 */
#include "gstmcastexpertsink.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "element_common.h"
#include "error.hpp"
#include "interface_table.hpp"
#include "sender.hpp"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_sink_debug);
#define GST_CAT_DEFAULT mcastexpert_sink_debug

using namespace mcastexpert;

namespace {

constexpr gint kDefaultPort = 5004;
constexpr gint kDefaultTtl = 1;
constexpr gboolean kDefaultLoop = FALSE;
constexpr gint kDefaultDscp = -1;
constexpr gint kDefaultBindPort = 0;
constexpr gint kDefaultBufferSize = 0;
constexpr gint64 kPersistentFailureUs = G_USEC_PER_SEC;  // nothing sent for this long is an error

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
  PROP_STATS,
  PROP_URI,
};

enum { SIGNAL_ADD, SIGNAL_REMOVE, SIGNAL_CLEAR, SIGNAL_GET_STATS, LAST_SIGNAL };
guint signals[LAST_SIGNAL];

const gchar* const kUriKeys[] = {"iface", "ttl", "loop", "qos-dscp", "bind-port", "buffer-size", nullptr};

struct Settings {
  std::string groups;
  gint port = kDefaultPort;
  std::string iface;
  gint ttl = kDefaultTtl;
  gboolean loop = kDefaultLoop;
  gint dscp = kDefaultDscp;
  gint bind_port = kDefaultBindPort;
  gint buffer_size = kDefaultBufferSize;
  std::map<std::string, std::string> rejected;  // refused values by property, reported at start
  std::vector<Destination> added;               // destinations from the "add" signal, kept across restarts
};

}  // namespace

struct McastExpertSinkPrivate {
  std::mutex settings_lock;
  Settings settings;

  // The running sender, from start to stop. The streaming thread holds state_lock while it sends (a short,
  // non-waiting hold), so the signals and the stats getter see a consistent sender.
  std::mutex state_lock;
  std::unique_ptr<MulticastSender> sender;
  uint64_t oversized = 0;

  // Streaming thread only.
  std::vector<iovec> iovecs;
  std::vector<GstMapInfo> maps;
  std::vector<GstMemory*> mapped;
  std::vector<Datagram> datagrams;
  std::vector<size_t> first_iovec;  // per datagram: where its pieces start in iovecs (which may still grow)
  std::vector<SendFailure> failures;
  bool warned_oversize = false;
  gint64 failing_since = 0;  // monotonic µs of the first render in a row that sent nothing; 0 when sending works
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
static GstFlowReturn gst_mcastexpert_sink_render(GstBaseSink* sink, GstBuffer* buffer);
static GstFlowReturn gst_mcastexpert_sink_render_list(GstBaseSink* sink, GstBufferList* list);
static void gst_mcastexpert_sink_add(GstMcastExpertSink* self, const gchar* host, gint port);
static void gst_mcastexpert_sink_remove(GstMcastExpertSink* self, const gchar* host, gint port);
static void gst_mcastexpert_sink_clear(GstMcastExpertSink* self);
static GstStructure* gst_mcastexpert_sink_get_stats(GstMcastExpertSink* self, const gchar* host, gint port);

static void gst_mcastexpert_sink_class_init(GstMcastExpertSinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* basesink_class = GST_BASE_SINK_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(mcastexpert_sink_debug, "mcastexpertsink", 0, "mcastexpert multicast sender");

  gobject_class->finalize = gst_mcastexpert_sink_finalize;
  gobject_class->set_property = gst_mcastexpert_sink_set_property;
  gobject_class->get_property = gst_mcastexpert_sink_get_property;

  constexpr auto socket_shaping =
      static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstMcastExpertSink:groups:
   *
   * Where to send, comma-separated: `group` or `group:port`, `[v6]:port` for IPv6 (`239.255.0.1:5004`,
   * `[ff15::1]:5006`). One family per element. Required (or destinations added with the "add" signal).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_GROUPS,
      g_param_spec_string("groups", "Groups",
                          "Comma-separated destination groups, each group or group:port ([v6]:port for IPv6)", nullptr,
                          socket_shaping));
  /**
   * GstMcastExpertSink:port:
   *
   * The destination port for groups listed without one.
   *
   * Since: 0.1
   */
  g_object_class_install_property(gobject_class, PROP_PORT,
                                  g_param_spec_int("port", "Port", "Destination port for groups listed without one", 1,
                                                   65535, kDefaultPort, socket_shaping));
  /**
   * GstMcastExpertSink:iface:
   *
   * The interfaces to send by, comma-separated: names, IPv4 addresses, IPv6 addresses (with or without `%scope`) or
   * indexes. Every datagram goes out once on each. An address that two interfaces share is refused as ambiguous.
   * Empty: the interface the routing table picks for each group (an error when there is no route).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_IFACE,
      g_param_spec_string("iface", "Interfaces",
                          "Comma-separated interfaces to send by, each datagram once on each: name, IPv4, "
                          "IPv6[%scope] or index (empty = the interface the routing table picks for the group)",
                          nullptr, socket_shaping));
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
                       255, kDefaultTtl, socket_shaping));
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
                           socket_shaping));
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
                       kDefaultDscp, socket_shaping));
  /**
   * GstMcastExpertSink:bind-port:
   *
   * The source port. 0 takes an ephemeral one (the same on every interface when it can), which reads back here once
   * the element has started.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_BIND_PORT,
      g_param_spec_int("bind-port", "Bind port",
                       "Source port (0 = ephemeral; the port bound reads back here once started)", 0, 65535,
                       kDefaultBindPort, socket_shaping));
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
                       G_MAXINT, kDefaultBufferSize, socket_shaping));
  /**
   * GstMcastExpertSink:stats:
   *
   * `packets-sent`, `bytes-sent`, `send-errors`, `oversized-dropped`, `buffer-size` (granted), and the arrays
   * `destinations` (per destination and interface: `destination`, `iface`, `packets`, `bytes`, `errors`) and
   * `interfaces` (per interface: `iface`, `index`, `source`, `packets`, `bytes`, `errors`).
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics", "Packets and bytes sent per destination and per interface, send errors",
                         GST_TYPE_STRUCTURE, static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstMcastExpertSink:uri:
   *
   * An `mcast://GROUP[:PORT][?key=value&...]` URI: sets #GstMcastExpertSink:groups,
   * #GstMcastExpertSink:port and the properties named by the query keys.
   *
   * Since: 0.1
   */
  g_object_class_install_property(
      gobject_class, PROP_URI,
      g_param_spec_string("uri", "URI", "mcast://GROUP[:PORT][?iface=..&ttl=..]: sets groups, port and the keys",
                          nullptr, socket_shaping));

  /**
   * GstMcastExpertSink::add:
   * @group: the group, IPv4 or IPv6
   * @port: the destination port
   *
   * Adds a destination, at once when running (by every interface of #GstMcastExpertSink:iface, or by the one the
   * routing table picks), and for every later start.
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
   * Removes a destination, whether #GstMcastExpertSink:groups listed it or #GstMcastExpertSink::add added it.
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
   * interface.
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

  basesink_class->start = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_render);
  basesink_class->render_list = GST_DEBUG_FUNCPTR(gst_mcastexpert_sink_render_list);
}

static void gst_mcastexpert_sink_init(GstMcastExpertSink* self) {
  self->priv = new McastExpertSinkPrivate();
}

static void gst_mcastexpert_sink_finalize(GObject* object) {
  auto* self = GST_MCASTEXPERT_SINK(object);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_mcastexpert_sink_parent_class)->finalize(object);
}

static void gst_mcastexpert_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SINK(object);
  auto* priv = self->priv;
  if (prop_id == PROP_URI) {
    mcastexpert_plugin::set_uri_property(GST_ELEMENT(self), GST_CAT_DEFAULT, value, kUriKeys, priv->settings_lock,
                                         priv->settings.rejected);
    return;
  }
  if (GST_STATE(self) > GST_STATE_READY) {
    GST_WARNING_OBJECT(self, "property '%s' shapes the sockets and cannot change in %s; ignored", pspec->name,
                       gst_element_state_get_name(GST_STATE(self)));
    return;
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  Settings& s = priv->settings;
  switch (prop_id) {
    case PROP_GROUPS:
      mcastexpert_plugin::set_list_property(GST_ELEMENT(self), GST_CAT_DEFAULT, pspec, value,
                                            mcastexpert_plugin::ListKind::GroupsWithPorts, s.groups, s.rejected);
      break;
    case PROP_IFACE:
      mcastexpert_plugin::set_list_property(GST_ELEMENT(self), GST_CAT_DEFAULT, pspec, value,
                                            mcastexpert_plugin::ListKind::Interfaces, s.iface, s.rejected);
      break;
    case PROP_PORT: s.port = g_value_get_int(value); break;
    case PROP_TTL: s.ttl = g_value_get_int(value); break;
    case PROP_LOOP: s.loop = g_value_get_boolean(value); break;
    case PROP_QOS_DSCP: s.dscp = g_value_get_int(value); break;
    case PROP_BIND_PORT: s.bind_port = g_value_get_int(value); break;
    case PROP_BUFFER_SIZE: s.buffer_size = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static GstStructure* make_stats(McastExpertSinkPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->state_lock);
  GstStructure* s = gst_structure_new_empty("application/x-mcastexpert-sink-stats");
  const MulticastSender* sender = priv->sender.get();
  uint64_t packets = 0, bytes = 0, errors = 0;
  GValue destinations = G_VALUE_INIT, interfaces = G_VALUE_INIT;
  gst_value_array_init(&destinations, 0);
  gst_value_array_init(&interfaces, 0);
  if (sender != nullptr) {
    const auto routes = sender->route_stats();
    for (const auto& r : routes) {
      packets += r.packets;
      bytes += r.bytes;
      errors += r.errors;
      GValue v = G_VALUE_INIT;
      g_value_init(&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed(
          &v, gst_structure_new("destination", "destination", G_TYPE_STRING, r.destination.to_string().c_str(), "iface",
                                G_TYPE_STRING, r.ifname.c_str(), "packets", G_TYPE_UINT64, r.packets, "bytes",
                                G_TYPE_UINT64, r.bytes, "errors", G_TYPE_UINT64, r.errors, nullptr));
      gst_value_array_append_and_take_value(&destinations, &v);
    }
    for (const auto& e : sender->egresses()) {
      uint64_t ip = 0, ib = 0, ie = 0;
      for (const auto& r : routes)
        if (r.ifname == e.iface.name) ip += r.packets, ib += r.bytes, ie += r.errors;
      GValue v = G_VALUE_INIT;
      g_value_init(&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed(
          &v, gst_structure_new("interface", "iface", G_TYPE_STRING, e.iface.name.c_str(), "index", G_TYPE_UINT,
                                e.iface.index, "source", G_TYPE_STRING, e.source.to_string().c_str(), "source-port",
                                G_TYPE_UINT, static_cast<guint>(e.source_port), "packets", G_TYPE_UINT64, ip, "bytes",
                                G_TYPE_UINT64, ib, "errors", G_TYPE_UINT64, ie, nullptr));
      gst_value_array_append_and_take_value(&interfaces, &v);
    }
  }
  gst_structure_set(s, "packets-sent", G_TYPE_UINT64, packets, "bytes-sent", G_TYPE_UINT64, bytes, "send-errors",
                    G_TYPE_UINT64, errors, "oversized-dropped", G_TYPE_UINT64, priv->oversized, "buffer-size",
                    G_TYPE_INT, sender != nullptr ? sender->granted_buffer_size() : 0, nullptr);
  gst_structure_take_value(s, "destinations", &destinations);
  gst_structure_take_value(s, "interfaces", &interfaces);
  return s;
}

static void gst_mcastexpert_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_MCASTEXPERT_SINK(object);
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
    case PROP_TTL: g_value_set_int(value, s.ttl); break;
    case PROP_LOOP: g_value_set_boolean(value, s.loop); break;
    case PROP_QOS_DSCP: g_value_set_int(value, s.dscp); break;
    case PROP_BIND_PORT: g_value_set_int(value, s.bind_port); break;
    case PROP_BUFFER_SIZE: g_value_set_int(value, s.buffer_size); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static gboolean gst_mcastexpert_sink_start(GstBaseSink* basesink) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  auto* priv = self->priv;
  SenderSettings ss;
  std::vector<Destination> added;
  {
    std::lock_guard<std::mutex> lock(priv->settings_lock);
    const Settings& s = priv->settings;
    if (mcastexpert_plugin::report_refused_value(GST_ELEMENT(self), s.rejected)) return FALSE;
    try {
      ss.groups = about_setting("groups", [&] { return parse_group_list(s.groups, {true, true}); });
    } catch (const Error& e) {
      mcastexpert_plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_OPEN_WRITE);
      return FALSE;
    }
    // Destinations added by signal before start join the listed ones.
    for (const auto& d : s.added) {
      GroupEntry entry;
      entry.address = d.group;
      entry.port = d.port;
      if (std::find(ss.groups.begin(), ss.groups.end(), entry) == ss.groups.end()) ss.groups.push_back(entry);
    }
    ss.port = static_cast<uint16_t>(s.port);
    ss.iface = s.iface;
    ss.ttl = s.ttl;
    ss.loop = s.loop;
    ss.dscp = s.dscp;
    ss.bind_port = static_cast<uint16_t>(s.bind_port);
    ss.buffer_size = s.buffer_size;
  }
  ss.log = mcastexpert_plugin::debug_log(GST_ELEMENT(self), GST_CAT_DEFAULT);

  std::unique_ptr<MulticastSender> sender;
  try {
    sender = std::make_unique<MulticastSender>(ss, InterfaceTable::from_system());
  } catch (const Error& e) {
    mcastexpert_plugin::post_error(GST_ELEMENT(self), e, GST_RESOURCE_ERROR_OPEN_WRITE);
    return FALSE;
  }

  for (const auto& e : sender->egresses()) {
    std::string dests;
    for (const auto& r : sender->route_stats())
      if (r.ifname == e.iface.name) dests += (dests.empty() ? "" : ", ") + r.destination.to_string();
    if (e.from_route) {
      // gst-launch prints an INFO message's debug part only, so the text goes in both.
      gchar* text = g_strdup_printf(
          "Sending to %s by %s (index %u, source %s), the interface the routing table picks; set iface to choose "
          "another",
          dests.c_str(), e.iface.name.c_str(), e.iface.index, e.source.to_string().c_str());
      GST_ELEMENT_INFO(self, RESOURCE, SETTINGS, ("%s", text), ("%s", text));
      g_free(text);
    } else {
      GST_INFO_OBJECT(self, "sending to %s by %s (index %u) from %s port %u", dests.c_str(), e.iface.name.c_str(),
                      e.iface.index, e.source.to_string().c_str(), e.source_port);
    }
  }
  if (ss.buffer_size > 0 && sender->granted_buffer_size() < ss.buffer_size)
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Asked for a %d-byte send buffer, got %d: the kernel caps it at net.core.wmem_max",
                         ss.buffer_size, sender->granted_buffer_size()),
                        ("raise it (sysctl -w net.core.wmem_max=%d), or run with CAP_NET_ADMIN so SO_SNDBUFFORCE works",
                         ss.buffer_size));

  const uint16_t bound = sender->egresses().empty() ? 0 : sender->egresses().front().source_port;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    priv->sender = std::move(sender);
    priv->oversized = 0;
  }
  priv->warned_oversize = false;
  priv->failing_since = 0;
  if (ss.bind_port == 0 && bound != 0) {
    {
      std::lock_guard<std::mutex> lock(priv->settings_lock);
      priv->settings.bind_port = bound;
    }
    g_object_notify(G_OBJECT(self), "bind-port");
  }
  return TRUE;
}

static gboolean gst_mcastexpert_sink_stop(GstBaseSink* basesink) {
  auto* priv = GST_MCASTEXPERT_SINK(basesink)->priv;
  std::lock_guard<std::mutex> lock(priv->state_lock);
  priv->sender.reset();
  return TRUE;
}

// Adds one buffer as one datagram (its memories as scatter/gather pieces) to the batch being built; false when the
// buffer is too large for UDP and was left out.
static bool add_datagram(GstMcastExpertSink* self, GstBuffer* buffer, size_t max_datagram) {
  auto* priv = self->priv;
  const size_t size = gst_buffer_get_size(buffer);
  if (size > max_datagram) {
    ++priv->oversized;
    if (!priv->warned_oversize)
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("Dropping a %zu-byte buffer: a UDP datagram holds at most %zu bytes", size, max_datagram),
                          ("payload smaller (e.g. the payloader's mtu property); later ones are counted in stats "
                           "(oversized-dropped), not reported again"));
    priv->warned_oversize = true;
    return false;
  }
  Datagram d;
  d.length = size;
  priv->first_iovec.push_back(priv->iovecs.size());
  const guint n = gst_buffer_n_memory(buffer);
  for (guint i = 0; i < n; ++i) {
    GstMemory* mem = gst_buffer_peek_memory(buffer, i);
    GstMapInfo map;
    if (!gst_memory_map(mem, &map, GST_MAP_READ)) continue;
    priv->maps.push_back(map);
    priv->mapped.push_back(mem);
    priv->iovecs.push_back({map.data, map.size});
    ++d.iovcnt;
  }
  priv->datagrams.push_back(d);
  return true;
}

static GstFlowReturn send_batch(GstMcastExpertSink* self) {
  auto* priv = self->priv;
  for (size_t i = 0; i < priv->datagrams.size(); ++i)
    priv->datagrams[i].iov = priv->iovecs.data() + priv->first_iovec[i];
  priv->failures.clear();
  size_t sent = 0;
  bool failed = false;  // something was to be sent, and every send of it failed
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (priv->sender && !priv->datagrams.empty()) {
      const uint64_t errors_before = priv->sender->total_errors();
      sent = priv->sender->send(priv->datagrams.data(), priv->datagrams.size(), priv->failures);
      // No destination at all (all removed) is not a failure: there is nowhere to send, as with multiudpsink.
      failed = sent == 0 && priv->sender->total_errors() > errors_before;
    }
  }
  for (size_t i = 0; i < priv->maps.size(); ++i) gst_memory_unmap(priv->mapped[i], &priv->maps[i]);
  priv->maps.clear();
  priv->mapped.clear();
  priv->iovecs.clear();
  priv->datagrams.clear();
  priv->first_iovec.clear();

  for (const auto& f : priv->failures)
    GST_ELEMENT_WARNING(
        self, RESOURCE, WRITE,
        ("Sending to %s by %s failed: %s", f.destination.to_string().c_str(), f.ifname.c_str(), g_strerror(f.error)),
        ("the other destinations go on; this one is counted in stats and reported again only if "
         "the error changes"));
  if (!failed) {
    priv->failing_since = 0;
    return GST_FLOW_OK;
  }
  const gint64 now = g_get_monotonic_time();
  if (priv->failing_since == 0) priv->failing_since = now;
  if (now - priv->failing_since >= kPersistentFailureUs) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Every destination has failed for a second; nothing can be sent"),
                      ("see the warnings before this one for each destination's error"));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static size_t current_max_datagram(McastExpertSinkPrivate* priv) {
  std::lock_guard<std::mutex> lock(priv->state_lock);
  return priv->sender ? priv->sender->max_datagram() : 65507;
}

static GstFlowReturn gst_mcastexpert_sink_render(GstBaseSink* basesink, GstBuffer* buffer) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  add_datagram(self, buffer, current_max_datagram(self->priv));
  return send_batch(self);
}

static GstFlowReturn gst_mcastexpert_sink_render_list(GstBaseSink* basesink, GstBufferList* list) {
  auto* self = GST_MCASTEXPERT_SINK(basesink);
  const size_t max = current_max_datagram(self->priv);
  const guint n = gst_buffer_list_length(list);
  for (guint i = 0; i < n; ++i) add_datagram(self, gst_buffer_list_get(list, i), max);
  return send_batch(self);
}

// --- signals ---

static bool parse_destination(GstMcastExpertSink* self, const gchar* host, gint port, Destination& out) {
  const auto addr = IpAddress::parse(host != nullptr ? host : "");
  if (!addr || port < 1 || port > 65535) {
    GST_WARNING_OBJECT(self, "ignoring destination '%s' port %d: need a group address and a port 1-65535", host, port);
    return false;
  }
  out = {*addr, static_cast<uint16_t>(port)};
  return true;
}

static void gst_mcastexpert_sink_add(GstMcastExpertSink* self, const gchar* host, gint port) {
  auto* priv = self->priv;
  Destination d;
  if (!parse_destination(self, host, port, d)) return;
  try {
    // Read before taking the lock the streaming thread sends under: it asks the kernel for every interface.
    const auto table = InterfaceTable::from_system();
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (priv->sender) priv->sender->add_destination(d.group, d.port, &table);
  } catch (const Error& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Cannot add %s: %s", d.to_string().c_str(), mcastexpert_plugin::describe(e).c_str()),
                        (nullptr));
    return;
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  auto& added = priv->settings.added;
  const bool known = std::any_of(added.begin(), added.end(), [&](const Destination& a) {
    return a.group.same_address(d.group) && a.port == d.port;
  });
  if (!known) added.push_back(d);
  GST_INFO_OBJECT(self, "added destination %s", d.to_string().c_str());
}

static void gst_mcastexpert_sink_remove(GstMcastExpertSink* self, const gchar* host, gint port) {
  auto* priv = self->priv;
  Destination d;
  if (!parse_destination(self, host, port, d)) return;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (priv->sender) priv->sender->remove_destination(d.group, d.port);
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  auto& added = priv->settings.added;
  added.erase(std::remove_if(added.begin(), added.end(),
                             [&](const Destination& a) { return a.group.same_address(d.group) && a.port == d.port; }),
              added.end());
  GST_INFO_OBJECT(self, "removed destination %s", d.to_string().c_str());
}

static void gst_mcastexpert_sink_clear(GstMcastExpertSink* self) {
  auto* priv = self->priv;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (priv->sender) priv->sender->clear_destinations();
  }
  std::lock_guard<std::mutex> lock(priv->settings_lock);
  priv->settings.added.clear();
  GST_INFO_OBJECT(self, "cleared all destinations");
}

static GstStructure* gst_mcastexpert_sink_get_stats(GstMcastExpertSink* self, const gchar* host, gint port) {
  auto* priv = self->priv;
  Destination d;
  if (!parse_destination(self, host, port, d)) return nullptr;
  uint64_t packets = 0, bytes = 0, errors = 0;
  {
    std::lock_guard<std::mutex> lock(priv->state_lock);
    if (priv->sender)
      for (const auto& r : priv->sender->route_stats())
        if (r.destination.group.same_address(d.group) && r.destination.port == d.port)
          packets += r.packets, bytes += r.bytes, errors += r.errors;
  }
  return gst_structure_new("application/x-mcastexpert-destination-stats", "destination", G_TYPE_STRING,
                           d.to_string().c_str(), "packets-sent", G_TYPE_UINT64, packets, "bytes-sent", G_TYPE_UINT64,
                           bytes, "send-errors", G_TYPE_UINT64, errors, nullptr);
}

// --- GstURIHandler (mcast://, shared with the source) ---

static void gst_mcastexpert_sink_uri_handler_init(gpointer g_iface, gpointer) {
  mcastexpert_plugin::init_uri_handler(g_iface, kUriKeys);
}
