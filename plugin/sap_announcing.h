// mcastexpertsink's SAP announcements (sap=true): a thread of its own that sends the stream's SDP by SAP on every
// interface the stream leaves by, every interval and at once when the SDP changes, and the deletion when it ends —
// so receivers (Dante and AES67 devices, PipeWire, VLC, FFmpeg, mcastexpertsrc) find the stream and drop it at once.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sap_announcer.hpp"

namespace mcastexpert::plugin {

class SapAnnouncing {
 public:
  // Opens the announcer's sockets (throws Error as the sender does) and starts the thread.
  SapAnnouncing(const SapAnnouncerSettings& settings, const InterfaceTable& table, unsigned interval_s);
  // Sends the deletion of what was last announced and ends the thread.
  ~SapAnnouncing();
  SapAnnouncing(const SapAnnouncing&) = delete;
  SapAnnouncing& operator=(const SapAnnouncing&) = delete;

  // The SDP to announce now ("" stops announcing, with a deletion of the last one): sent at once when it changed.
  void set_sdp(const std::string& sdp);
  // Packets sent so far (announcements and deletions), for stats and tests.
  uint64_t packets() const;

 private:
  void run();

  SapAnnouncer announcer_;
  const std::chrono::seconds interval_;
  mutable std::mutex lock_;
  std::condition_variable wake_;
  std::string sdp_;        // what to announce
  std::string announced_;  // what was announced last (its deletion is due when it goes)
  bool changed_ = false;
  bool stopping_ = false;
  uint64_t packets_ = 0;
  std::thread thread_;
};

}  // namespace mcastexpert::plugin
