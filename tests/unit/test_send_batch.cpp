// The sink's data path without a network: buffers (of several memories, too large, in lists) into a batch, a paced
// batch sent in bursts through a fake send (burst cap, GSO-sized runs handed over whole, a stop mid-batch), the rate
// meter, and when the failure messages fall due.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "send_batch.h"

using namespace mcastexpert;
using namespace mcastexpert::plugin;

namespace {

GstBuffer* buffer_of(const std::vector<std::string>& pieces) {
  GstBuffer* buf = gst_buffer_new();
  for (const auto& p : pieces) {
    gpointer copy = g_memdup2(p.data(), p.size());
    gst_buffer_append_memory(
        buf, gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, copy, p.size(), 0, p.size(), copy, g_free));
  }
  return buf;
}

std::string bytes_of(const Datagram& d) {
  std::string out;
  for (size_t i = 0; i < d.iovcnt; ++i) out.append(static_cast<const char*>(d.iov[i].iov_base), d.iov[i].iov_len);
  return out;
}

// A fake sender: records each call's datagrams, each one sent.
struct FakeSend {
  std::vector<std::vector<std::string>> calls;
  size_t interrupt_at_call = SIZE_MAX;
  SendOutcome operator()(const Datagram* d, size_t n) {
    SendOutcome o;
    if (calls.size() == interrupt_at_call) {
      o.interrupted = true;
      return o;
    }
    calls.emplace_back();
    for (size_t i = 0; i < n; ++i) calls.back().push_back(bytes_of(d[i]));
    o.sent = n;
    return o;
  }
};

// A batch of `count` one-byte-or-more datagrams ("0", "1", ...), and the buffers it maps.
struct NumberedBatch {
  explicit NumberedBatch(int count) {
    for (int i = 0; i < count; ++i) {
      buffers.push_back(buffer_of({std::to_string(i)}));
      batch.add(buffers.back(), 1472);
    }
  }
  ~NumberedBatch() {
    batch.clear();
    for (GstBuffer* b : buffers) gst_buffer_unref(b);
  }
  std::vector<GstBuffer*> buffers;
  DatagramBatch batch;
};

// A spread schedule with bursts of at most `burst_max`.
PacingSchedule spread_schedule(size_t burst_max) {
  PacingSettings settings;
  settings.mode = PacingMode::Spread;
  settings.burst_max = burst_max;
  return PacingSchedule(settings);
}

}  // namespace

TEST(DatagramBatch, EachBufferIsOneDatagramOfItsMemoriesInOrder) {
  GstBuffer* one = buffer_of({"head-", "body"});
  GstBuffer* two = buffer_of({"second"});
  DatagramBatch batch;
  EXPECT_TRUE(batch.add(one, 1472));
  EXPECT_TRUE(batch.add(two, 1472));
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.bytes(), 15u);
  const Datagram* d = batch.datagrams();
  EXPECT_EQ(d[0].iovcnt, 2u);
  EXPECT_EQ(d[0].length, 9u);
  EXPECT_EQ(bytes_of(d[0]), "head-body");
  EXPECT_EQ(bytes_of(d[1]), "second");
  batch.clear();
  EXPECT_TRUE(batch.empty());
  gst_buffer_unref(one);
  gst_buffer_unref(two);
}

TEST(DatagramBatch, ABufferTooLargeForADatagramIsLeftOut) {
  GstBuffer* big = buffer_of({std::string(2000, 'x')});
  GstBuffer* fits = buffer_of({std::string(1000, 'y')});
  DatagramBatch batch;
  EXPECT_FALSE(batch.add(big, 1472));
  EXPECT_TRUE(batch.add(fits, 1472));
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.datagrams()[0].length, 1000u);
  batch.clear();
  gst_buffer_unref(big);
  gst_buffer_unref(fits);
}

TEST(PacedSend, ABatchGoesInBurstsOfAtMostTheCapEveryDatagramOnceInOrder) {
  NumberedBatch numbered(40);
  DatagramBatch& batch = numbered.batch;
  PacingSchedule schedule = spread_schedule(8);
  PreciseWaiter waiter;
  Waker stop;
  SendMeasures measures;
  FakeSend fake;
  const PacedSend paced = send_paced(batch, 4000000 /* 4 ms */, schedule, waiter, stop, measures,
                                     [&](const Datagram* d, size_t n) { return fake(d, n); });
  EXPECT_EQ(paced.outcome.sent, 40u);
  EXPECT_FALSE(paced.outcome.interrupted);
  std::vector<std::string> all;
  for (const auto& call : fake.calls) {
    EXPECT_LE(call.size(), 8u);
    all.insert(all.end(), call.begin(), call.end());
  }
  ASSERT_EQ(all.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], std::to_string(i));
  EXPECT_GE(fake.calls.size(), 5u) << "spread over its time, not in one burst";
  EXPECT_EQ(measures.late_bursts.load(), fake.calls.size());
  EXPECT_LE(measures.largest_burst.load(), 8u);
  EXPECT_GT(paced.planned_ns, 3000000) << "a 4 ms batch is planned over most of its time";
  EXPECT_EQ(paced.bytes, batch.bytes());
}

