#include "mcast_uri.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "error.hpp"

namespace mcastexpert {
namespace {

[[noreturn]] void bad(std::string_view uri, const std::string& why) {
  throw Error(ErrorKind::InvalidSetting, "URI '" + std::string(uri) + "' " + why,
              "write mcast://GROUP[:PORT][?key=value&...], e.g. mcast://239.1.2.3:5004?iface=eth1");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view uri, std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) bad(uri, "has a broken %-escape");
      if (hi == 0 && lo == 0) bad(uri, "has an escaped NUL (%00), which no value may hold");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// `keep` names the characters besides the unreserved ones that stay as they are.
std::string percent_encode(const std::string& text, std::string_view keep = ":,") {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

McastUri McastUri::parse(std::string_view uri) {
  // mcast:// for a stream by its groups; sap:// (the source's) for one announced by SAP, as FFmpeg spells it.
  auto starts_with = [&](std::string_view scheme) {
    return uri.size() >= scheme.size() && std::equal(scheme.begin(), scheme.end(), uri.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  McastUri result;
  std::string_view scheme = "mcast://";
  if (starts_with("sap://")) {
    scheme = "sap://";
    result.scheme = "sap";
  } else if (!starts_with(scheme)) {
    const auto sep = uri.find("://");
    if (sep != std::string_view::npos && sep > 0)
      throw Error(ErrorKind::InvalidSetting,
                  "URI '" + std::string(uri) + "' has the scheme '" + std::string(uri.substr(0, sep)) +
                      "://'; these elements take mcast:// (and the source sap://)",
                  "write mcast:// and the same group, port and options, e.g. mcast://239.1.2.3:5004?iface=eth1");
    bad(uri, "does not start with mcast://");
  }
  // A URI is printable text (RFC 3986); a raw NUL or other control byte would end up in a property value, or be
  // escaped on the way back into a URI that says something else.
  for (size_t i = 0; i < uri.size(); ++i) {
    const auto c = static_cast<unsigned char>(uri[i]);
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      bad(std::string(uri.substr(0, i)) + "...", "holds the control byte " + std::string(hex) + " at position " +
                                                     std::to_string(i) +
                                                     ", which no URI may hold (escape it as %XX if it is meant)");
    }
  }
  std::string_view rest = uri.substr(scheme.size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);

  std::string_view port_text;
  if (rest.find(',') != std::string_view::npos || rest.find('@') != std::string_view::npos) {
    // Several groups, or entries with interfaces of their own: the authority is a group list as the groups
    // property takes it, ports, brackets and '@' included.
    result.groups = percent_decode(uri, rest);
  } else if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad(uri, "opens '[' without closing it");
    result.groups = percent_decode(uri, rest.substr(1, close - 1));
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad(uri, "has text after ']' that is not ':port'");
      port_text = after.substr(1);
      if (port_text.empty()) bad(uri, "has a port that is not 1 to 65535");
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') == colon) {
      result.groups = percent_decode(uri, rest.substr(0, colon));
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) bad(uri, "has a port that is not 1 to 65535");
    } else {
      result.groups = percent_decode(uri, rest);
    }
  }
  // sap:// alone means the SAP groups everyone announces on.
  if (result.groups.find_first_not_of(" \t") == std::string::npos && result.scheme != "sap") bad(uri, "names no group");
  if (!port_text.empty()) {
    unsigned long port = 0;
    for (const char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) bad(uri, "has a port that is not 1 to 65535");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port < 1 || port > 65535) bad(uri, "has a port that is not 1 to 65535");
    result.port = static_cast<uint16_t>(port);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      bad(uri, "has a query item without key=value: '" + std::string(pair) + "'");
    result.query.emplace_back(percent_decode(uri, pair.substr(0, eq)), percent_decode(uri, pair.substr(eq + 1)));
  }
  return result;
}

std::string McastUri::to_string() const {
  std::string text = scheme + "://";
  if (groups.find(',') != std::string::npos || groups.find('@') != std::string::npos) {
    text += percent_encode(groups, ":,[]@+");  // a list: its entries carry their own brackets, ports, interfaces
  } else {
    const bool v6 = groups.find(':') != std::string::npos;
    text += v6 ? "[" + percent_encode(groups, ":") + "]" : percent_encode(groups, ":");
    if (port) text += ":" + std::to_string(*port);
  }
  for (size_t i = 0; i < query.size(); ++i)
    text += (i == 0 ? "?" : "&") + percent_encode(query[i].first) + "=" + percent_encode(query[i].second);
  return text;
}

}  // namespace mcastexpert
