#!/usr/bin/env python3
"""Receives a multicast group on one interface with mcastexpertsrc and prints, for each datagram, the group and
port it was sent to, the interface it arrived on (McastExpertReceiveMeta) and the sender (GstNetAddressMeta).

    python3 receive-meta.py GROUP IFACE [COUNT] [PORT]

Needs PyGObject and GStreamer's introspection data (Debian: python3-gi gir1.2-gstreamer-1.0)."""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstNet", "1.0")
from gi.repository import Gst, GstNet  # noqa: E402


def describe(buf):
    group, port, ifname, ifindex = "?", 0, "?", 0
    meta = buf.get_custom_meta("McastExpertReceiveMeta")
    if meta is not None:
        s = meta.get_structure()
        group, ifname = s.get_string("group"), s.get_string("ifname")
        port, ifindex = s.get_uint("port")[1], s.get_uint("ifindex")[1]
    sender = "?"
    net = GstNet.buffer_get_net_address_meta(buf)
    if net is not None:
        sender = f"{net.addr.get_address().to_string()}:{net.addr.get_port()}"
    return f"{buf.get_size()} bytes to {group}:{port} on {ifname} (index {ifindex}) from {sender}"


def main():
    if len(sys.argv) < 3:
        print(f"usage: {sys.argv[0]} GROUP IFACE [COUNT] [PORT]", file=sys.stderr)
        return 2
    group, iface = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 5004
    Gst.init(None)
    pipeline = Gst.parse_launch(f"mcastexpertsrc name=src ! appsink name=sink sync=false")
    src = pipeline.get_by_name("src")
    src.set_property("groups", group)
    src.set_property("iface", iface)
    src.set_property("port", port)
    sink = pipeline.get_by_name("sink")
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            err, debug = msg.parse_error()
            print(f"{err.message}\n{debug or ''}", file=sys.stderr)
        return 1
    for _ in range(count):
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        print(describe(sample.get_buffer()), flush=True)
    pipeline.set_state(Gst.State.NULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
