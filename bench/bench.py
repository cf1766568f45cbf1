#!/usr/bin/env python3
"""Benchmark driver: runs sender/receiver pairs of mcastexpert-bench inside a lab and reports them.

  bench.py measure --topology veth|veth-rps|loopback --bin PATH --out FILE [--sizes ..] [--reps N] [--seconds S]
                   [--smoke]          (inside `tests/lab/lab run lan|loopback`)
  bench.py report FILE...             Markdown tables on stdout

See bench/README.md for what each column means.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

GROUP = "239.255.77.1"
PORT = 5100

# (sender, receiver): what each pairing isolates.
THROUGHPUT = [
    ("raw", "raw"),             # the machine's ceiling
    ("raw", "udpsrc"),          # stock receiver, defaults
    ("raw", "udpsrc-tuned"),    # stock receiver, buffer-size 16 MiB and mtu
    ("raw", "src"),             # ours, defaults
    ("raw", "src-tuned"),       # ours, buffer-size 16 MiB and mtu
    ("udpsink", "raw"),         # stock sender
    ("sink", "raw"),            # ours, single buffers
    ("sink-list", "raw"),       # ours, buffer lists of 64
    ("udpsink", "udpsrc-tuned"),  # stock end to end
    ("sink", "src"),            # ours end to end, single buffers
    ("sink-list", "src"),       # ours end to end, lists
]
# Packed receive (preserve-packetization=false), and MPEG-TS demuxed end to end (the sender's datagrams are then TS
# null packets): receive-limited topology (veth-rps), 1316 B.
PACKED = [("raw", "raw"), ("raw", "src-tuned"), ("raw", "src-packed"), ("raw", "src-tsdemux"),
          ("raw", "src-packed-tsdemux")]
# Pacing: frames of DATAGRAMS datagrams at FPS, sync=true, received by a raw receiver that records arrival times.
PACING_FRAMES = [(500, 50), (500, 60), (4000, 50), (4000, 60)]
PACING_IMPLS = ["sink", "sink-spread", "udpsink", "udpsink-max-bitrate"]
LATENCY = [("raw", "raw"), ("raw", "udpsrc-tuned"), ("raw", "src"), ("udpsink", "udpsrc-tuned"), ("sink", "src")]
PACED_RATES = [5000, 50000]
SMOKE = [("raw", "raw"), ("raw", "src"), ("sink", "raw"), ("sink-list", "src"), ("udpsink", "udpsrc-tuned")]


def lab_exec(host, args, **kw):
    return subprocess.Popen(["ip", "netns", "exec", host] + args, stdout=subprocess.PIPE, text=True, **kw)


def rcvbuf_errors(host):
    out = subprocess.run(["ip", "netns", "exec", host, "cat", "/proc/net/snmp"], capture_output=True, text=True).stdout
    lines = [l.split() for l in out.splitlines() if l.startswith("Udp:")]
    header, values = lines[0], lines[1]
    return int(values[header.index("RcvbufErrors")])


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        try:
            obj = json.loads(line)
            if "role" in obj:
                return obj
        except ValueError:
            continue
    return None


def one_run(env, topo, sender, receiver, size, rate, seconds):
    rx_host, tx_host = env["rx_host"], env["tx_host"]
    before = rcvbuf_errors(rx_host)
    rx = lab_exec(rx_host, ["taskset", "-c", "1", env["bin"], "recv", receiver, GROUP, str(PORT), env["rx_if"],
                            env["rx_index"], str(size), str(seconds + 4)])
    ready = rx.stdout.readline()  # {"ready": true} once joined
    if not ready:
        rx.wait()
        return {"error": f"receiver {receiver} did not start"}
    tx = lab_exec(tx_host, ["taskset", "-c", "0", env["bin"], "send", sender, GROUP, str(PORT), env["tx_if"],
                            env["tx_index"], env["tx_source"], str(size), str(rate), str(seconds)])
    tx_out, _ = tx.communicate(timeout=seconds + 60)
    rx_out, _ = rx.communicate(timeout=seconds + 60)
    after = rcvbuf_errors(rx_host)
    s, r = last_json(tx_out), last_json(rx_out)
    if s is None or r is None:
        return {"error": f"{sender} -> {receiver}: no report (sender rc {tx.returncode}, receiver rc {rx.returncode})"}
    return {"topology": topo, "size": size, "sender": sender, "receiver": receiver, "rate": rate,
            "sent": s["sent"], "send_seconds": s["seconds"], "send_cpu": s["cpu"],
            "received": r["received"], "recv_cpu": r["cpu"], "element_drops": r["element_drops"],
            "snmp_drops": after - before, "latency": r["latency"],
            "rss_warm_kib": r.get("rss_warm_kib", 0), "rss_end_kib": r.get("rss_end_kib", 0)}


def pacing_run(env, impl, datagrams, fps, seconds):
    rx = lab_exec(env["rx_host"], ["taskset", "-c", "1", env["bin"], "arrivals", GROUP, str(PORT), env["rx_index"],
                                   str(seconds + 4)])
    if not rx.stdout.readline():
        rx.wait()
        return {"error": f"arrivals receiver for {impl} did not start"}
    tx = lab_exec(env["tx_host"], ["taskset", "-c", "0", env["bin"], "frames", impl, GROUP, str(PORT), env["tx_if"],
                                   str(datagrams), str(fps), str(seconds)], stderr=subprocess.DEVNULL)
    tx_out, _ = tx.communicate(timeout=seconds + 60)
    rx_out, _ = rx.communicate(timeout=seconds + 60)
    s, r = last_json(tx_out), last_json(rx_out)
    if s is None or r is None:
        return {"error": f"pacing {impl} {datagrams}x{fps}: no report"}
    return {"kind": "pacing", "impl": impl, "datagrams": datagrams, "fps": fps, "sent": s["sent"],
            "send_cpu": s["cpu"], "received": r["received"], "highest_seq": r["highest_seq"],
            "peak_100us": r["peak_100us"], "peak_1ms": r["peak_1ms"], "gap_p50_us": r["gap_p50_us"],
            "gap_p99_us": r["gap_p99_us"]}


def measure_pacing(env, args):
    with open(args.out, "a") as out:
        for rep in range(args.reps):
            for datagrams, fps in PACING_FRAMES:
                for impl in PACING_IMPLS:
                    row = pacing_run(env, impl, datagrams, fps, args.seconds)
                    row["rep"] = rep
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(f"  pacing {datagrams}x{fps} rep {rep}: {impl}: 1 ms peak {row.get('peak_1ms', '?')} "
                          f"{row.get('error', '')}", file=sys.stderr)


def report_pacing(rows):
    pacing = [r for r in rows if r.get("kind") == "pacing"]
    if not pacing:
        return
    print("\n### Pacing: frames of 1316-byte datagrams with sync=true (veth-rps; medians over repetitions)\n")
    print("Peaks: the most datagrams in any 100 µs / 1 ms window, over the average rate's share of one (1.0 = perfectly "
          "even); the first 100 ms (the first frame, which has no timestamp gap to be paced by) are left out. "
          "Delivered counts the datagrams received after those 100 ms; all were received (highest sequence = sent). "
          "Targets for `sink-spread`: 1 ms peak ≤ 1.2, 100 µs peak ≤ 2, no loss, CPU per datagram ≤ 1.5× `sink`'s.\n")
    print("| frame | sender | sent | delivered | lost | 100 µs peak | 1 ms peak | gap p50 µs | gap p99 µs | "
          "send CPU µs/datagram |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    keys = sorted({(r["datagrams"], r["fps"]) for r in pacing})
    for datagrams, fps in keys:
        for impl in PACING_IMPLS:
            g = [r for r in pacing if r["datagrams"] == datagrams and r["fps"] == fps and r["impl"] == impl]
            if not g:
                continue
            m = lambda k: statistics.median([x[k] for x in g])
            lost = m("sent") - m("highest_seq")
            print(f"| {datagrams} × {fps}/s | {impl} | {m('sent'):.0f} | {m('received'):.0f} | {lost:.0f} | "
                  f"{m('peak_100us'):.2f} | {m('peak_1ms'):.2f} | {m('gap_p50_us'):.1f} | {m('gap_p99_us'):.1f} | "
                  f"{1e6 * m('send_cpu') / m('sent'):.2f} |")


def measure(args):
    smoke = args.smoke
    topo = args.topology
    if topo == "loopback":
        env = {"rx_host": "solo", "tx_host": "solo", "rx_if": "lo", "tx_if": "lo", "rx_index": "1", "tx_index": "1",
               "tx_source": "127.0.0.1"}
    else:
        env = {"rx_host": "b", "tx_host": "a", "rx_if": "eth0", "tx_if": "eth0",
               "rx_index": os.environ["LAB_B_ETH0_INDEX"], "tx_index": os.environ["LAB_A_ETH0_INDEX"],
               "tx_source": os.environ["LAB_A_ETH0_IPV4"]}
        for host in ("a", "b"):  # jumbo datagrams go unfragmented
            subprocess.run(["ip", "-n", host, "link", "set", "eth0", "mtu", "9000"], check=True)
        if topo == "veth-rps":
            # Steer the receive path to the receiver's core (CPU 1), as a real second host would have it.
            subprocess.run(["ip", "netns", "exec", "b", "sh", "-c", "echo 2 > /sys/class/net/eth0/queues/rx-0/rps_cpus"],
                           check=True)
    env["bin"] = args.bin
    if args.pairs == "pacing":  # the pacing pass alone
        measure_pacing(env, args)
        return 0
    if args.pairs == "packed":
        args.pairs = ",".join(f"{a}:{b}" for a, b in PACKED)
        os.environ["MCASTEXPERT_BENCH_TS"] = "1"  # TS-shaped datagrams, so tsdemux parses them for real
    if topo == "loopback" and not smoke and args.pairs in ("", None, "drain"):
        measure_drain(env, args)
    if args.pairs == "drain":  # the receive-cost measure alone
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    pairs = SMOKE if smoke else THROUGHPUT
    if args.pairs:
        pairs = [tuple(p.split(":")) for p in args.pairs.split(",")]
    with open(args.out, "a") as out:
        for rep in range(args.reps):
            for size in sizes:
                # Interleaved: every pairing once per repetition, so ratios compare runs taken moments apart.
                for sender, receiver in pairs:
                    row = one_run(env, topo, sender, receiver, size, 0, args.seconds)
                    row.update({"rep": rep, "kind": "throughput"})
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(f"  {topo} {size} B rep {rep}: {sender} -> {receiver}: "
                          f"{row.get('received', '?')}/{row.get('sent', '?')} {row.get('error', '')}", file=sys.stderr)
            if smoke or args.pairs:
                continue
            for rate in PACED_RATES:
                for sender, receiver in LATENCY:
                    row = one_run(env, topo, sender, receiver, 1316, rate, args.seconds)
                    row.update({"rep": rep, "kind": "latency"})
                    out.write(json.dumps(row) + "\n")
                    out.flush()
    return 0


DRAIN_IMPLS = ["raw", "udpsrc", "src", "src-packed", "src-pair", "src-pair-merge"]


def measure_drain(env, args):
    """Receive cost per datagram with the socket queue filled before reading starts (see bench/README.md)."""
    with open(args.out, "a") as out:
        for rep in range(args.reps):
            for size in [int(s) for s in args.sizes.split(",")]:
                count = 20000 * 1316 // max(size, 1316)  # what a 64 MiB receive buffer holds without drops
                for impl in DRAIN_IMPLS:
                    proc = lab_exec(env["rx_host"], ["taskset", "-c", "1", env["bin"], "drain", impl, "239.255.77.9",
                                                     "5200", str(size), str(count), "15"])
                    text, _ = proc.communicate(timeout=120)
                    r = last_json(text)
                    row = {"kind": "drain", "rep": rep, "size": size, "impl": impl}
                    row.update({"ns": r["ns_per_datagram"]} if r else {"error": f"drain {impl} {size} B failed"})
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(f"  drain {size} B rep {rep}: {impl}: {row.get('ns', '?')} ns", file=sys.stderr)


def report_drain(rows):
    drain = [r for r in rows if r.get("kind") == "drain"]
    if not drain:
        return
    print("\n### Receive cost per datagram, queue filled before reading (loopback; median over repetitions)\n")
    print("| size | raw recvmmsg ns | udpsrc ns | mcastexpertsrc ns | packed ns | udpsrc / raw | mcastexpertsrc / raw | "
          "packed / raw |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sorted({r["size"] for r in drain}):
        ns = {impl: statistics.median([r["ns"] for r in drain if r["size"] == size and r["impl"] == impl] or [0])
              for impl in DRAIN_IMPLS}
        raw = ns["raw"] or None
        ratio = lambda impl: fmt(ns[impl] / raw) if raw and ns[impl] else "–"
        print(f"| {size} | {ns['raw']:.0f} | {ns['udpsrc']:.0f} | {ns['src']:.0f} | {ns['src-packed']:.0f} | "
              f"{ratio('udpsrc')} | {ratio('src')} | {ratio('src-packed')} |")
    print("\n### Redundant pair: the ST 2022-7 merge's cost per datagram read (loopback; median over repetitions)\n")
    print("Two groups carrying the same RTP packets into one `mcastexpertsrc`: `redundancy=none` delivers both "
          "copies, `st2022-7` delivers one and drops the other. Target: merged ≤ 1.10× unmerged.\n")
    print("| size | two groups, none ns | two groups, st2022-7 ns | st2022-7 / none |")
    print("|---|---|---|---|")
    for size in sorted({r["size"] for r in drain}):
        pair = [statistics.median([r["ns"] for r in drain if r["size"] == size and r["impl"] == impl] or [0])
                for impl in ("src-pair", "src-pair-merge")]
        print(f"| {size} | {pair[0]:.0f} | {pair[1]:.0f} | {fmt(pair[1] / pair[0]) if pair[0] and pair[1] else '–'} |")


def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def report(args):
    rows = []
    for path in args.files:
        with open(path) as f:
            rows += [json.loads(l) for l in f if l.strip()]
    errors = [r for r in rows if "error" in r]
    rows = [r for r in rows if "error" not in r]
    drain_rows = [r for r in rows if r.get("kind") == "drain"]
    pacing_rows = [r for r in rows if r.get("kind") == "pacing"]
    rows = [r for r in rows if r.get("kind") not in ("drain", "pacing")]
    for r in rows:
        r["loss"] = 100.0 * max(r["sent"] - r["received"], 0) / r["sent"] if r["sent"] else 0.0
        r["rx_pps"] = r["received"] / r["send_seconds"] if r["send_seconds"] else 0.0
        r["tx_pps"] = r["sent"] / r["send_seconds"] if r["send_seconds"] else 0.0
        r["gbps"] = r["rx_pps"] * r["size"] * 8 / 1e9
        r["tx_cpu_mpkt"] = r["send_cpu"] / (r["sent"] / 1e6) if r["sent"] else None
        r["rx_cpu_mpkt"] = r["recv_cpu"] / (r["received"] / 1e6) if r["received"] else None
    # Ratio to raw -> raw in the same repetition: senders by packets sent, receivers and end to end by received.
    base = {(r["topology"], r["size"], r["rep"]): r for r in rows
            if r["kind"] == "throughput" and r["sender"] == "raw" and r["receiver"] == "raw"}
    for r in rows:
        b = base.get((r["topology"], r["size"], r["rep"]))
        if r["kind"] != "throughput" or b is None:
            r["ratio"] = None
        elif r["receiver"] == "raw":
            r["ratio"] = r["tx_pps"] / b["tx_pps"] if b["tx_pps"] else None
        else:
            r["ratio"] = r["rx_pps"] / b["rx_pps"] if b["rx_pps"] else None

    def med(group, key):
        vals = [g[key] for g in group if g.get(key) is not None]
        return statistics.median(vals) if vals else None

    def grouped(kind):
        out = {}
        for r in rows:
            if r["kind"] == kind:
                out.setdefault((r["topology"], r["size"], r["sender"], r["receiver"], r["rate"]), []).append(r)
        return out

    print("### Throughput (medians over repetitions)\n")
    print("| topology | size | sender → receiver | sent | received | loss % | rx kpps | Gbit/s | ratio to raw | "
          "send CPU s/Mpkt | recv CPU s/Mpkt | kernel drops (snmp / stats) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key, group in grouped("throughput").items():
        topo, size, sender, receiver, _ = key
        snmp, stats = med(group, "snmp_drops"), med(group, "element_drops")
        drops = f"{snmp:.0f} / {stats:.0f}" if receiver.startswith("src") else f"{snmp:.0f} / –"
        print(f"| {topo} | {size} | {sender} → {receiver} | {med(group, 'sent'):.0f} | {med(group, 'received'):.0f} | "
              f"{fmt(med(group, 'loss'))} | {fmt(med(group, 'rx_pps') / 1e3, 1)} | {fmt(med(group, 'gbps'))} | "
              f"{fmt(med(group, 'ratio'))} | {fmt(med(group, 'tx_cpu_mpkt'))} | {fmt(med(group, 'rx_cpu_mpkt'))} | "
              f"{drops} |")
    lat = grouped("latency")
    if lat:
        print("\n### One-way latency at paced rates, 1316 B (medians over repetitions)\n")
        print("| topology | rate (pkt/s) | sender → receiver | received/sent | p50 µs | p99 µs | p99.9 µs |")
        print("|---|---|---|---|---|---|---|")
        for key, group in lat.items():
            topo, size, sender, receiver, rate = key
            p = lambda q: statistics.median([g["latency"][q] for g in group if g.get("latency")]) \
                if any(g.get("latency") for g in group) else None
            print(f"| {topo} | {rate} | {sender} → {receiver} | {med(group, 'received'):.0f}/{med(group, 'sent'):.0f} | "
                  f"{fmt(p('p50_us'), 1)} | {fmt(p('p99_us'), 1)} | {fmt(p('p999_us'), 1)} |")
    report_drain(drain_rows)
    report_pacing(pacing_rows)
    soak = [r for r in rows if r["kind"] == "throughput" and r["received"] >= 5000000 and r.get("rss_warm_kib")]
    if soak:
        print("\n### Receiver memory over long runs (RSS after the first 100,000 datagrams, and at the end)\n")
        print("| topology | size | sender → receiver | received | RSS warm KiB | RSS end KiB | growth KiB |")
        print("|---|---|---|---|---|---|---|")
        for r in soak:
            print(f"| {r['topology']} | {r['size']} | {r['sender']} → {r['receiver']} | {r['received']} | "
                  f"{r['rss_warm_kib']} | {r['rss_end_kib']} | {r['rss_end_kib'] - r['rss_warm_kib']} |")
    if errors:
        print("\n### Runs that failed\n")
        for e in errors:
            print(f"- {e['error']}")
    return 0


def check(args):
    """Smoke check: every pairing moved packets."""
    rows = [json.loads(l) for l in open(args.file) if l.strip()]
    bad = [r for r in rows if "error" in r or r.get("received", 0) == 0]
    for r in bad:
        print(f"bench smoke: {r.get('sender')} -> {r.get('receiver')}: {r.get('error', 'nothing received')}",
              file=sys.stderr)
    print(f"bench smoke: {len(rows) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad or not rows else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--topology", required=True, choices=["veth", "veth-rps", "loopback"])
    m.add_argument("--bin", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--sizes", default="1316,1400,8972")
    m.add_argument("--reps", type=int, default=3)
    m.add_argument("--seconds", type=float, default=3.0)
    m.add_argument("--smoke", action="store_true")
    m.add_argument("--pairs", help="only these pairings, e.g. raw:raw,sink:raw (and no latency runs); 'drain', "
                                   "'pacing' or 'packed' for those passes alone")
    r = sub.add_parser("report")
    r.add_argument("files", nargs="+")
    c = sub.add_parser("check")
    c.add_argument("file")
    args = p.parse_args()
    return {"measure": measure, "report": report, "check": check}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