TEST(PacedSend, AStopEndsTheBatchAtOnceAndTheScheduleStartsAfresh) {
  NumberedBatch numbered(20);
  DatagramBatch& batch = numbered.batch;
  PacingSchedule schedule = spread_schedule(4);
  PreciseWaiter waiter;
  Waker stop;
  SendMeasures measures;
  FakeSend fake;
  fake.interrupt_at_call = 2;  // the third burst finds the socket full and is woken by the stop
  const PacedSend paced = send_paced(batch, 2000000, schedule, waiter, stop, measures,
                                     [&](const Datagram* d, size_t n) { return fake(d, n); });
  EXPECT_TRUE(paced.outcome.interrupted);
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(paced.outcome.sent, fake.calls[0].size() + fake.calls[1].size()) << "what went before the stop";
  EXPECT_LT(paced.outcome.sent, 20u);
  EXPECT_EQ(schedule.busy_until_ns(), 0) << "the dropped rest is not waited for";
  // A stop already woken: nothing is sent.
  stop.wake();
  FakeSend none;
  const PacedSend stopped = send_paced(batch, 2000000, schedule, waiter, stop, measures,
                                       [&](const Datagram* d, size_t n) { return none(d, n); });
  EXPECT_TRUE(stopped.outcome.interrupted);
  EXPECT_TRUE(none.calls.empty());
}

TEST(RateMeter, ReportsBitsPerSecondOverEachCompleteSecond) {
  RateMeter meter;
  std::atomic<uint64_t> rate{0};
  meter.add(125000, 0 + 1, 500000000, rate);  // half a second: nothing yet
  EXPECT_EQ(rate.load(), 0u);
  meter.add(125000, 500000000, 1000000001, rate);  // 250,000 bytes in 1 s: 2 Mbit/s
  EXPECT_NEAR(static_cast<double>(rate.load()), 2e6, 10);
  meter.add(0, 1000000001, 2000000001, rate);  // a silent second
  EXPECT_EQ(rate.load(), 0u);
}

TEST(FailureWatch, WarnsAfterASecondGivesUpAtTheTimeoutAndSaysWhenSendingWorksAgain) {
  using R = FailureWatch::Report;
  FailureWatch w;
  EXPECT_EQ(w.after_batch(false, 1000, 0), R::None);
  EXPECT_EQ(w.after_batch(true, 2000000, 0), R::None);  // failing from here
  EXPECT_EQ(w.after_batch(true, 2500000, 0), R::None);
  EXPECT_EQ(w.after_batch(true, 3000000, 0), R::NothingSentForASecond);
  EXPECT_EQ(w.after_batch(true, 4000000, 0), R::None) << "warned once";
  EXPECT_EQ(w.after_batch(false, 4500000, 0), R::SendingAgain);
  EXPECT_DOUBLE_EQ(w.seconds(), 2.5);
  EXPECT_EQ(w.after_batch(false, 4600000, 0), R::None);
  // A short failure mends unseen.
  EXPECT_EQ(w.after_batch(true, 5000000, 0), R::None);
  EXPECT_EQ(w.after_batch(false, 5100000, 0), R::None);
  // With error-timeout: the error at the timeout.
  EXPECT_EQ(w.after_batch(true, 6000000, 300000000), R::None);
  EXPECT_EQ(w.after_batch(true, 6300000, 300000000), R::GiveUp);
  EXPECT_DOUBLE_EQ(w.seconds(), 0.3);
}

TEST(SendFailure, TheWarningNamesTheDestinationTheInterfaceTheErrorAndAGoneSource) {
  SendFailure f{Destination{*IpAddress::parse("239.1.1.1"), 5004, {}}, "eth1", ENETUNREACH,
                *IpAddress::parse("10.0.0.1"), false};
  EXPECT_EQ(describe_send_failure(f),
            std::string("Sending to 239.1.1.1:5004 by eth1 failed: ") + g_strerror(ENETUNREACH));
  f.source_gone = true;
  EXPECT_NE(describe_send_failure(f).find("its source address 10.0.0.1 is no longer on eth1"), std::string::npos);
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
