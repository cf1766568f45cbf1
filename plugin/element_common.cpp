#include "element_common.h"

#include <gst/base/gstbasesrc.h>

#include <algorithm>
#include <set>
#include <vector>

#include "address_list.hpp"
#include "destination.hpp"
#include "mcast_uri.hpp"
#include "sap_listener.hpp"

namespace mcastexpert::plugin {

using mcastexpert::Error;
using mcastexpert::ErrorKind;

// --- properties ---

namespace {

GQuark list_kind_quark() {
  return g_quark_from_static_string("mcastexpert-list-kind");
}

// The list kind of a string property installed with install_list_property, or nullptr.
const ListKind* list_kind_of(GParamSpec* pspec) {
  return static_cast<const ListKind*>(g_param_spec_get_qdata(pspec, list_kind_quark()));
}

// A value as the user would type it: strings as they are, everything else serialised.
std::string value_text(const GValue* v) {
  if (G_VALUE_HOLDS_STRING(v)) {
    const gchar* s = g_value_get_string(v);
    return s != nullptr ? s : "";
  }
  gchar* text = gst_value_serialize(v);
  std::string out = text != nullptr ? text : "";
  g_free(text);
  return out;
}

}  // namespace

std::string string_of(const GValue* value) {
  const gchar* text = g_value_get_string(value);
  return text != nullptr ? text : "";
}

void install_list_property(GObjectClass* klass, guint id, const char* name, const char* nick, const char* blurb,
                           ListKind kind, GParamFlags flags) {
  // One static value per kind, for the param spec's qdata to point at: every kind, in enum order.
  static const ListKind kinds[] = {ListKind::Groups, ListKind::Destinations, ListKind::Sources, ListKind::Interfaces,
                                   ListKind::SapGroups};
  static_assert(sizeof kinds / sizeof kinds[0] == static_cast<size_t>(ListKind::SapGroups) + 1,
                "a ListKind without its entry here");
  GParamSpec* pspec = g_param_spec_string(name, nick, blurb, nullptr, flags);
  g_param_spec_set_qdata(pspec, list_kind_quark(), const_cast<ListKind*>(&kinds[static_cast<int>(kind)]));
  g_object_class_install_property(klass, id, pspec);
}

void check_list(ListKind kind, const std::string& text) {
  switch (kind) {
    case ListKind::Groups: mcastexpert::parse_group_list(text, mcastexpert::kReceiverGroupRules); break;
    case ListKind::Destinations: mcastexpert::parse_group_list(text, mcastexpert::kDestinationRules); break;
    case ListKind::Sources: mcastexpert::parse_source_list(text); break;
    case ListKind::Interfaces: mcastexpert::split_interface_list(text); break;
    case ListKind::SapGroups: mcastexpert::parse_group_list(text, mcastexpert::kSapGroupRules); break;
  }
}

bool may_change_now(GstElement* element, GParamSpec* pspec, const GValue* value) {
  if ((pspec->flags & GST_PARAM_MUTABLE_READY) == 0) return true;
  GST_OBJECT_LOCK(element);
  const GstState state = GST_STATE(element);
  GST_OBJECT_UNLOCK(element);
  if (state <= GST_STATE_READY) return true;
  const std::string text = value_text(value);
  GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS,
                      ("Property '%s' cannot change to \"%s\" while %s; the element keeps its current value",
                       pspec->name, text.c_str(), gst_element_state_get_name(state)),
                      ("it shapes the sockets or buffers: set it in NULL or READY, and it applies at the next start"));
  return false;
}

void store_setting(GstElement* element, GstDebugCategory* category, GParamSpec* pspec, const GValue* value,
                   RefusedValues& refused, const std::function<void(GValue*)>& read,
                   const std::function<void(const GValue*)>& write) {
  if (const ListKind* kind = list_kind_of(pspec)) {
    const std::string text = value_text(value);
    try {
      check_list(*kind, text);
    } catch (const Error& e) {
      GST_CAT_WARNING_OBJECT(category, element, "refusing %s '%s': %s", pspec->name, text.c_str(), describe(e).c_str());
      refused[pspec->name] = "'" + text + "': " + describe(e);
      return;
    }
  }
  refused.erase(pspec->name);
  GValue old = G_VALUE_INIT;
  g_value_init(&old, pspec->value_type);
  read(&old);
  write(value);
  GST_CAT_INFO_OBJECT(category, element, "%s: '%s' -> '%s'", pspec->name, value_text(&old).c_str(),
                      value_text(value).c_str());
  g_value_unset(&old);
}

