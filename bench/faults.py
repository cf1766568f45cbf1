#!/usr/bin/env python3
"""Faults of the network and the host, provoked for real in the lab, against stock udpsrc/udpsink and against
mcastexpertsrc/mcastexpertsink with the same stream: what each element does (keeps going or ends, what it posts,
whether datagrams flow again and how soon, what foreign traffic it lets through).

Run by bench/faults (which builds, makes the labs and writes bench/results/faults.md). Inside a lab:
  faults.py multihomed | switch | bad-input   the scenarios of that topology; one JSON line per row on stdout
  faults.py report < rows                the rows as Markdown tables
  faults.py peer KIND ARGS...            one end of a stream, on a lab host (run with `lab exec HOST`)
Every datagram is sent inside the lab's own namespaces, with TTL 1."""

import json
import re
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.abspath(__file__)
RATE = 200  # datagrams per second of the real stream


def payload(seq):
    return b"seq %08d " % seq + b"." * 187


def seq_of(data):
    if data.startswith(b"seq "):
        try:
            return int(data[4:12])
        except ValueError:
            return None
    return None


# --- the peers: each runs on one host and prints one JSON object when done ---------------------------------------

def bus_collect(pipeline, out):
    from gi.repository import Gst
    bus = pipeline.get_bus()
    while True:
        m = bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.WARNING | Gst.MessageType.INFO)
        if m is None:
            return
        kind = {Gst.MessageType.ERROR: "errors", Gst.MessageType.WARNING: "warnings",
                Gst.MessageType.INFO: "infos"}[m.type]
        parse = {"errors": m.parse_error, "warnings": m.parse_warning, "infos": m.parse_info}[kind]
        err, _debug = parse()
        out[kind].append([round(time.monotonic(), 3), err.message])


def peer_gst_recv(launch, seconds):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    pipeline = Gst.parse_launch(launch + " ! appsink name=out sync=false max-buffers=100000")
    sink = pipeline.get_by_name("out")
    out = {"arrivals": [], "foreign": 0, "empty": 0, "errors": [], "warnings": [], "infos": [], "started": True}
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        out["started"] = False
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sample = sink.emit("try-pull-sample", 20 * Gst.MSECOND)
        bus_collect(pipeline, out)
        if sample is None:
            continue
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        data = bytes(info.data) if ok else b""
        buf.unmap(info)
        seq = seq_of(data)
        if seq is not None:
            out["arrivals"].append([round(time.monotonic(), 4), seq])
        elif len(data) == 0:
            out["empty"] += 1
        else:
            out["foreign"] += 1
    t0 = time.monotonic()
    pipeline.set_state(Gst.State.NULL)
    out["null_ms"] = round((time.monotonic() - t0) * 1000, 1)
    bus_collect(pipeline, out)
    print(json.dumps(out))


def peer_gst_send(launch, seconds):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    pipeline = Gst.parse_launch("appsrc name=in is-live=true format=time ! " + launch)
    src = pipeline.get_by_name("in")
    out = {"pushed": 0, "flow": "ok", "errors": [], "warnings": [], "infos": [], "started": True}
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        out["started"] = False
    start = time.monotonic()
    seq = 0
    while time.monotonic() < start + seconds:
        due = start + seq / RATE
        time.sleep(max(0.0, due - time.monotonic()))
        ret = src.emit("push-buffer", Gst.Buffer.new_wrapped(payload(seq)))
        bus_collect(pipeline, out)
        if ret != Gst.FlowReturn.OK:
            out["flow"] = ret.value_nick
            break
        seq += 1
        out["pushed"] = seq
    time.sleep(0.2)
    bus_collect(pipeline, out)
    pipeline.set_state(Gst.State.NULL)
    print(json.dumps(out))


def ifindex(name):
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return 0


def peer_raw_recv(group, port, ifname, seconds):
    """A plain receiver that joins again whenever its interface is re-created (a new index)."""
    v6 = ":" in group
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if v6 else group, port))
    joined = 0
    out = {"arrivals": [], "rejoins": 0}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        idx = ifindex(ifname)
        if idx and idx != joined:
            try:
                if v6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                                 socket.inet_pton(socket.AF_INET6, group) + struct.pack("=I", idx))
                else:
                    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                 socket.inet_aton(group) + struct.pack("=II", 0, idx))
                out["rejoins"] += joined != 0
                joined = idx
            except OSError:
                pass
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            data = s.recv(70000)
            seq = seq_of(data)
            if seq is not None:
                out["arrivals"].append([round(time.monotonic(), 4), seq])
    print(json.dumps(out))


