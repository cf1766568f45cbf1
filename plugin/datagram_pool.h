// The buffer pool mcastexpertsrc reads datagrams into. A GstBufferPool whose buffers hold one memory block each,
// handed out last-in first-out: the buffers that just came back (and are still in the CPU's cache) go out again
// first, and a pool at rest holds as few buffers as the stream needs. Taking and returning a buffer costs a few
// atomic operations and an uncontended lock — the default pool's queue, wake-up bookkeeping and general resize
// cost about twice as much per datagram, which at hundreds of thousands of datagrams a second is a real share of
// the receiving core.
#pragma once

#include <gst/gst.h>

namespace mcastexpert::plugin {

// A new pool, not yet configured: configure it with gst_buffer_pool_config_set_params() (size = the largest
// datagram a buffer holds; min and max buffers are ignored: it grows as needed) and activate it as any pool.
GstBufferPool* datagram_pool_new();

// The writable memory block of a buffer from this pool.
inline GstMemory* datagram_memory(GstBuffer* buffer) {
  return gst_buffer_peek_memory(buffer, 0);
}

// Sets a pool buffer's size to `size` bytes (at most the pool's size) without the general resize machinery.
void datagram_set_size(GstBuffer* buffer, gsize size);

}  // namespace mcastexpert::plugin