bool set_element_property(GstElement* element, GstDebugCategory* category, GParamSpec* pspec, const GValue* value,
                          guint uri_prop_id, const SettingsAccess& access) {
  if (!may_change_now(element, pspec, value)) return false;
  if (pspec->param_id == uri_prop_id) {
    set_uri_property(element, category, value, access.lock, access.refused);
    return false;
  }
  std::lock_guard<std::mutex> lock(access.lock);
  const guint id = pspec->param_id;
  store_setting(
      element, category, pspec, value, access.refused, [&](GValue* v) { access.read(id, v); },
      [&](const GValue* v) { access.write(id, v); });
  return true;
}

// --- errors ---

std::string describe(const Error& e) {
  return e.hint().empty() ? std::string(e.what()) : std::string(e.what()) + ". Fix: " + e.hint();
}

ValueText snapshot_value_text(GObjectClass* klass, std::function<void(guint, GValue*)> read) {
  return [klass, read = std::move(read)](const std::string& property) -> std::string {
    GParamSpec* pspec = g_object_class_find_property(klass, property.c_str());
    if (pspec == nullptr) return "";
    GValue v = G_VALUE_INIT;
    g_value_init(&v, pspec->value_type);
    read(pspec->param_id, &v);
    std::string text = value_text(&v);
    g_value_unset(&v);
    return text;
  };
}

void post_error(GstElement* element, const Error& e, GstResourceError open_error, const ValueText& value_of) {
  const std::string text = e.setting().empty()
                               ? describe(e)
                               : "Property '" + e.setting() + "' (\"" + value_of(e.setting()) + "\"): " + describe(e);
  const std::string debug = std::string("errno ") + std::to_string(e.sys_errno()) +
                            (e.setting().empty() ? std::string() : ", property " + e.setting());
  const bool setting = e.kind() != ErrorKind::Resource || !e.setting().empty();
  gst_element_message_full(element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
                           setting ? GST_RESOURCE_ERROR_SETTINGS : open_error, g_strdup(text.c_str()),
                           g_strdup(debug.c_str()), __FILE__, GST_FUNCTION, __LINE__);
}

void post_interface_events(GstElement* element, const std::vector<mcastexpert::InterfaceEvent>& events,
                           GstResourceError code) {
  using Kind = mcastexpert::InterfaceEvent::Kind;
  for (const auto& e : events) {
    const bool bad = e.kind == Kind::Down || e.kind == Kind::Gone || e.detail.rfind("cannot", 0) == 0;
    const std::string text = "Interface " + e.ifname + " is " + describe(e.kind) + ": " + e.detail;
    // gst-launch prints an info message's debug part only, so the text goes in both.
    gst_element_message_full(
        element, bad ? GST_MESSAGE_WARNING : GST_MESSAGE_INFO, GST_RESOURCE_ERROR, code, g_strdup(text.c_str()),
        g_strdup(bad ? "the element keeps running and follows the interface by its name" : text.c_str()), __FILE__,
        GST_FUNCTION, __LINE__);
    gst_element_post_message(
        element, gst_message_new_element(
                     GST_OBJECT(element),
                     gst_structure_new("McastExpertInterface", "iface", G_TYPE_STRING, e.ifname.c_str(), "ifindex",
                                       G_TYPE_UINT, e.ifindex, "change", G_TYPE_STRING, describe(e.kind), "detail",
                                       G_TYPE_STRING, e.detail.c_str(), nullptr)));
  }
}

bool report_refused_value(GstElement* element, const RefusedValues& refused) {
  if (refused.empty()) return false;
  const auto& [property, why] = *refused.begin();
  GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS, ("Property '%s' was set to %s", property.c_str(), why.c_str()),
                    ("the setter refused that value and kept the previous one; the element will not run without "
                     "the value you meant"));
  return true;
}

