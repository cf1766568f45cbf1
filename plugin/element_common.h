// What both elements need from one place: turning core errors into element errors, routing the core's debug lines
// into GStreamer's log, the mcast:// URI handler, and the "set it once, keep it" string property helpers.
#pragma once

#include <gst/gst.h>

#include <map>
#include <mutex>
#include <string>

#include "error.hpp"
#include "socket_options.hpp"

namespace mcastexpert_plugin {

// Posts GST_ELEMENT_ERROR for `e`: the text names the setting (property), the value the user gave, what is wrong and
// how to fix it; `open_error` is the code for system failures (OPEN_READ for the source, OPEN_WRITE for the sink).
void post_error(GstElement* element, const mcastexpert::Error& e, GstResourceError open_error);

// "what is wrong. Fix: how to fix it" — how every core error reads in a message.
std::string describe(const mcastexpert::Error& e);

// A DebugLog that writes the core's lines to `category` at DEBUG level for `element`.
mcastexpert::DebugLog debug_log(GstElement* element, GstDebugCategory* category);

// Applies an mcast:// URI to `element`: groups (and port, when the URI has one) from the authority, then each query
// key as the property of that name, if `allowed_keys` (NULL-terminated) lists it. On failure sets `error` and
// returns FALSE, leaving the element unchanged.
gboolean apply_uri(GstElement* element, const gchar* uri, const gchar* const* allowed_keys, GError** error);

// Implements GstURIHandler (scheme mcast://, source or sink by the element's type) for the element type whose
// interface this is; `keys` (NULL-terminated, static) are the query keys its URIs may carry.
void init_uri_handler(gpointer g_iface, const gchar* const* keys);

// If a setter refused a value (`refused`: property → "'value': why"), posts the error that says so and returns
// true: the element must not start without a value the user meant to set.
bool report_refused_value(GstElement* element, const std::map<std::string, std::string>& refused);

// What a list property holds, for checking it when it is set.
enum class ListKind { Groups, GroupsWithPorts, Sources, Interfaces };

// A list property's setter: stores the new text in `field` if it reads as `kind`; otherwise keeps the old value,
// logs a warning in `category` and records why in `refused` (property → "'value': why"), for the next start to
// report. The caller holds the settings lock.
void set_list_property(GstElement* element, GstDebugCategory* category, GParamSpec* pspec, const GValue* value,
                       ListKind kind, std::string& field, std::map<std::string, std::string>& refused);

// The "uri" property's setter: applies the URI (see apply_uri); a refused URI is logged and recorded in `refused`
// under `lock`, which the caller must not hold.
void set_uri_property(GstElement* element, GstDebugCategory* category, const GValue* value, const gchar* const* keys,
                      std::mutex& lock, std::map<std::string, std::string>& refused);

// The element's URI, rebuilt from its properties: groups, port, and the listed keys whose value is not the default.
std::string build_uri(GstElement* element, const gchar* const* keys);

}  // namespace mcastexpert_plugin
