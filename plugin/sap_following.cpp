#include "sap_following.h"

#include <algorithm>
#include <cerrno>

#include "error.hpp"

#define GST_CAT_DEFAULT category_

namespace mcastexpert::plugin {

SapFollowing::SapFollowing(const SapListenerSettings& settings, std::string session, GstElement* element,
                           GstDebugCategory* category, std::function<void()> changed)
    : listener_(settings),
      session_(std::move(session)),
      element_(element),
      category_(category),
      changed_(std::move(changed)) {
  listening_ = listener_.interfaces() + " (" + listener_.groups() + ")";
  if (!stop_.valid()) throw_system_error("cannot create an eventfd", EMFILE);
  GST_INFO_OBJECT(element_, "listening for SAP session '%s' on %s", session_.c_str(), listening_.c_str());
  if (!listener_.skipped().empty()) GST_INFO_OBJECT(element_, "not listening on %s", listener_.skipped().c_str());
  thread_ = std::thread([this] { run(); });
}

SapFollowing::~SapFollowing() {
  stop_.wake();
  if (thread_.joinable()) thread_.join();
}

std::optional<FollowedSession> SapFollowing::current(uint64_t* generation) const {
  std::lock_guard<std::mutex> lock(lock_);
  if (generation != nullptr) *generation = generation_.load(std::memory_order_acquire);
  return current_;
}

bool SapFollowing::matches(const AnnouncedSession& s) const {
  return session_ == kAnySession || s.name == session_;
}

void SapFollowing::run() {
  std::vector<SapEvent> events;
  while (true) {
    try {
      if (!listener_.listen(1000, stop_, events)) return;
    } catch (const Error& e) {
      GST_ELEMENT_WARNING(element_, RESOURCE, READ, ("Listening for SAP announcements failed: %s", e.what()),
                          ("sap-session '%s'; the stream received now goes on", session_.c_str()));
      return;
    }
    for (const auto& e : events) handle(e);
    if (current_key_.empty()) post_waiting();
  }
}

void SapFollowing::handle(const SapEvent& e) {
  const AnnouncedSession& s = e.session;
  switch (e.kind) {
    case SapEvent::Kind::Added:
      if (current_key_.empty() && matches(s)) {
        follow(&s);
        post_session("found", s, "");
      } else if (matches(s) && session_ != kAnySession) {
        warn_ambiguous(s);
      }
      break;
    case SapEvent::Kind::Updated:
      if (s.key == current_key_) {
        follow(&s);
        post_session("updated", s, "a newer version of its description");
      } else if (current_key_.empty() && matches(s)) {  // renamed to the name asked for
        follow(&s);
        post_session("found", s, "");
      }
      break;
    case SapEvent::Kind::Deleted:
    case SapEvent::Kind::Expired: {
      if (s.key != current_key_) break;
      const bool deleted = e.kind == SapEvent::Kind::Deleted;
      follow(nullptr);
      post_session(deleted ? "deleted" : "expired", s,
                   deleted ? "its announcer deleted it" : "no announcement for longer than its period allows");
      // Another session that matches (the same name heard on another of the interfaces, say) is received now.
      const auto& all = listener_.directory().sessions();
      const auto other = std::find_if(all.begin(), all.end(), [&](const AnnouncedSession& a) { return matches(a); });
      if (other != all.end()) {
        follow(&*other);
        post_session("found", *other, "");
      }
      break;
    }
    case SapEvent::Kind::Refused:
      GST_ELEMENT_WARNING(
          element_, RESOURCE, READ,
          ("More than %zu SAP sessions announced: the rest are not looked at", SapDirectory::kMaxSessions),
          ("a network flooding the SAP groups; sap-session '%s'", session_.c_str()));
      break;
  }
}

// Another announcement of the name, while one is received: two devices named alike, or one heard on two networks.
// Said once per announcement, with how to choose.
void SapFollowing::warn_ambiguous(const AnnouncedSession& other) {
  const auto received = current();
  if (!received) return;
  GST_ELEMENT_WARNING(
      element_, RESOURCE, SETTINGS,
      ("Another SAP session is named '%s' (from %s on %s); receiving the one from %s on %s", session_.c_str(),
       other.origin.to_string().c_str(), other.ifname.c_str(), received->origin.c_str(), received->ifname.c_str()),
      ("name the interface to listen on (iface) to choose; the first heard is received"));
}

void SapFollowing::follow(const AnnouncedSession* s) {
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (s == nullptr) {
      current_.reset();
      current_key_.clear();
    } else {
      current_ = FollowedSession{s->sdp, s->name, s->ifname, s->origin.to_string()};
      current_key_ = s->key;
    }
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  heard_posted_.clear();
  changed_();
}

void SapFollowing::post_session(const char* event, const AnnouncedSession& s, const std::string& reason) {
  GST_INFO_OBJECT(element_, "SAP session '%s' from %s on %s: %s%s%s", s.name.c_str(), s.origin.to_string().c_str(),
                  s.ifname.c_str(), event, reason.empty() ? "" : ", ", reason.c_str());
  gst_element_post_message(
      element_, gst_message_new_element(
                    GST_OBJECT(element_),
                    gst_structure_new("McastExpertSapSession", "event", G_TYPE_STRING, event, "session", G_TYPE_STRING,
                                      s.name.c_str(), "origin", G_TYPE_STRING, s.origin.to_string().c_str(), "iface",
                                      G_TYPE_STRING, s.ifname.c_str(), "sap-group", G_TYPE_STRING,
                                      s.sap_group.to_string().c_str(), "reason", G_TYPE_STRING, reason.c_str(), "sdp",
                                      G_TYPE_STRING, s.sdp.c_str(), nullptr)));
}

// While nothing matches: each time the sessions heard change, a message naming them (and an info message that
// gst-launch-1.0 prints), so that "Studio 1" asked for while "Studio1" is announced is seen at once.
void SapFollowing::post_waiting() {
  std::vector<std::string> heard;
  for (const auto& s : listener_.directory().sessions()) heard.push_back("'" + s.name + "' on " + s.ifname);
  if (heard == heard_posted_) return;
  heard_posted_ = heard;
  GValue list = G_VALUE_INIT;
  gst_value_array_init(&list, static_cast<guint>(heard.size()));
  std::string text;
  for (const auto& h : heard) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, h.c_str());
    gst_value_array_append_and_take_value(&list, &v);
    text += (text.empty() ? "" : ", ") + h;
  }
  GstStructure* st = gst_structure_new("McastExpertSapWaiting", "session", G_TYPE_STRING, session_.c_str(), "listening",
                                       G_TYPE_STRING, listening_.c_str(), nullptr);
  gst_structure_take_value(st, "heard", &list);
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), st));
  if (heard.empty()) return;
  GST_ELEMENT_INFO(element_, RESOURCE, NOT_FOUND,
                   ("No SAP session named '%s' yet; heard: %s", session_.c_str(), text.c_str()),
                   ("listening on %s; the name is s= of the SDP, matched exactly (sap-session)", listening_.c_str()));
}

}  // namespace mcastexpert::plugin
