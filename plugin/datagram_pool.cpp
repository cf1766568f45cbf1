#include "datagram_pool.h"

#include <mutex>
#include <new>
#include <vector>

namespace {

struct DatagramPoolState {
  std::mutex lock;
  std::vector<GstBuffer*> idle;  // returned buffers, most recent last
  gsize size = 0;                // the configured buffer size
};

}  // namespace

using McastExpertDatagramPoolPrivate = DatagramPoolState;

G_DECLARE_FINAL_TYPE(McastExpertDatagramPool, mcastexpert_datagram_pool, MCASTEXPERT, DATAGRAM_POOL, GstBufferPool)

struct _McastExpertDatagramPool {
  GstBufferPool parent;
};

G_DEFINE_TYPE_WITH_PRIVATE(McastExpertDatagramPool, mcastexpert_datagram_pool, GST_TYPE_BUFFER_POOL)

static DatagramPoolState* state_of(GstBufferPool* pool) {
  return static_cast<DatagramPoolState*>(
      mcastexpert_datagram_pool_get_instance_private(MCASTEXPERT_DATAGRAM_POOL(pool)));
}

static GstBufferPoolClass* parent_pool_class() {
  return GST_BUFFER_POOL_CLASS(mcastexpert_datagram_pool_parent_class);
}

static gboolean datagram_pool_set_config(GstBufferPool* pool, GstStructure* config) {
  guint size = 0;
  if (!gst_buffer_pool_config_get_params(config, nullptr, &size, nullptr, nullptr)) return FALSE;
  state_of(pool)->size = size;
  return parent_pool_class()->set_config(pool, config);
}

static GstFlowReturn datagram_pool_acquire(GstBufferPool* pool, GstBuffer** buffer,
                                           GstBufferPoolAcquireParams* params) {
  if (GST_BUFFER_POOL_IS_FLUSHING(pool)) return GST_FLOW_FLUSHING;
  auto* state = state_of(pool);
  {
    std::lock_guard<std::mutex> lock(state->lock);
    if (!state->idle.empty()) {
      *buffer = state->idle.back();
      state->idle.pop_back();
      return GST_FLOW_OK;
    }
  }
  return parent_pool_class()->alloc_buffer(pool, buffer, params);
}

// A buffer can go out again only if it still holds its own memory block, whole, and nobody else holds that block
// (a downstream gst_buffer_copy() shares it: writing the next datagram into it would change their copy).
static bool reusable(GstBuffer* buffer, gsize size) {
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_TAG_MEMORY) || gst_buffer_n_memory(buffer) != 1) return false;
  GstMemory* mem = gst_buffer_peek_memory(buffer, 0);
  return GST_MINI_OBJECT_REFCOUNT_VALUE(mem) == 1 && !GST_MEMORY_IS_READONLY(mem) && mem->maxsize >= size;
}

static gboolean remove_unpooled_meta(GstBuffer*, GstMeta** meta, gpointer) {
  if (!GST_META_FLAG_IS_SET(*meta, GST_META_FLAG_POOLED)) {
    GST_META_FLAGS(*meta) = static_cast<GstMetaFlags>(GST_META_FLAGS(*meta) & ~GST_META_FLAG_LOCKED);
    *meta = nullptr;
  }
  return TRUE;
}

static void datagram_pool_reset(GstBufferPool* pool, GstBuffer* buffer) {
  GST_BUFFER_FLAGS(buffer) &= GST_BUFFER_FLAG_TAG_MEMORY;
  GST_BUFFER_PTS(buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION(buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET(buffer) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END(buffer) = GST_BUFFER_OFFSET_NONE;
  const gsize size = state_of(pool)->size;
  if (!reusable(buffer, size)) return;  // released as it is, and freed there
  GstMemory* mem = gst_buffer_peek_memory(buffer, 0);
  if (mem->offset != 0 || mem->size != size) gst_memory_resize(mem, -static_cast<gssize>(mem->offset), size);
  // Metas someone added downstream go; ours stay (they are marked pooled and rewritten only where they change).
  gpointer iter = nullptr;
  while (GstMeta* meta = gst_buffer_iterate_meta(buffer, &iter)) {
    if (!GST_META_FLAG_IS_SET(meta, GST_META_FLAG_POOLED)) {
      gst_buffer_foreach_meta(buffer, remove_unpooled_meta, nullptr);
      break;
    }
  }
}

static void datagram_pool_release(GstBufferPool* pool, GstBuffer* buffer) {
  auto* state = state_of(pool);
  if (!reusable(buffer, state->size)) {
    parent_pool_class()->free_buffer(pool, buffer);
    return;
  }
  std::lock_guard<std::mutex> lock(state->lock);
  state->idle.push_back(buffer);
}

static void free_idle(GstBufferPool* pool) {
  std::vector<GstBuffer*> idle;
  {
    auto* state = state_of(pool);
    std::lock_guard<std::mutex> lock(state->lock);
    idle.swap(state->idle);
  }
  for (GstBuffer* buffer : idle) parent_pool_class()->free_buffer(pool, buffer);
}

static gboolean datagram_pool_stop(GstBufferPool* pool) {
  free_idle(pool);
  return parent_pool_class()->stop(pool);
}

static void datagram_pool_finalize(GObject* object) {
  free_idle(GST_BUFFER_POOL(object));
  state_of(GST_BUFFER_POOL(object))->~DatagramPoolState();
  G_OBJECT_CLASS(mcastexpert_datagram_pool_parent_class)->finalize(object);
}

static void mcastexpert_datagram_pool_class_init(McastExpertDatagramPoolClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = datagram_pool_finalize;
  auto* pool_class = GST_BUFFER_POOL_CLASS(klass);
  pool_class->set_config = datagram_pool_set_config;
  pool_class->acquire_buffer = datagram_pool_acquire;
  pool_class->reset_buffer = datagram_pool_reset;
  pool_class->release_buffer = datagram_pool_release;
  pool_class->stop = datagram_pool_stop;
}

static void mcastexpert_datagram_pool_init(McastExpertDatagramPool* self) {
  new (mcastexpert_datagram_pool_get_instance_private(self)) DatagramPoolState();
}

namespace mcastexpert::plugin {

GstBufferPool* datagram_pool_new() {
  auto* pool = GST_BUFFER_POOL(g_object_new(mcastexpert_datagram_pool_get_type(), nullptr));
  gst_object_ref_sink(pool);  // a GstObject is born floating; the caller owns this one
  return pool;
}

void datagram_set_size(GstBuffer* buffer, gsize size) {
  GstMemory* mem = gst_buffer_peek_memory(buffer, 0);
  gst_memory_resize(mem, 0, size);
}

}  // namespace mcastexpert::plugin
