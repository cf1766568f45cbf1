// iface (both elements) and the @ interfaces of a list entry, against a fixed table of interfaces with the awkward
// cases: a name that looks like a number or an address, an address on two interfaces, IPv6 link-local with scope.
#include "error.hpp"
#include "fuzz_check.hpp"
#include "interface_spec.hpp"

using namespace mcastexpert;

static InterfaceTable table() {
  auto v4 = [](const char* a) { return InterfaceAddress{*IpAddress::parse(a), 24}; };
  std::vector<NetInterface> list;
  list.push_back({"lo", 1, true, false, true, 65536, {v4("127.0.0.1")}});
  list.push_back({"eth0", 2, true, true, false, 1500, {v4("10.0.0.1"), v4("10.9.9.9")}});
  list.push_back({"eth1", 3, true, true, false, 1500, {v4("10.0.1.1"), v4("10.9.9.9")}});
  list.push_back({"7", 4, true, true, false, 1500, {}});
  list.push_back({"10.0.0.1", 5, false, true, false, 1500, {}});
  NetInterface v6{"eth2", 6, true, true, false, 1500, {}};
  v6.addresses.push_back({IpAddress::parse("fe80::1")->with_scope_id(6), 64});
  v6.addresses.push_back({*IpAddress::parse("fd00::1"), 64});
  list.push_back(v6);
  list.push_back({"nomc", 7, true, false, false, 1500, {v4("10.0.7.1")}});
  return InterfaceTable(std::move(list));
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const InterfaceTable interfaces = table();
  if (size == 0) return 0;
  const InterfaceRole role = data[0] & 1 ? InterfaceRole::Send : InterfaceRole::Receive;
  const std::string text = fuzz::text_of(data + 1, size - 1);
  try {
    for (const auto& iface : resolve_interfaces(interfaces, text, role))
      fuzz::require(interfaces.by_index(iface.index) != nullptr, "resolved to an interface that is not there", text);
  } catch (const Error&) {
  }
  return 0;
}
