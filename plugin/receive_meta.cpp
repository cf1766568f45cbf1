#include "receive_meta.h"

void mcastexpert_receive_meta_register(void) {
  static const gchar* tags[] = {nullptr};  // describes the transport, not the content: survives any transform
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    gst_meta_register_custom(MCASTEXPERT_RECEIVE_META_NAME, tags, nullptr, nullptr, nullptr);
    g_once_init_leave(&done, 1);
  }
}
