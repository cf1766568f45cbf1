// The custom meta mcastexpertsrc puts on every buffer: which group the datagram was sent to and which interface it
// arrived on, so an application receiving several groups or interfaces can tell them apart.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

// Name for gst_buffer_get_custom_meta(). Its structure has the fields:
//   group    (string) the destination group, e.g. "239.255.0.1"
//   port     (uint)   the destination port
//   ifindex  (uint)   the arrival interface's index
//   ifname   (string) the arrival interface's name
#define MCASTEXPERT_RECEIVE_META_NAME "McastExpertReceiveMeta"

void mcastexpert_receive_meta_register(void);

G_END_DECLS