mcastexpert::DebugLog debug_log(GstElement* element, GstDebugCategory* category) {
  return [element, category](const std::string& line) { GST_CAT_DEBUG_OBJECT(category, element, "%s", line.c_str()); };
}

// --- mcast:// URIs ---

constexpr char kSapSession[] = "sap-session";  // the source's: a sap:// URI's session, not a query key
constexpr char kSapGroup[] = "sap-group";      // ... and its authority

namespace {

// The keys the last URI applied to this element set, comma-separated (qdata, freed with the element).
GQuark uri_applied_quark() {
  return g_quark_from_static_string("mcastexpert-uri-applied");
}

bool is_known_key(const std::vector<GParamSpec*>& keys, const std::string& key) {
  return std::any_of(keys.begin(), keys.end(), [&](GParamSpec* p) { return key == p->name; });
}

// The key of ours an FFmpeg udp:// URI key means, for the hint; nullptr when there is none.
const char* ffmpeg_key_meaning(const std::string& key) {
  static const std::pair<const char*, const char*> keys[] = {{"localaddr", "iface"},     {"buffer_size", "buffer-size"},
                                                             {"pkt_size", "mtu"},        {"reuse_socket", "reuse"},
                                                             {"block", "block-sources"}, {"timeout", "timeout"},
                                                             {"dscp", "qos-dscp"},       {"localport", "bind-port"},
                                                             {"tos", "qos-dscp"},        {"ttl", "ttl"}};
  for (const auto& [theirs, ours] : keys)
    if (key == theirs) return ours;
  return nullptr;
}

// "0 to 255" for the numeric property specs, "" for others.
std::string range_of(GParamSpec* pspec) {
  auto range = [](auto lo, auto hi) { return std::to_string(lo) + " to " + std::to_string(hi); };
  if (G_IS_PARAM_SPEC_INT(pspec)) return range(G_PARAM_SPEC_INT(pspec)->minimum, G_PARAM_SPEC_INT(pspec)->maximum);
  if (G_IS_PARAM_SPEC_UINT(pspec)) return range(G_PARAM_SPEC_UINT(pspec)->minimum, G_PARAM_SPEC_UINT(pspec)->maximum);
  if (G_IS_PARAM_SPEC_UINT64(pspec))
    return range(G_PARAM_SPEC_UINT64(pspec)->minimum, G_PARAM_SPEC_UINT64(pspec)->maximum);
  return "";
}

// One value a URI sets, parsed and checked as the property's setter would check it.
struct UriValue {
  GParamSpec* pspec;
  GValue value = G_VALUE_INIT;
};

// Fills `out` from `text` for `pspec`; throws Error saying what is wrong with the key's value.
void parse_uri_value(GParamSpec* pspec, const std::string& key, const std::string& text, GValue* out) {
  auto refuse = [&](const std::string& why, const std::string& hint) {
    throw Error(ErrorKind::InvalidSetting, "key '" + key + "' has value '" + text + "', " + why, hint);
  };
  g_value_init(out, pspec->value_type);
  if (G_VALUE_HOLDS_STRING(out)) {
    if (const ListKind* kind = list_kind_of(pspec)) {
      try {
        check_list(*kind, text);
      } catch (const Error& e) {
        refuse(e.what(), e.hint());
      }
    }
    g_value_set_string(out, text.c_str());
    return;
  }
  const std::string range = range_of(pspec);
  const bool is_unsigned = G_IS_PARAM_SPEC_UINT(pspec) || G_IS_PARAM_SPEC_UINT64(pspec);
  // gst_value_deserialize takes "-1" for an unsigned type and wraps it round to the maximum, and "" for 0.
  if (text.empty() || (is_unsigned && text.find('-') != std::string::npos) || !gst_value_deserialize(out, text.c_str()))
    refuse(std::string("which is not a ") + g_type_name(pspec->value_type),
           range.empty() ? "write a " + std::string(g_type_name(pspec->value_type)) + " value"
                         : "write a whole number from " + range);
  if (g_param_value_validate(pspec, out)) refuse("out of range", "use " + range);
}

std::vector<std::string> split_keys(const gchar* joined) {
  std::vector<std::string> keys;
  if (joined == nullptr) return keys;
  gchar** parts = g_strsplit(joined, ",", -1);
  for (gchar** p = parts; *p != nullptr; ++p)
    if (**p != '\0') keys.emplace_back(*p);
  g_strfreev(parts);
  return keys;
}

GstURIType uri_get_type(GType type) {
  return g_type_is_a(type, GST_TYPE_BASE_SRC) ? GST_URI_SRC : GST_URI_SINK;
}

const gchar* const* uri_get_protocols(GType type) {
  // The source also opens streams announced by SAP: sap://, as FFmpeg names them, for playbin and urisourcebin.
  static const gchar* source[] = {"mcast", "sap", nullptr};
  static const gchar* sink[] = {"mcast", nullptr};
  return g_type_is_a(type, GST_TYPE_BASE_SRC) ? source : sink;
}

gchar* uri_get_uri(GstURIHandler* handler) {
  const std::string uri = build_uri(GST_ELEMENT(handler));
  return uri.empty() ? nullptr : g_strdup(uri.c_str());
}

gboolean uri_set_uri(GstURIHandler* handler, const gchar* uri, GError** error) {
  return apply_uri(GST_ELEMENT(handler), uri, error);
}

}  // namespace

