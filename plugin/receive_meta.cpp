#include "receive_meta.h"

// Where a datagram came from stays true whatever is done to its bytes (copied, scaled, converted), so the meta goes
// along on every transform, not only on copies (the default for a custom meta without a transform function).
static gboolean transform_receive_meta(GstBuffer* transbuf, GstCustomMeta* meta, GstBuffer*, GQuark, gpointer,
                                       gpointer) {
  GstCustomMeta* copy = gst_buffer_add_custom_meta(transbuf, MCASTEXPERT_RECEIVE_META_NAME);
  if (copy == nullptr) return FALSE;
  GstStructure* to = gst_custom_meta_get_structure(copy);
  const GstStructure* from = gst_custom_meta_get_structure(meta);
  for (gint i = 0; i < gst_structure_n_fields(from); ++i) {
    const gchar* name = gst_structure_nth_field_name(from, static_cast<guint>(i));
    gst_structure_set_value(to, name, gst_structure_get_value(from, name));
  }
  return TRUE;
}

void mcastexpert_receive_meta_register(void) {
  static const gchar* tags[] = {nullptr};  // describes the transport, not the content
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    gst_meta_register_custom(MCASTEXPERT_RECEIVE_META_NAME, tags, transform_receive_meta, nullptr, nullptr);
    g_once_init_leave(&done, 1);
  }
}