def peer_raw_send(to, port, source, ifname, rate, seconds, kind):
    """Numbered datagrams at `rate` per second (0: as fast as it can, `kind` foreign / empty), by interface name."""
    v6 = ":" in to
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    try:
        s.bind((source, 0))
    except OSError:
        pass
    start = time.monotonic()
    seq = sent = 0
    last_idx = -1
    while time.monotonic() < start + seconds:
        if rate:
            time.sleep(max(0.0, start + seq / rate - time.monotonic()))
        idx = ifindex(ifname)
        if idx != last_idx:
            try:
                if v6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
                else:
                    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("0.0.0.0") +
                                 socket.inet_aton("0.0.0.0") + struct.pack("=I", idx))
            except OSError:
                pass
            last_idx = idx
        data = payload(seq) if kind == "real" else (b"" if kind == "empty" else b"FOREIGN" * 20)
        try:
            s.sendto(data, (to, port))
            sent += 1
        except OSError:
            if not rate:
                time.sleep(0.0005)
        seq += 1
    print(json.dumps({"sent": sent}))


# --- the orchestrator ---------------------------------------------------------------------------------------------

def sh(cmd):
    subprocess.run(["sh", "-c", cmd], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def peer(host, *args):
    return subprocess.Popen(["lab", "exec", host, "/usr/bin/python3", HERE, "peer", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def result(p):
    out, _ = p.communicate(timeout=60)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {"arrivals": [], "errors": [["-", "peer printed nothing"]],
                                                 "warnings": [], "infos": [], "foreign": 0, "empty": 0}


def longest_gap_ms(arrivals, start, end):
    """The longest time without a datagram between `start` and `end` (the sender's last send)."""
    times = [start] + [t for t, _ in arrivals if start <= t <= end] + [end]
    return round(max(b - a for a, b in zip(times, times[1:])) * 1000)


def resumed(arrivals, restored_at):
    """Milliseconds from the fault's end to the first datagram after it, or None if nothing came."""
    after = [t for t, _ in arrivals if t >= restored_at]
    return round((after[0] - restored_at) * 1000) if after else None


def hot_link():
    sh("ip -n rx link add hot0 type veth peer name hot0p netns txa && ip -n rx addr add 10.77.9.1/24 dev hot0 && "
       "ip -n rx link set hot0 up && ip -n txa addr add 10.77.9.2/24 dev hot0p && ip -n txa link set hot0p up && "
       "ip -n txa route add 239.255.0.0/16 dev hot0p")
    time.sleep(0.3)


def drop_hot_link():
    sh("ip -n rx link del hot0 2>/dev/null; ip -n txa link del hot0p 2>/dev/null")


RECEIVERS = {
    "udpsrc": "udpsrc address={g} port={p} multicast-iface={i}",
    "mcastexpertsrc": "mcastexpertsrc groups={g} port={p} iface={i}",
}
SENDERS = {
    "udpsink": "udpsink host={g} port={p} multicast-iface={i} ttl-mc=1 sync=false async=false",
    "mcastexpertsink": "mcastexpertsink groups={g} port={p} iface={i} sync=false async=false",
}
RECV_FAULTS = {
    # name: (what, [(at s, command)...], restored at s)
    "rx-link-down-up": ("receiving link down 2 s, then up",
                        [(2, "ip -n rx link set hot0 down"), (4, "ip -n rx link set hot0 up")], 4),
    "rx-iface-recreated": ("receiving interface deleted and re-created (new index)",
                           [(2, "ip -n rx link del hot0"), (3, "RECREATE")], 3),
    "rx-address-changed": ("receiving interface's address changed",
                           [(2, "ip -n rx addr del 10.77.9.1/24 dev hot0 && ip -n rx addr add 10.77.9.11/24 dev hot0")],
                           2),
}
SEND_FAULTS = {
    "tx-link-down-up": ("sending link down 2 s, then up (route restored)",
                        [(2, "ip -n txa link set hot0p down"),
                         (4, "ip -n txa link set hot0p up && ip -n txa route replace 239.255.0.0/16 dev hot0p")], 4),
    "tx-iface-recreated": ("sending interface deleted and re-created (new index, route restored)",
                           [(2, "ip -n txa link del hot0p"), (3, "RECREATE")], 3),
    "tx-address-changed": ("sending interface's address changed",
                           [(2, "ip -n txa addr del 10.77.9.2/24 dev hot0p && "
                                "ip -n txa addr add 10.77.9.22/24 dev hot0p")], 2),
}


def run_actions(actions, t0):
    for at, cmd in actions:
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        if cmd == "RECREATE":
            drop_hot_link()
            hot_link()
        else:
            sh(cmd)


def flow(rx, fault_at, send_end):
    """Longest gap from the fault on, and whether datagrams still came in the sender's last half second."""
    arrivals = rx.get("arrivals", [])
    return {"gap_ms": longest_gap_ms(arrivals, fault_at, send_end),
            "at_end": any(send_end - 0.5 <= t <= send_end + 0.2 for t, _ in arrivals)}


def summary(rx, restored, extra=None):
    row = {
        "started": rx.get("started", True),
        "ended_with_error": bool(rx.get("errors")),
        "error": rx["errors"][0][1] if rx.get("errors") else "",
        "warnings": len(rx.get("warnings", [])),
        "first_warning": rx["warnings"][0][1] if rx.get("warnings") else "",
        "infos": len(rx.get("infos", [])),
    }
    if restored is not None:
        row["resumed_ms"] = resumed(rx["arrivals"], restored) if "arrivals" in rx else None
    row.update(extra or {})
    return row


def multihomed():
    port = 40000
    for fault, (what, actions, restored) in RECV_FAULTS.items():
        for impl, launch in RECEIVERS.items():
            port += 1
            hot_link()
            g = "239.255.61.1"
            rx = peer("rx", "gst-recv", launch.format(g=g, p=port, i="hot0"), 7)
            time.sleep(1.0)
            t0 = time.monotonic()
            tx = peer("txa", "raw-send", g, port, "0.0.0.0", "hot0p", RATE, 6, "real")
            run_actions(actions, t0)
            r = result(rx)
            result(tx)
            drop_hot_link()
            print(json.dumps({"fault": fault, "what": what, "element": impl,
                              **summary(r, t0 + restored, {"received": len(r["arrivals"]),
                                                           **flow(r, t0 + actions[0][0], t0 + 6)})}), flush=True)
    for fault, (what, actions, restored) in SEND_FAULTS.items():
        for impl, launch in SENDERS.items():
            port += 1
            hot_link()
            g = "239.255.61.2"
            rx = peer("rx", "raw-recv", g, port, "hot0", 7.5)
            time.sleep(0.5)
            t0 = time.monotonic()
            tx = peer("txa", "gst-send", launch.format(g=g, p=port, i="hot0p"), 6)
            run_actions(actions, t0)
            s = result(tx)
            r = result(rx)
            drop_hot_link()
            print(json.dumps({"fault": fault, "what": what, "element": impl,
                              **summary(s, None, {"resumed_ms": resumed(r["arrivals"], t0 + restored),
                                                  "received": len(r["arrivals"]), "pushed": s.get("pushed"),
                                                  "push_flow": s.get("flow"),
                                                  **flow(r, t0 + actions[0][0], t0 + 6)})}), flush=True)
    # Foreign traffic on the receiver's port while a real stream flows (from txa on eth0, 200/s).
    floods = {
        "same-group-other-iface": ("the same group arriving on an interface not named (another program holds "
                                   "that join)", ("rx", "raw-recv", "239.255.62.1", None, "eth1", 6),
                                   ("txb", "raw-send", "239.255.62.1", None, "0.0.0.0", "eth0", 0, 4, "foreign")),
        "other-group-same-port": ("another group on the same port (another program holds that join)",
                                  ("rx", "raw-recv", "239.255.62.2", None, "eth0", 6),
                                  ("txa", "raw-send", "239.255.62.2", None, "0.0.0.0", "eth0", 0, 4, "foreign")),
        "v6-same-group-other-iface": ("IPv6: the same group arriving on an interface not named (another program "
                                      "holds that join)", ("rx", "raw-recv", "ff15::62:1", None, "eth1", 6),
                                      ("txb", "raw-send", "ff15::62:1", None, "::", "eth0", 0, 4, "foreign")),
        "v6-other-group-same-port": ("IPv6: another group on the same port (another program holds that join)",
                                     ("rx", "raw-recv", "ff15::62:2", None, "eth0", 6),
                                     ("txa", "raw-send", "ff15::62:2", None, "::", "eth0", 0, 4, "foreign")),
        "unicast-to-port": ("unicast to the port", None,
                            ("txa", "raw-send", "10.77.1.1", None, "0.0.0.0", "eth0", 0, 4, "foreign")),
        "empty-datagrams": ("zero-length datagrams to the group", None,
                            ("txa", "raw-send", "239.255.62.1", None, "0.0.0.0", "eth0", 0, 4, "empty")),
    }
    for fault, (what, holder, flooder) in floods.items():
        for impl, launch in RECEIVERS.items():
            port += 1
            procs = []
            if holder:
                h = list(holder)
                h[3] = port
                procs.append(peer(*h))
            g, any_source = ("ff15::62:1", "::") if fault.startswith("v6-") else ("239.255.62.1", "0.0.0.0")
            rx = peer("rx", "gst-recv", launch.format(g=g, p=port, i="eth0"), 5)
            time.sleep(1.0)
            f = list(flooder)
            f[3] = port
            procs.append(peer(*f))
            procs.append(peer("txa", "raw-send", g, port, any_source, "eth0", RATE, 3.5, "real"))
            r = result(rx)
            for p in procs:
                result(p)
            print(json.dumps({"fault": fault, "what": what, "element": impl,
                              **summary(r, None, {"received": len(r["arrivals"]), "foreign": r["foreign"],
                                                  "empty": r["empty"], "null_ms": r.get("null_ms")})}), flush=True)


def switch():
    port = 41000
    g = "239.255.63.1"
    rows = [("udpsrc", RECEIVERS["udpsrc"]), ("mcastexpertsrc", RECEIVERS["mcastexpertsrc"]),
            ("mcastexpertsrc rejoin-interval=1", RECEIVERS["mcastexpertsrc"] + " rejoin-interval=1")]
    for impl, launch in rows:
        port += 1
        rx = peer("h2", "gst-recv", launch.format(g=g, p=port, i="eth0"), 8)
        time.sleep(1.0)
        t0 = time.monotonic()
        tx = peer("h1", "raw-send", g, port, "0.0.0.0", "eth0", RATE, 7, "real")
        run_actions([(2, f"ip netns exec sw bridge mdb del dev br0 port p2 grp {g}")], t0)
        r = result(rx)
        result(tx)
        print(json.dumps({"fault": "switch-forgets", "what": "snooping switch without a querier forgets the "
                          "membership (mdb entry deleted)", "element": impl,
                          **summary(r, None, {"received": len(r["arrivals"]), **flow(r, t0 + 2, t0 + 7)})}),
              flush=True)


BAD_INPUT = [
    # (what, stock launch line, mcastexpert launch line); run on host a of the lan lab, nothing leaves it
    ("a port that is not a number in the URI", "udpsrc uri=udp://239.255.64.1:abc ! fakesink",
     "mcastexpertsrc uri=mcast://239.255.64.1:abc ! fakesink"),
    ("an interface name with a typo", "udpsrc address=239.255.64.1 port=5000 multicast-iface=eht0 ! fakesink",
     "mcastexpertsrc groups=239.255.64.1 port=5000 iface=eht0 ! fakesink"),
    ("a unicast address as the group", "udpsrc address=10.1.2.3 port=5000 ! fakesink",
     "mcastexpertsrc groups=10.1.2.3 port=5000 ! fakesink"),
    ("a TTL out of range", "fakesrc num-buffers=1 ! udpsink host=239.255.64.1 port=5000 ttl-mc=300",
     "fakesrc num-buffers=1 ! mcastexpertsink groups=239.255.64.1 port=5000 ttl=300"),
    ("a group that is not an address", "udpsrc address=239.255.64.300 port=5000 ! fakesink",
     "mcastexpertsrc groups=239.255.64.300 port=5000 ! fakesink"),
    ("an interface that is down", "udpsrc address=239.255.64.1 port=5000 multicast-iface=dn0 ! fakesink",
     "mcastexpertsrc groups=239.255.64.1 port=5000 iface=dn0 ! fakesink"),
]


def bad_input():
    sh("ip -n a link add dn0 type veth peer name dn1")  # down, in the lab's own namespace
    for what, stock, ours in BAD_INPUT:
        for impl, line in (("stock", stock), ("mcastexpert", ours)):
            r = subprocess.run(["lab", "exec", "a", "timeout", "5", "gst-launch-1.0", "-q"] + line.split(),
                               capture_output=True, text=True)
            text = " ".join((r.stderr + r.stdout).split())
            # What a user reads: the message and the debug text, without the element paths around them.
            text = re.sub(r"from element /[^ ]*: ", "", text)
            text = re.sub(r"Additional debug info: \S+ \S+ \(\): /[^ ]*:? ?", "— ", text)
            text = re.sub(r"\(gst-launch-1.0:\d+\): GLib-GObject-WARNING \*\*: [\d:.]+: ", "GLib warning: ", text)
            text = re.sub(r" ERROR: pipeline doesn't want to preroll.*", "", text)
            if r.returncode == 124:
                outcome = "accepted, ran (stopped after 5 s)"
            elif r.returncode == 0:
                outcome = "accepted, ran to the end" + (f" ({text[:160]})" if text else "")
            else:
                outcome = text[:300] or f"exit {r.returncode}"
            print(json.dumps({"fault": "bad-input", "what": what, "element": impl, "line": line,
                              "outcome": outcome}), flush=True)


def cell_posted(r):
    parts = []
    if r.get("warnings"):
        parts.append(f"{r['warnings']} warning{'s' if r['warnings'] != 1 else ''} (first: \"{r['first_warning'][:200]}\")")
    if r.get("infos"):
        parts.append(f"{r['infos']} info")
    return ", ".join(parts) or "nothing"


def report():
    rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
    print("| fault | element | outcome | posted | foreign delivered | NULL |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r["fault"] == "bad-input":
            continue
        if not r.get("started", True):
            outcome = "did not start: " + r.get("error", "")
        elif r.get("ended_with_error"):
            outcome = "ended: " + r["error"]
        elif "gap_ms" in r:
            if not r["at_end"]:
                outcome = "kept running, but **never received again**"
            elif r.get("resumed_ms") is not None and r["gap_ms"] > 100:
                outcome = f"kept running; datagrams again {r['resumed_ms']} ms after the fault ended"
            else:
                outcome = "kept running; delivery went on"
            outcome += f" (longest gap {r['gap_ms']} ms, {r['received']} received)"
            if r.get("push_flow", "ok") != "ok":
                outcome += f"; the sink answered {r['push_flow']} and the stream ended"
        else:
            outcome = f"kept running; {r['received']} real received"
        foreign = "—" if "foreign" not in r else str(r["foreign"] + r["empty"])
        null = "—" if r.get("null_ms") is None else f"{r['null_ms']} ms"
        print(f"| {r['what']} | {r['element']} | {outcome} | {cell_posted(r)} | {foreign} | {null} |")
    bad = [r for r in rows if r["fault"] == "bad-input"]
    if bad:
        print()
        print("| bad input | element | launch line | outcome |")
        print("| --- | --- | --- | --- |")
        for r in bad:
            print(f"| {r['what']} | {r['element']} | `{r['line']}` | {r['outcome'].replace('|', '/')} |")


def main():
    if sys.argv[1] == "peer":
        kind, args = sys.argv[2], sys.argv[3:]
        if kind == "gst-recv":
            peer_gst_recv(args[0], float(args[1]))
        elif kind == "gst-send":
            peer_gst_send(args[0], float(args[1]))
        elif kind == "raw-recv":
            peer_raw_recv(args[0], int(args[1]), args[2], float(args[3]))
        elif kind == "raw-send":
            peer_raw_send(args[0], int(args[1]), args[2], args[3], int(args[4]), float(args[5]), args[6])
        return
    {"multihomed": multihomed, "switch": switch, "bad-input": bad_input, "report": report}[sys.argv[1]]()


if __name__ == "__main__":
    main()