// Every key of the element's that is not at its default, in the order the class installed them; port only when
// `port_in_query` says so.
static void append_query_keys(GstElement* element, mcastexpert::McastUri& uri, bool port_in_query, gint port) {
  for (GParamSpec* pspec : uri_key_properties(G_OBJECT_GET_CLASS(element))) {
    const char* k = pspec->name;
    if (std::string(k) == "port") {
      if (port_in_query) uri.query.emplace_back("port", std::to_string(port));
      continue;
    }
    GValue v = G_VALUE_INIT;
    g_value_init(&v, pspec->value_type);
    g_object_get_property(G_OBJECT(element), k, &v);
    if (!g_param_value_defaults(pspec, &v)) {
      const std::string text = value_text(&v);
      if (!text.empty()) uri.query.emplace_back(k, text);  // "" is the unset string
    }
    g_value_unset(&v);
  }
}

std::vector<GParamSpec*> uri_key_properties(GObjectClass* klass) {
  // The source's sap-session and sap-group are a sap:// URI's session and authority (the sink's sap-group, what it
  // announces on, is a key like any other).
  const bool sap_uris = g_object_class_find_property(klass, kSapSession) != nullptr;
  guint n = 0;
  GParamSpec** all = g_object_class_list_properties(klass, &n);
  std::vector<GParamSpec*> keys;
  for (guint i = 0; i < n; ++i) {
    GParamSpec* p = all[i];
    const std::string name = p->name;
    // The element's own settings only: a base class's (num-buffers, sync, ...) are not the stream's.
    if (p->owner_type != G_OBJECT_CLASS_TYPE(klass) || (p->flags & G_PARAM_WRITABLE) == 0 ||
        (p->flags & G_PARAM_CONSTRUCT_ONLY) != 0 || name == "groups" || name == "uri" || name == kSapSession ||
        (name == kSapGroup && sap_uris))
      continue;
    keys.push_back(p);
  }
  g_free(all);
  std::sort(keys.begin(), keys.end(), [](GParamSpec* a, GParamSpec* b) { return a->param_id < b->param_id; });
  return keys;
}

void init_uri_handler(gpointer g_iface) {
  auto* iface = static_cast<GstURIHandlerInterface*>(g_iface);
  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}

