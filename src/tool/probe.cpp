#include "probe.hpp"

#include <charconv>

namespace mcastexpert::tool {
namespace {

constexpr std::string_view kMagic = "MCASTEXPERT-PROBE 1 ";

// The value of "name=" in `text`, up to the next space or padding.
std::string_view field(std::string_view text, std::string_view name) {
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find(' ', at);
    const std::string_view word = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (word.size() > name.size() && word.substr(0, name.size()) == name && word[name.size()] == '=')
      return word.substr(name.size() + 1);
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return {};
}

template <typename T>
bool number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string encode_probe(const Probe& probe, size_t size) {
  std::string host = probe.host.substr(0, kMaxProbeHost);
  for (char& c : host)
    if (c == ' ' || c == '.' || static_cast<unsigned char>(c) < 0x21) c = '_';
  std::string text = std::string(kMagic) + "seq=" + std::to_string(probe.seq) +
                     " sent=" + std::to_string(probe.sent_realtime_ns) + " host=" + host + " ";
  if (text.size() < size) text.append(size - text.size(), '.');
  return text;
}

std::optional<Probe> decode_probe(std::string_view datagram) {
  if (datagram.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  std::string_view rest = datagram.substr(kMagic.size());
  rest = rest.substr(0, rest.find_first_of(".\n"));  // the padding is not part of the text (host names have no '.')
  Probe p;
  if (!number(field(rest, "seq"), p.seq) || !number(field(rest, "sent"), p.sent_realtime_ns)) return std::nullopt;
  p.host = std::string(field(rest, "host"));
  return p;
}

ProbeTally::Arrival ProbeTally::record(const std::string& sender, uint64_t seq) {
  auto [it, fresh] = senders_.try_emplace(sender);
  Sender& s = it->second;
  if (fresh) {
    s.first = s.highest = seq;
  } else if (s.seen.count(seq) != 0) {
    ++s.duplicated;
    return Arrival::Duplicate;
  }
  s.seen.insert(seq);
  ++s.distinct;
  if (seq < s.first) s.first = seq;
  if (seq < s.highest) {
    ++s.reordered;
    return Arrival::Reordered;
  }
  s.highest = seq;
  return Arrival::New;
}

uint64_t ProbeTally::sum(uint64_t (*of)(const Sender&)) const {
  uint64_t n = 0;
  for (const auto& [_, s] : senders_) n += of(s);
  return n;
}

uint64_t ProbeTally::received() const {
  return sum([](const Sender& s) { return s.distinct; });
}

uint64_t ProbeTally::lost() const {
  return sum([](const Sender& s) { return s.highest - s.first + 1 - s.distinct; });
}

uint64_t ProbeTally::duplicated() const {
  return sum([](const Sender& s) { return s.duplicated; });
}

uint64_t ProbeTally::reordered() const {
  return sum([](const Sender& s) { return s.reordered; });
}

}  // namespace mcastexpert::tool
