// groups (both elements), with every combination of the list rules: anything parsed must print back to text that
// parses to the same entries, and nothing may crash, hang or throw anything but mcastexpert::Error.
#include "address_list.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"

using namespace mcastexpert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  GroupListRules rules;
  rules.allow_port = data[0] & 1;
  rules.one_family = data[0] & 2;
  rules.allow_scope = data[0] & 4;
  rules.allow_interfaces = data[0] & 8;
  const std::string text = fuzz::text_of(data + 1, size - 1);
  std::vector<GroupEntry> entries;
  try {
    entries = parse_group_list(text, rules);
  } catch (const Error&) {
    return 0;
  }
  std::string again;
  for (const auto& e : entries) {
    fuzz::require(e.address.is_multicast(), "a parsed group is not multicast", text);
    try {
      fuzz::require(parse_group_entry(e.to_string(), rules) == e, "an entry does not parse back to itself", text);
    } catch (const Error& err) {
      fuzz::require(false, "an entry's own text is refused", text + " -> " + e.to_string() + ": " + err.what());
    }
    again += (again.empty() ? "" : ",") + e.to_string();
  }
  try {
    fuzz::require(parse_group_list(again, rules) == entries, "the list does not parse back to itself", text);
  } catch (const Error& err) {
    fuzz::require(false, "the list's own text is refused", text + " -> " + again + ": " + err.what());
  }
  return 0;
}
