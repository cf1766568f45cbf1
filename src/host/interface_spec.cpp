#include "interface_spec.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <optional>

#include "address_list.hpp"
#include "error.hpp"

namespace mcastexpert {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// An interface index in digits; nullopt past what an index can be (the kernel's are positive ints), so that
// "4294967298" is no index rather than index 2 wrapped round.
std::optional<unsigned> parse_index(std::string_view digits) {
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  const unsigned long long value = std::stoull(std::string(digits));
  if (value == 0 || value > static_cast<unsigned long long>(INT_MAX)) return std::nullopt;
  return static_cast<unsigned>(value);
}

[[noreturn]] void no_such_interface(const InterfaceTable& table, std::string_view spec, const std::string& why) {
  throw Error(ErrorKind::NotFound, "no interface matches '" + std::string(spec) + "'" + why,
              "name one of the interfaces here: " + table.names());
}

}  // namespace

std::vector<const NetInterface*> resolve_interface_spec(const InterfaceTable& table, std::string_view spec,
                                                        InterfaceRole role) {
  if (const auto* byname = table.by_name(spec)) return {byname};

  std::string_view addr_text = spec;
  std::string_view scope;
  if (const auto percent = spec.find('%'); percent != std::string_view::npos) {
    addr_text = spec.substr(0, percent);
    scope = spec.substr(percent + 1);
  }
  if (auto addr = IpAddress::parse(addr_text)) {
    if (!scope.empty()) {
      if (addr->is_v4()) no_such_interface(table, spec, " (a %scope goes with IPv6 addresses only)");
      const NetInterface* scoped = table.by_name(scope);
      if (scoped == nullptr && all_digits(scope))
        if (const auto index = parse_index(scope)) scoped = table.by_index(*index);
      if (scoped == nullptr) no_such_interface(table, spec, " (no interface '" + std::string(scope) + "')");
      addr = addr->with_scope_id(scoped->index);
    }
    auto found = table.by_address(*addr);
    if (found.empty()) no_such_interface(table, spec, " (no interface has that address)");
    if (found.size() > 1 && role == InterfaceRole::Send) {
      std::string holders;
      for (const auto* i : found) holders += (holders.empty() ? "" : ", ") + i->name;
      throw Error(ErrorKind::InvalidSetting,
                  "address '" + std::string(spec) + "' is on several interfaces (" + holders +
                      "), so it does not say which one to send by",
                  "name the interface instead (one of " + holders + ")");
    }
    return found;
  }
  if (all_digits(spec)) {
    if (const auto index = parse_index(spec))
      if (const auto* byindex = table.by_index(*index)) return {byindex};
    no_such_interface(table, spec, " (no interface has that index)");
  }
  no_such_interface(table, spec, " (not a name, address or index of any interface)");
}

void check_multicast_capable(const NetInterface& iface, std::string_view spec) {
  const std::string named =
      spec == iface.name ? "'" + iface.name + "'" : "'" + std::string(spec) + "' (" + iface.name + ")";
  if (!iface.up)
    throw Error(ErrorKind::InvalidSetting, "interface " + named + " is down",
                "bring it up (ip link set " + iface.name + " up) or name another interface");
  if (!iface.multicast && !iface.loopback)
    throw Error(ErrorKind::InvalidSetting, "interface " + named + " cannot carry multicast (no MULTICAST flag)",
                "enable it (ip link set " + iface.name + " multicast on) or name another interface");
}

std::vector<NetInterface> resolve_interfaces(const InterfaceTable& table, std::string_view spec_list,
                                             InterfaceRole role) {
  std::vector<NetInterface> resolved;
  std::vector<std::string> named_by;  // by entry of `resolved`: the specifier that named it
  for (const auto& spec : split_interface_list(spec_list)) {
    for (const NetInterface* iface : resolve_interface_spec(table, spec, role)) {
      check_multicast_capable(*iface, spec);
      const auto seen = std::find_if(resolved.begin(), resolved.end(),
                                     [&](const NetInterface& r) { return r.index == iface->index; });
      // Two spellings of one interface: the user meant two networks, or wrote one twice; either way, say so.
      if (seen != resolved.end())
        throw Error(
            ErrorKind::InvalidSetting,
            "'" + spec + "' and '" + named_by[static_cast<size_t>(seen - resolved.begin())] + "' both name interface " +
                iface->name + " (index " + std::to_string(iface->index) + ")",
            "name each interface once; for two networks name two interfaces (interfaces here: " + table.names() + ")");
      resolved.push_back(*iface);
      named_by.push_back(spec);
    }
  }
  return resolved;
}

std::vector<NetInterface> resolve_entry_interfaces(const InterfaceTable& table, const std::string& entry,
                                                   const std::vector<std::string>& specs, InterfaceRole role) {
  std::string list;
  for (const auto& spec : specs) list += (list.empty() ? "" : ",") + spec;
  try {
    return resolve_interfaces(table, list, role);
  } catch (const Error& e) {
    throw Error(e.kind(), "entry '" + entry + "': " + e.what(), e.hint(), e.sys_errno());
  }
}

std::vector<NetInterface> default_receive_interfaces(const InterfaceTable& table, Family family) {
  std::vector<NetInterface> chosen;
  for (const auto& i : table.interfaces())
    if (i.up && i.multicast && !i.loopback && i.has_address(family)) chosen.push_back(i);
  if (chosen.empty())
    throw Error(ErrorKind::NotFound,
                std::string("no interface is up, multicast-capable, not loopback and has an ") + family_name(family) +
                    " address to join on",
                "name the interface to join on (interfaces here: " + table.names() + ")");
  return chosen;
}

}  // namespace mcastexpert