gboolean apply_uri(GstElement* element, const gchar* uri, GError** error) {
  const std::string text = uri != nullptr ? uri : "";
  GObjectClass* klass = G_OBJECT_GET_CLASS(element);
  const std::vector<GParamSpec*> keys = uri_key_properties(klass);
  std::vector<UriValue> values;
  std::set<std::string> set_here;
  auto release = [&] {
    for (auto& v : values)
      if (G_IS_VALUE(&v.value)) g_value_unset(&v.value);
  };
  try {
    GST_OBJECT_LOCK(element);
    const GstState state = GST_STATE(element);
    GST_OBJECT_UNLOCK(element);
    // Most of what a URI sets shapes the sockets: all of it changes together, while the element is stopped.
    if (state > GST_STATE_READY)
      throw Error(ErrorKind::InvalidSetting,
                  std::string("cannot be applied while ") + gst_element_state_get_name(state),
                  "set the URI in NULL or READY");
    const auto parsed = mcastexpert::McastUri::parse(text);
    const bool sap = parsed.scheme == "sap";
    const bool takes_sap = g_object_class_find_property(klass, kSapSession) != nullptr;
    if (sap && !takes_sap)
      throw Error(ErrorKind::InvalidSetting, "is a sap:// URI, which only mcastexpertsrc opens",
                  "announce the stream with sap=true, and give the sink an mcast:// URI");
    auto add = [&](const std::string& key, const std::string& value) {
      GParamSpec* pspec = g_object_class_find_property(klass, key.c_str());
      if (pspec == nullptr) throw Error(ErrorKind::InvalidSetting, "key '" + key + "' names no property");
      if (!set_here.insert(key).second)
        throw Error(ErrorKind::InvalidSetting, "sets '" + key + "' twice", "give each key once");
      values.push_back({pspec});
      parse_uri_value(pspec, key, value, &values.back().value);
    };
    if (sap) {
      // sap://[GROUP[:PORT]][?session=NAME]: the SAP groups to listen on, and the session (without one, the first
      // heard, as FFmpeg's sap:// takes it). No groups: the announcement says them.
      std::string group = parsed.groups;
      if (parsed.port)
        group = (group.find(':') != std::string::npos ? "[" + group + "]" : group) + ":" + std::to_string(*parsed.port);
      add(kSapGroup, group);
      std::string session = "*";
      for (const auto& [key, value] : parsed.query)
        if (key == "session") session = value;
      add(kSapSession, session);
      add("groups", "");
    } else {
      add("groups", parsed.groups);
      if (parsed.port) add("port", std::to_string(*parsed.port));
      // An mcast:// URI says the groups: a SAP session set before is not wanted any more.
      if (takes_sap) {
        add(kSapSession, "");
        add(kSapGroup, "");
      }
    }
    for (const auto& [key, value] : parsed.query) {
      if (sap && key == "session") continue;
      if (!is_known_key(keys, key)) {
        std::string known = sap ? "session" : "";
        for (GParamSpec* k : keys) known.append(known.empty() ? "" : ", ").append(k->name);
        const char* meant = ffmpeg_key_meaning(key);
        std::string hint = "use one of " + known;
        if (meant != nullptr && is_known_key(keys, meant)) {
          hint = "FFmpeg's udp:// '";
          hint.append(key).append("' is '").append(meant).append("' here (known keys: ").append(known).append(")");
        }
        throw Error(ErrorKind::InvalidSetting, "has an unknown key '" + key + "'", hint);
      }
      add(key, value);
    }
    // What the previous URI set and this one does not say goes back to its default: a URI describes the element.
    const auto* applied = static_cast<const gchar*>(g_object_get_qdata(G_OBJECT(element), uri_applied_quark()));
    for (const auto& key : split_keys(applied)) {
      if (set_here.count(key) != 0) continue;
      GParamSpec* pspec = g_object_class_find_property(klass, key.c_str());
      if (pspec == nullptr) continue;
      values.push_back({pspec});
      g_value_init(&values.back().value, pspec->value_type);
      g_param_value_set_default(pspec, &values.back().value);
    }
  } catch (const Error& e) {
    release();
    const std::string why = e.what();
    const std::string prefix = why.rfind("URI '", 0) == 0 ? "" : "URI '" + text + "' ";
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "%s%s", prefix.c_str(), describe(e).c_str());
    return FALSE;
  }
  for (auto& v : values) g_object_set_property(G_OBJECT(element), v.pspec->name, &v.value);
  release();
  std::string joined;
  for (const auto& key : set_here) joined += (joined.empty() ? "" : ",") + key;
  g_object_set_qdata_full(G_OBJECT(element), uri_applied_quark(), g_strdup(joined.c_str()), g_free);
  return TRUE;
}

