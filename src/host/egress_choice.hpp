// Which interface a sender leaves by for a group, and from which address — the one decision the sink and
// `mcastexpert route` share, so that the tool reports exactly what the element will do.
#pragma once

#include <string_view>

#include "interface_table.hpp"

namespace mcastexpert {

enum class EgressReason {
  MulticastRoute,  // a route more specific than the default one covers the group
  DefaultRoute,    // no route but the default one: the interface that reaches the outside
  Iface,           // the user named the interface
};
const char* egress_reason_name(EgressReason reason);  // "multicast-route", "default-route", "iface"

struct EgressChoice {
  NetInterface iface;
  IpAddress source;  // the address the sender's socket is bound to
  EgressReason reason;
};

// The interface the routing table sends `group` by (no interface named). Throws Error naming the group for a
// link-scoped group (the table cannot say which link), no route, or a route to an interface that is gone or cannot
// carry multicast.
const NetInterface& routed_egress_interface(const IpAddress& group, const InterfaceTable& table, EgressReason& reason);

// The full choice: by `iface_spec` (one specifier, resolved as the sink resolves it) or, when empty, by the routing
// table; with the source address the sender binds to. Throws Error as the sink would.
EgressChoice choose_egress(const IpAddress& group, std::string_view iface_spec, const InterfaceTable& table);

// The address a sender on `iface` binds to for `group`; throws Error(InvalidSetting) when it has none of the family.
IpAddress egress_source(const NetInterface& iface, const IpAddress& group);

}  // namespace mcastexpert
