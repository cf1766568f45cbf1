// What both elements need from one place: property registration and setters (flags, list checks, old → new logs,
// the state a property may change in), turning core errors into element errors, routing the core's debug lines
// into GStreamer's log, and the mcast:// URI handler.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "error.hpp"
#include "link_watch.hpp"
#include "socket_options.hpp"

namespace mcastexpert::plugin {

// --- properties ---

// A property that applies at once, in any state (the streaming thread reads it for the next datagram).
constexpr auto kLive = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
// A property that shapes sockets or buffers: it can change in NULL or READY only, and applies at the next start.
constexpr auto kReadyOnly = static_cast<GParamFlags>(kLive | GST_PARAM_MUTABLE_READY);
constexpr auto kReadOnly = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

// What a list property holds, for checking it when it is set (by a setter, a URI or a signal alike).
// (install_list_property keeps one value of each: a kind added here is added there too, or the build fails.)
enum class ListKind { Groups, Destinations, Sources, Interfaces, SapGroups };  // SapGroups last

// A string property's value as a std::string ("" for NULL): how both elements' setters store text.
std::string string_of(const GValue* value);

// Installs a string property holding a comma-separated list of `kind`.
void install_list_property(GObjectClass* klass, guint id, const char* name, const char* nick, const char* blurb,
                           ListKind kind, GParamFlags flags);

// Throws mcastexpert::Error unless `text` reads as a list of `kind`.
void check_list(ListKind kind, const std::string& text);

// Values a setter refused, by property → "'value': why". The next start fails, quoting them: the element must not
// run without a value the user meant to set.
using RefusedValues = std::map<std::string, std::string>;

// Whether `pspec` may change now. A GST_PARAM_MUTABLE_READY property set in PAUSED or PLAYING is refused with a
// warning on the bus that names the property, the value and when it can be set.
bool may_change_now(GstElement* element, GParamSpec* pspec, const GValue* value);

// Stores `value` into a setting through the element's own accessors, logging old → new in `category`. `read`
// fills a GValue of the property's type from the settings, `write` stores one into them; for a list property the
// text is checked first, and a refused one is kept out of the settings and recorded in `refused`. The caller holds
// the settings lock.
void store_setting(GstElement* element, GstDebugCategory* category, GParamSpec* pspec, const GValue* value,
                   RefusedValues& refused, const std::function<void(GValue*)>& read,
                   const std::function<void(const GValue*)>& write);

// How an element's setter reaches its settings: `read`/`write` a property's value, called with `lock` held.
struct SettingsAccess {
  std::mutex& lock;
  RefusedValues& refused;
  std::function<void(guint prop_id, GValue* value)> read;
  std::function<void(guint prop_id, const GValue* value)> write;
};

// The body of both elements' set_property: refuses a MUTABLE_READY property outside NULL and READY, applies the
// property `uri_prop_id` as an mcast:// URI, and stores anything else through `access`. True when
// a value was stored (the caller then applies what is live).
bool set_element_property(GstElement* element, GstDebugCategory* category, GParamSpec* pspec, const GValue* value,
                          guint uri_prop_id, const SettingsAccess& access);

// --- errors ---

// The text of a setting's value as the user set it, by property name, for an error message. Read from a snapshot
// of the settings the failing start worked from: never from the element itself, whose lock the caller may hold.
using ValueText = std::function<std::string(const std::string& property)>;

// A ValueText over a settings snapshot: `read(prop_id, value)` fills `value`, already initialised to the property's
// type, for the element class `klass`.
ValueText snapshot_value_text(GObjectClass* klass, std::function<void(guint prop_id, GValue* value)> read);

// Posts GST_ELEMENT_ERROR for `e`: the text names the setting (property), the value the user gave, what is wrong and
// how to fix it; `open_error` is the code for system failures (OPEN_READ for the source, OPEN_WRITE for the sink).
// Call it with no lock held: a synchronous bus handler may read the element's properties.
void post_error(GstElement* element, const mcastexpert::Error& e, GstResourceError open_error,
                const ValueText& value_of);

// If a setter refused a value, posts the error that says so and returns true. No lock held, as for post_error.
bool report_refused_value(GstElement* element, const RefusedValues& refused);

// Reports interface changes an element followed: a warning when nothing can pass by an interface (down, gone, or
// not usable again yet), an info message when it can again, and for each a "McastExpertInterface" element message
// (iface, ifindex, change, detail) for applications to act on. `code` is RESOURCE_ERROR_READ or _WRITE.
void post_interface_events(GstElement* element, const std::vector<mcastexpert::InterfaceEvent>& events,
                           GstResourceError code);

// "what is wrong. Fix: how to fix it" — how every core error reads in a message.
std::string describe(const mcastexpert::Error& e);

// A DebugLog that writes the core's lines to `category` at DEBUG level for `element`.
mcastexpert::DebugLog debug_log(GstElement* element, GstDebugCategory* category);

// --- mcast:// URIs ---

// The properties an mcast:// URI may set as query keys, in the order the class installed them: every writable
// property the element class itself installs (not a base class's), except groups (the URI's authority) and uri.
// Derived from the param specs, so a new property is a URI key with nothing else to list.
std::vector<GParamSpec*> uri_key_properties(GObjectClass* klass);

// Implements GstURIHandler (scheme mcast://, source or sink by the element's type) for the element type whose
// interface this is; its URIs carry uri_key_properties() as query keys.
void init_uri_handler(gpointer g_iface);

// Applies an mcast:// URI: groups (and port, when it has one) from the authority, each query key to the property of
// that name, and the keys an earlier URI set but this one leaves out back to their defaults. Every value is checked
// first, as its property's setter would: on any error nothing changes, `error` says which key and value and why,
// and it returns FALSE.
gboolean apply_uri(GstElement* element, const gchar* uri, GError** error);

// The "uri" property's setter: applies the URI; a refused one is logged and recorded in `refused` under `lock`,
// which the caller must not hold (applying sets the other properties, which take it).
void set_uri_property(GstElement* element, GstDebugCategory* category, const GValue* value, std::mutex& lock,
                      RefusedValues& refused);

// The element's URI, rebuilt from its properties: one that sets an element back to what this one does; "" when it
// has no groups (the uri property then reads NULL).
std::string build_uri(GstElement* element);

}  // namespace mcastexpert::plugin
