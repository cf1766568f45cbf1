#include "sap_announcing.h"

namespace mcastexpert::plugin {

SapAnnouncing::SapAnnouncing(const SapAnnouncerSettings& settings, const InterfaceTable& table, unsigned interval_s)
    : announcer_(settings, table), interval_(interval_s) {
  thread_ = std::thread([this] { run(); });
}

SapAnnouncing::~SapAnnouncing() {
  {
    std::lock_guard<std::mutex> lock(lock_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SapAnnouncing::set_sdp(const std::string& sdp) {
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (sdp == sdp_) return;
    sdp_ = sdp;
    changed_ = true;
  }
  wake_.notify_all();
}

uint64_t SapAnnouncing::packets() const {
  std::lock_guard<std::mutex> lock(lock_);
  return packets_;
}

void SapAnnouncing::run() {
  std::unique_lock<std::mutex> lock(lock_);
  while (true) {
    const std::string now = sdp_;
    const std::string before = announced_;
    const bool stopping = stopping_;
    changed_ = false;
    lock.unlock();
    // The sockets are used by this thread alone; no lock is held while sending.
    size_t sent = 0;
    // An update is a new announcement (a new hash) that replaces the old one; a deletion only when it ends.
    if ((stopping || now.empty()) && !before.empty()) sent += announcer_.announce(before, true);
    if (!stopping && !now.empty()) sent += announcer_.announce(now);
    lock.lock();
    packets_ += sent;
    announced_ = stopping ? std::string() : now;
    if (stopping) return;
    wake_.wait_for(lock, interval_, [this] { return changed_ || stopping_; });
  }
}

}  // namespace mcastexpert::plugin