void set_uri_property(GstElement* element, GstDebugCategory* category, const GValue* value, std::mutex& lock,
                      RefusedValues& refused) {
  GError* error = nullptr;
  if (apply_uri(element, g_value_get_string(value), &error)) {
    std::lock_guard<std::mutex> guard(lock);
    refused.erase("uri");
    return;
  }
  GST_CAT_WARNING_OBJECT(category, element, "refusing uri: %s", error->message);
  std::lock_guard<std::mutex> guard(lock);
  // "'mcast://…': what is wrong", as the list properties' refusals read (the message itself starts "URI '…' ").
  const gchar* raw = g_value_get_string(value);
  const std::string uri = raw != nullptr ? raw : "";
  std::string why = error->message;
  const std::string prefix = "URI '" + uri + "' ";
  if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
  refused["uri"] = "'" + uri + "': " + why;
  g_error_free(error);
}

// The sap:// URI of a source set to receive a SAP session: its SAP groups, the session and the other keys.
static std::string build_sap_uri(GstElement* element, const std::string& session) {
  gchar* group_text = nullptr;
  g_object_get(element, kSapGroup, &group_text, nullptr);
  mcastexpert::McastUri uri;
  uri.scheme = "sap";
  uri.groups = group_text != nullptr ? group_text : "";
  g_free(group_text);
  try {
    // One group with a port of its own: the URI's host and port.
    const auto entries = mcastexpert::parse_group_list(uri.groups, mcastexpert::kSapGroupRules);
    if (entries.size() == 1 && entries.front().port) {
      uri.groups =
          entries.front().address.to_string() + (entries.front().scope.empty() ? "" : "%" + entries.front().scope);
      uri.port = entries.front().port;
    }
  } catch (const Error&) {
    // the setter keeps only lists that parse
  }
  if (session != "*") uri.query.emplace_back("session", session);
  append_query_keys(element, uri, false, 0);
  return uri.to_string();
}

std::string build_uri(GstElement* element) {
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), kSapSession) != nullptr) {
    gchar* session = nullptr;
    g_object_get(element, kSapSession, &session, nullptr);
    const std::string name = session != nullptr ? session : "";
    g_free(session);
    if (!name.empty()) return build_sap_uri(element, name);
  }
  gchar* groups_text = nullptr;
  gint port = 0;
  g_object_get(element, "groups", &groups_text, "port", &port, nullptr);
  const std::string groups = groups_text != nullptr ? groups_text : "";
  g_free(groups_text);
  // No group, no mcast:// URI (one without its authority sets nothing an element can run with): none, so that
  // launch lines built from the properties (gst-device-monitor-1.0's) leave it out.
  if (groups.empty()) return "";
  GParamSpec* port_spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), "port");
  const gint default_port = G_PARAM_SPEC_INT(port_spec)->default_value;

  mcastexpert::McastUri uri;
  // The canonical form of the list; one group without a port of its own carries the element's port.
  std::vector<mcastexpert::GroupEntry> entries;
  try {
    entries = mcastexpert::parse_group_list(groups, {true, false, true});
  } catch (const Error&) {
    // the setter keeps only lists that parse; nothing better to show than the text
  }
  bool port_in_query = false;
  const bool single = entries.size() == 1 && entries.front().interfaces.empty();
  if (single) {
    // One group: the URI's own host and port.
    const auto& e = entries.front();
    uri.groups = e.address.to_string() + (e.scope.empty() ? "" : "%" + e.scope);
    if (e.port)
      uri.port = *e.port;
    else if (port > 0)
      uri.port = static_cast<uint16_t>(port);
  } else {
    for (const auto& e : entries) uri.groups += (uri.groups.empty() ? "" : ",") + e.to_string();
    if (entries.empty()) uri.groups = groups;
    // A list cannot carry the port in its authority; entries with a port of their own do not need it.
    port_in_query = port != default_port && std::any_of(entries.begin(), entries.end(),
                                                        [](const mcastexpert::GroupEntry& e) { return !e.port; });
  }
  append_query_keys(element, uri, port_in_query, port);
  return uri.to_string();
}

}  // namespace mcastexpert::plugin
