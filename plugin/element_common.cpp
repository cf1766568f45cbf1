#include "element_common.h"

#include <gst/base/gstbasesrc.h>

#include "address_list.hpp"
#include "mcast_uri.hpp"

namespace mcastexpert_plugin {

std::string describe(const mcastexpert::Error& e) {
  return e.hint().empty() ? std::string(e.what()) : std::string(e.what()) + ". Fix: " + e.hint();
}

void post_error(GstElement* element, const mcastexpert::Error& e, GstResourceError open_error) {
  std::string value;
  if (!e.setting().empty() && g_object_class_find_property(G_OBJECT_GET_CLASS(element), e.setting().c_str())) {
    GValue v = G_VALUE_INIT;
    GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), e.setting().c_str());
    g_value_init(&v, pspec->value_type);
    g_object_get_property(G_OBJECT(element), e.setting().c_str(), &v);
    gchar* text = G_VALUE_HOLDS_STRING(&v) ? g_value_dup_string(&v) : gst_value_serialize(&v);
    value = text != nullptr ? text : "";
    g_free(text);
    g_value_unset(&v);
  }
  const std::string text =
      e.setting().empty() ? describe(e) : "Property '" + e.setting() + "' (\"" + value + "\"): " + describe(e);
  const std::string debug = std::string("errno ") + std::to_string(e.sys_errno()) +
                            (e.setting().empty() ? std::string() : ", property " + e.setting());
  const bool setting = e.kind() != mcastexpert::ErrorKind::Resource || !e.setting().empty();
  gst_element_message_full(element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
                           setting ? GST_RESOURCE_ERROR_SETTINGS : open_error, g_strdup(text.c_str()),
                           g_strdup(debug.c_str()), __FILE__, GST_FUNCTION, __LINE__);
}

mcastexpert::DebugLog debug_log(GstElement* element, GstDebugCategory* category) {
  return [element, category](const std::string& line) { GST_CAT_DEBUG_OBJECT(category, element, "%s", line.c_str()); };
}

gboolean apply_uri(GstElement* element, const gchar* uri, const gchar* const* allowed_keys, GError** error) {
  mcastexpert::McastUri parsed;
  try {
    parsed = mcastexpert::McastUri::parse(uri != nullptr ? uri : "");
  } catch (const mcastexpert::Error& e) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "%s", describe(e).c_str());
    return FALSE;
  }
  for (const auto& [key, value] : parsed.query) {
    bool allowed = false;
    for (const gchar* const* k = allowed_keys; *k != nullptr; ++k) allowed |= key == *k;
    if (!allowed) {
      std::string keys;
      for (const gchar* const* k = allowed_keys; *k != nullptr; ++k)
        keys += (keys.empty() ? "" : ", ") + std::string(*k);
      g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "URI '%s': unknown key '%s' (known keys: %s)", uri,
                  key.c_str(), keys.c_str());
      return FALSE;
    }
  }
  g_object_set(element, "groups", parsed.groups.c_str(), nullptr);
  if (parsed.port) g_object_set(element, "port", static_cast<gint>(*parsed.port), nullptr);
  for (const auto& [key, value] : parsed.query) gst_util_set_object_arg(G_OBJECT(element), key.c_str(), value.c_str());
  return TRUE;
}

namespace {

GQuark uri_keys_quark() {
  return g_quark_from_static_string("mcastexpert-uri-keys");
}

const gchar* const* uri_keys_of(GstURIHandler* handler) {
  return static_cast<const gchar* const*>(g_type_get_qdata(G_OBJECT_TYPE(handler), uri_keys_quark()));
}

GstURIType uri_get_type(GType type) {
  return g_type_is_a(type, GST_TYPE_BASE_SRC) ? GST_URI_SRC : GST_URI_SINK;
}

const gchar* const* uri_get_protocols(GType) {
  static const gchar* protocols[] = {"mcast", nullptr};
  return protocols;
}

gchar* uri_get_uri(GstURIHandler* handler) {
  return g_strdup(build_uri(GST_ELEMENT(handler), uri_keys_of(handler)).c_str());
}

gboolean uri_set_uri(GstURIHandler* handler, const gchar* uri, GError** error) {
  return apply_uri(GST_ELEMENT(handler), uri, uri_keys_of(handler), error);
}

}  // namespace

void init_uri_handler(gpointer g_iface, const gchar* const* keys) {
  auto* iface = static_cast<GstURIHandlerInterface*>(g_iface);
  g_type_set_qdata(iface->parent.g_instance_type, uri_keys_quark(), const_cast<gchar**>(keys));
  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}

bool report_refused_value(GstElement* element, const std::map<std::string, std::string>& refused) {
  if (refused.empty()) return false;
  const auto& [property, why] = *refused.begin();
  GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS, ("Property '%s' was set to %s", property.c_str(), why.c_str()),
                    ("the setter refused that value and kept the previous one; the element will not run without "
                     "the value you meant"));
  return true;
}

void set_list_property(GstElement* element, GstDebugCategory* category, GParamSpec* pspec, const GValue* value,
                       ListKind kind, std::string& field, std::map<std::string, std::string>& refused) {
  const gchar* raw = g_value_get_string(value);
  const std::string text = raw != nullptr ? raw : "";
  try {
    switch (kind) {
      case ListKind::Groups: mcastexpert::parse_group_list(text); break;
      case ListKind::GroupsWithPorts: mcastexpert::parse_group_list(text, {true, true}); break;
      case ListKind::Sources: mcastexpert::parse_source_list(text); break;
      case ListKind::Interfaces: mcastexpert::split_list(text); break;
    }
  } catch (const mcastexpert::Error& e) {
    GST_CAT_WARNING_OBJECT(category, element, "refusing %s '%s': %s", pspec->name, text.c_str(), describe(e).c_str());
    refused[pspec->name] = "'" + text + "': " + describe(e);
    return;
  }
  refused.erase(pspec->name);
  GST_CAT_INFO_OBJECT(category, element, "%s: '%s' -> '%s'", pspec->name, field.c_str(), text.c_str());
  field = text;
}

void set_uri_property(GstElement* element, GstDebugCategory* category, const GValue* value, const gchar* const* keys,
                      std::mutex& lock, std::map<std::string, std::string>& refused) {
  GError* error = nullptr;
  if (apply_uri(element, g_value_get_string(value), keys, &error)) return;
  GST_CAT_WARNING_OBJECT(category, element, "refusing uri: %s", error->message);
  std::lock_guard<std::mutex> guard(lock);
  refused["uri"] = error->message;
  g_error_free(error);
}

std::string build_uri(GstElement* element, const gchar* const* keys) {
  mcastexpert::McastUri uri;
  gchar* groups = nullptr;
  gint port = 0;
  g_object_get(element, "groups", &groups, "port", &port, nullptr);
  uri.groups = groups != nullptr ? groups : "";
  g_free(groups);
  if (port > 0) uri.port = static_cast<uint16_t>(port);
  for (const gchar* const* k = keys; *k != nullptr; ++k) {
    GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), *k);
    if (pspec == nullptr) continue;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, pspec->value_type);
    g_object_get_property(G_OBJECT(element), *k, &v);
    if (!g_param_value_defaults(pspec, &v)) {
      gchar* text = G_VALUE_HOLDS_STRING(&v) ? g_value_dup_string(&v) : gst_value_serialize(&v);
      if (text != nullptr && *text != '\0') uri.query.emplace_back(*k, text);  // "" is the unset string
      g_free(text);
    }
    g_value_unset(&v);
  }
  return uri.to_string();
}

}  // namespace mcastexpert_plugin
