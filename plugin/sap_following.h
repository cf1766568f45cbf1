// mcastexpertsrc's sap-session: a SAP listener on a thread of its own that looks for the session of a name (or, for
// "*", the first session heard), keeps the latest SDP of it and the interface it was heard on, and tells the element
// of every change — found, updated, deleted, silent — so that the streaming thread follows it. While nothing matches
// it names the sessions that were heard, so that a typo shows.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sap_listener.hpp"

namespace mcastexpert::plugin {

// The session as the source receives it.
struct FollowedSession {
  std::string sdp;
  std::string name;    // s=
  std::string ifname;  // where it was heard
  std::string origin;  // the announcer
};

class SapFollowing {
 public:
  // What sap-session takes for "the first session heard" (what a sap:// URI without session= means).
  static constexpr char kAnySession[] = "*";

  // Joins the SAP groups (throws Error as SapListener does) and starts the thread. `changed` is called from it
  // whenever current() changed; messages go to `element`'s bus, its log lines to `category`.
  SapFollowing(const SapListenerSettings& settings, std::string session, GstElement* element,
               GstDebugCategory* category, std::function<void()> changed);
  ~SapFollowing();
  SapFollowing(const SapFollowing&) = delete;
  SapFollowing& operator=(const SapFollowing&) = delete;

  // The session now (nullopt while none matches) and its generation, which grows with every change.
  std::optional<FollowedSession> current(uint64_t* generation = nullptr) const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // "eth0, eth1 (239.255.255.255, ...)": where it listens, for messages.
  const std::string& listening() const { return listening_; }

 private:
  void run();
  void handle(const SapEvent& event);
  bool matches(const AnnouncedSession& s) const;
  void follow(const AnnouncedSession* s);
  void warn_ambiguous(const AnnouncedSession& other);
  void post_session(const char* event, const AnnouncedSession& s, const std::string& reason);
  void post_waiting();

  SapListener listener_;
  const std::string session_;
  GstElement* element_;  // not a reference: the element owns this and outlives it
  GstDebugCategory* category_;
  std::function<void()> changed_;
  std::string listening_;
  Waker stop_;

  mutable std::mutex lock_;                 // guards current_
  std::optional<FollowedSession> current_;  // what the streaming thread receives
  std::string current_key_;                 // its directory key ("" for none): the thread's own
  std::atomic<uint64_t> generation_{0};
  std::vector<std::string> heard_posted_;  // the sessions the last waiting message named
  std::thread thread_;
};

}  // namespace mcastexpert::plugin
