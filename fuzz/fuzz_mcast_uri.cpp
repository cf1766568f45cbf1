// mcast:// URIs (both elements' uri property): a URI parsed prints back to one that parses to the same parts.
#include "error.hpp"
#include "fuzz_check.hpp"
#include "mcast_uri.hpp"

using namespace mcastexpert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::text_of(data, size);
  McastUri uri;
  try {
    uri = McastUri::parse(text);
  } catch (const Error&) {
    return 0;
  }
  const std::string again = uri.to_string();
  try {
    const McastUri back = McastUri::parse(again);
    fuzz::require(back.groups == uri.groups && back.port == uri.port && back.query == uri.query,
                  "a URI does not parse back to itself", text + " -> " + again);
  } catch (const Error& err) {
    fuzz::require(false, "a URI's own text is refused", text + " -> " + again + ": " + err.what());
  }
  return 0;
}
