#!/usr/bin/env python3
"""The mcastexpert tool, used as a user would, in the lab: every doctor check provoked for real, route against
`ip route get`, send/recv between two lab hosts. Each test builds its own lab (tests/lab/lab), so a setting one
test changes never leaks into another. Usage: test_tool.py LAB TOOL"""

import json
import os
import subprocess
import sys
import unittest

LAB, TOOL = sys.argv.pop(1), sys.argv.pop(1)


def lab(topology, script, check=True):
    """Runs a shell script in a fresh lab; $T is the tool. Returns the CompletedProcess."""
    r = subprocess.run([LAB, "run", topology, "--", "sh", "-c", script], env=dict(os.environ, T=TOOL),
                       capture_output=True, text=True, timeout=60)
    if check and r.returncode not in (0, 1):
        raise AssertionError(f"lab script failed ({r.returncode}):\n{script}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r


def last_json(r):
    """The JSON object the script's last tool run printed (its last line of stdout)."""
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise AssertionError(f"no JSON in output:\n{r.stdout}\n{r.stderr}")
    return json.loads(lines[-1])


def doctor(topology, setup, args):
    """Runs `setup` (shell, in the lab's control namespace), then doctor --json on host rx; returns {id: check}."""
    r = lab(topology, f"{setup} >/dev/null 2>&1; lab exec rx $T doctor --json {args}; echo rc=$?")
    checks = {c["id"]: c for c in last_json(r)["checks"]}
    checks["rc"] = int(r.stdout.strip().splitlines()[-1].split("=")[1])
    return checks


class Ifaces(unittest.TestCase):
    def test_json_lists_the_lab_interfaces_and_defaults(self):
        r = lab("multihomed", "lab exec rx $T ifaces --json")
        out = last_json(r)
        by_name = {i["name"]: i for i in out["interfaces"]}
        self.assertEqual(set(by_name), {"lo", "eth0", "eth1"})
        self.assertEqual(by_name["eth1"]["index"], int(self.fact("RX_ETH1_INDEX")))
        self.assertIn("10.77.2.1/24", by_name["eth1"]["addresses"])
        self.assertIn("fd77:2::1/64", by_name["eth1"]["addresses"])
        self.assertTrue(by_name["eth0"]["receive_default"] and by_name["eth1"]["receive_default"])
        self.assertFalse(by_name["lo"]["receive_default"])
        self.assertTrue(by_name["lo"]["loopback"] and by_name["eth1"]["multicast"] and by_name["eth1"]["up"])
        self.assertEqual(out["send_default"], {"ipv4": "eth0", "ipv6": "eth0"})

    def test_family_filter_and_down_interface(self):
        r = lab("multihomed", "lab exec rx ip link set eth1 down; lab exec rx $T ifaces -4 --json")
        by_name = {i["name"]: i for i in last_json(r)["interfaces"]}
        self.assertFalse(by_name["eth1"]["up"])
        self.assertFalse(by_name["eth1"]["receive_default"])
        self.assertEqual(by_name["eth0"]["addresses"], ["10.77.1.1/24"])
        self.assertEqual(last_json(r)["send_default"]["ipv6"], None)

    def test_human_output_marks_defaults(self):
        r = lab("multihomed", "lab exec rx $T ifaces")
        eth0 = next(l for l in r.stdout.splitlines() if " eth0 " in l)
        self.assertIn("receive, send IPv4, send IPv6", eth0)
        self.assertIn("10.77.1.1/24", eth0)

    def fact(self, name):
        r = lab("multihomed", f"echo ${{LAB_{name}}}")
        return r.stdout.strip()


class Route(unittest.TestCase):
    def ip_route_get(self, setup, group):
        r = lab("multihomed", f"{setup} >/dev/null 2>&1; lab exec rx ip route get {group}")
        words = r.stdout.split()
        return words[words.index("dev") + 1]

    def test_default_route_agrees_with_ip_route_get(self):
        out = last_json(lab("multihomed", "lab exec rx $T route 239.1.2.3 --json"))
        self.assertEqual(out["interface"], self.ip_route_get("true", "239.1.2.3"))
        self.assertEqual(out, {"group": "239.1.2.3", "interface": "eth0", "index": out["index"],
                               "source": "10.77.1.1", "reason": "default-route"})

    def test_multicast_route_agrees_with_ip_route_get(self):
        setup = "lab exec rx ip route add 239.0.0.0/8 dev eth1"
        out = last_json(lab("multihomed", f"{setup}; lab exec rx $T route 239.1.2.3 --json"))
        self.assertEqual(out["interface"], "eth1")
        self.assertEqual(out["interface"], self.ip_route_get(setup, "239.1.2.3"))
        self.assertEqual(out["reason"], "multicast-route")
        self.assertEqual(out["source"], "10.77.2.1")
        # A group outside the route still follows the default route.
        other = last_json(lab("multihomed", f"{setup}; lab exec rx $T route 238.1.2.3 --json"))
        self.assertEqual((other["interface"], other["reason"]), ("eth0", "default-route"))

    def test_iface_resolves_as_the_elements_do(self):
        for spec in ("eth1", "10.77.2.1", "fd77:2::1", "${LAB_RX_ETH1_INDEX}"):
            out = last_json(lab("multihomed", f"lab exec rx $T route 239.1.2.3 --iface {spec} --json"))
            self.assertEqual((out["interface"], out["reason"], out["source"]), ("eth1", "iface", "10.77.2.1"), spec)
        v6 = last_json(lab("multihomed", "lab exec rx $T route ff15::9 --iface eth1 --json"))
        self.assertEqual((v6["interface"], v6["source"]), ("eth1", "fd77:2::1"))
        ll = last_json(lab("multihomed", "lab exec rx $T route ff02::9%eth1 --json"))
        self.assertEqual(ll["interface"], "eth1")

    def test_no_route_exits_1_with_the_reason(self):
        r = lab("multihomed", "lab exec rx ip route del default; lab exec rx $T route 239.1.2.3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no route for 239.1.2.3", r.stderr)
        r = lab("multihomed", "lab exec rx $T route 239.1.2.3 --iface eth7")
        self.assertEqual(r.returncode, 1)
        self.assertIn("eth7", r.stderr)
        self.assertIn("eth1", r.stderr)  # the error lists what exists

    def test_bad_command_line_exits_2(self):
        for args in ("route", "route 10.1.2.3", "route 239.1.2.3 --bogus", "frobnicate", "send 239.1.2.3 --ttl 300"):
            r = lab("multihomed", f"lab exec rx $T {args}", check=False)
            self.assertEqual(r.returncode, 2, args)
            self.assertTrue(r.stderr.strip(), args)


class Doctor(unittest.TestCase):
    def test_a_healthy_lab_passes(self):
        c = doctor("multihomed", "true", "--iface eth1 --group 239.1.2.3")
        self.assertEqual(c["rc"], 0)
        for cid in ("iface-up", "iface-multicast", "iface-address", "rp-filter", "igmp-version", "max-memberships",
                    "rmem-max", "wmem-max", "memberships", "firewall", "route", "sap"):
            self.assertIn(c[cid]["status"], ("ok", "warn"), cid)
        for cid in ("iface-up", "iface-multicast", "iface-address", "rp-filter", "igmp-version", "firewall"):
            self.assertEqual(c[cid]["status"], "ok", c[cid])

    def test_interface_down(self):
        c = doctor("multihomed", "lab exec rx ip link set eth1 down", "--iface eth1")
        self.assertEqual(c["iface-up"]["status"], "fail")
        self.assertIn("ip link set dev eth1 up", c["iface-up"]["fix"])
        self.assertEqual(c["rc"], 1)

    def test_no_multicast_flag(self):
        c = doctor("multihomed", "lab exec rx ip link set eth1 multicast off", "--iface eth1")
        self.assertEqual(c["iface-multicast"]["status"], "fail")
        self.assertIn("ip link set dev eth1 multicast on", c["iface-multicast"]["fix"])

    def test_no_address_of_the_family(self):
        c = doctor("multihomed", "lab exec rx ip -4 address flush dev eth1", "--iface eth1 --group 239.1.2.3")
        self.assertEqual(c["iface-address"]["status"], "fail")
        self.assertIn("no IPv4 address", c["iface-address"]["message"])
        self.assertIn("dev eth1", c["iface-address"]["fix"])
        v6 = doctor("multihomed", "lab exec rx ip -4 address flush dev eth1", "--iface eth1 --group ff15::1")
        self.assertEqual(v6["iface-address"]["status"], "ok")

    def test_ipv6_disabled_is_named_with_its_switch(self):
        c = doctor("multihomed", "lab exec rx sysctl -qw net.ipv6.conf.eth1.disable_ipv6=1",
                   "--iface eth1 --group ff15::1")
        self.assertEqual(c["iface-address"]["status"], "fail")
        self.assertIn("IPv6 is disabled on eth1", c["iface-address"]["message"])
        self.assertIn("sysctl -w net.ipv6.conf.eth1.disable_ipv6=0", c["iface-address"]["fix"])
        host = doctor("multihomed", "lab exec rx sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                      "--iface eth1 --group ff15::1")
        self.assertIn("sysctl -w net.ipv6.conf.all.disable_ipv6=0", host["iface-address"]["fix"])

    def test_strict_rp_filter(self):
        strict = "lab exec rx sysctl -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth1.rp_filter=1"
        # txa (10.77.1.2) is routed back through eth0: its multicast arriving on eth1 is dropped.
        c = doctor("multihomed", strict, "--iface eth1 --group 232.1.2.3 --source 10.77.1.2")
        self.assertEqual(c["rp-filter"]["status"], "fail")
        self.assertIn("strict", c["rp-filter"]["message"])
        self.assertIn("rp_filter=2", c["rp-filter"]["fix"])
        # txb (10.77.2.2) is routed back through eth1: fine.
        ok = doctor("multihomed", strict, "--iface eth1 --group 232.1.2.3 --source 10.77.2.2")
        self.assertEqual(ok["rp-filter"]["status"], "ok")
        # Without a source: a warning; loose mode: fine.
        self.assertEqual(doctor("multihomed", strict, "--iface eth1")["rp-filter"]["status"], "warn")
        loose = "lab exec rx sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth1.rp_filter=2"
        self.assertEqual(doctor("multihomed", loose, "--iface eth1 --source 10.77.1.2")["rp-filter"]["status"], "ok")

    def test_route_elsewhere_and_missing(self):
        c = doctor("multihomed", "true", "--iface eth1 --group 239.1.2.3")
        self.assertEqual(c["route"]["status"], "warn")
        self.assertIn("leaves by eth0", c["route"]["message"])
        self.assertIn("ip route add 239.1.2.3/32 dev eth1", c["route"]["fix"])
        routed = doctor("multihomed", "lab exec rx ip route add 239.1.2.3/32 dev eth1", "--iface eth1 --group 239.1.2.3")
        self.assertEqual(routed["route"]["status"], "ok")
        self.assertIn("multicast route", routed["route"]["message"])
        none = doctor("multihomed", "lab exec rx ip route del default", "--iface eth1 --group 239.1.2.3")
        self.assertEqual(none["route"]["status"], "fail")
        self.assertIn("ip route add 224.0.0.0/4 dev eth1", none["route"]["fix"])

    def test_igmp_v2_with_ssm(self):
        v2 = "lab exec rx sysctl -w net.ipv4.conf.eth1.force_igmp_version=2"
        c = doctor("multihomed", v2, "--iface eth1 --group 232.1.2.3 --source 10.77.2.2")
        self.assertEqual(c["igmp-version"]["status"], "fail")
        self.assertIn("IGMPv2", c["igmp-version"]["message"])
        self.assertIn("force_igmp_version=0", c["igmp-version"]["fix"])
        self.assertEqual(doctor("multihomed", v2, "--iface eth1 --group 239.1.2.3")["igmp-version"]["status"], "ok")
        mld1 = "lab exec rx sysctl -w net.ipv6.conf.eth1.force_mld_version=1"
        self.assertEqual(doctor("multihomed", mld1, "--iface eth1 --group ff35::1 --source fd77:2::2")
                         ["igmp-version"]["status"], "fail")

    def test_tiny_membership_limits(self):
        one = "lab exec rx sysctl -w net.ipv4.igmp_max_memberships=1"
        c = doctor("multihomed", one, "--iface eth1 --group 239.1.2.3,239.1.2.4")
        self.assertEqual(c["max-memberships"]["status"], "warn")
        self.assertIn("igmp_max_memberships is 1", c["max-memberships"]["message"])
        zero = doctor("multihomed", "lab exec rx sysctl -w net.ipv4.igmp_max_memberships=0", "--iface eth1")
        self.assertEqual(zero["max-memberships"]["status"], "fail")
        msf = doctor("multihomed", "lab exec rx sysctl -w net.ipv4.igmp_max_msf=1",
                     "--iface eth1 --group 232.1.2.3 --source 10.77.2.2,10.77.2.3")
        self.assertEqual(msf["max-memberships"]["status"], "warn")
        self.assertIn("igmp_max_msf is 1", msf["max-memberships"]["message"])
        self.assertIn("igmp_max_msf", msf["max-memberships"]["fix"])

    def test_held_membership(self):
        hold = "(lab exec rx $T recv 239.1.2.3 --iface eth1 --timeout 5 &) ; sleep 0.5"
        c = doctor("multihomed", hold, "--iface eth1 --group 239.1.2.3")
        self.assertIn("eth1 holds", c["memberships"]["message"])
        self.assertIn("239.1.2.3", c["memberships"]["message"])
        other = doctor("multihomed", hold, "--iface eth0 --group 239.1.2.3")
        self.assertEqual(other["memberships"]["status"], "warn")
        self.assertIn("also joined on eth1", other["memberships"]["message"])
        ssm = "(lab exec rx $T recv 232.1.2.3 --iface eth1 --sources 10.77.2.2 --timeout 5 &) ; sleep 0.5"
        self.assertIn("232.1.2.3 (sources 10.77.2.2)",
                      doctor("multihomed", ssm, "--iface eth1 --group 232.1.2.3")["memberships"]["message"])

    def test_firewall_rule_dropping_the_port(self):
        rule = ("lab exec rx nft add table inet t; lab exec rx nft 'add chain inet t input { type filter hook input "
                "priority 0 ; }'; lab exec rx nft add rule inet t input udp dport 5004 drop")
        c = doctor("multihomed", rule, "--iface eth1 --group 239.1.2.3:5004")
        self.assertEqual(c["firewall"]["status"], "fail")
        self.assertIn("udp dport 5004 drop", c["firewall"]["message"])
        self.assertEqual(doctor("multihomed", rule, "--iface eth1 --port 6000")["firewall"]["status"], "ok")
        policy = ("lab exec rx nft add table inet t; lab exec rx nft 'add chain inet t input { type filter hook input "
                  "priority 0 ; policy drop ; }'")
        self.assertEqual(doctor("multihomed", policy, "--iface eth1")["firewall"]["status"], "fail")

    def test_sap_reception(self):
        # Healthy: each interface can hear SAP, whatever the stream's group and port.
        c = doctor("multihomed", "true", "--iface eth0,eth1 --group 239.1.2.3:5004")
        self.assertEqual(c["sap"]["status"], "ok", c["sap"])
        self.assertIn("eth1 can hear SAP (UDP 9875)", c["sap"]["message"])
        # A rule that drops 9875 silences every listener; the stream's own port is not the one that matters.
        rule = ("lab exec rx nft add table inet t; lab exec rx nft 'add chain inet t input { type filter hook input "
                "priority 0 ; }'; lab exec rx nft add rule inet t input udp dport 9875 drop")
        dropped = doctor("multihomed", rule, "--iface eth1 --group 239.1.2.3:5004")
        self.assertEqual(dropped["sap"]["status"], "fail")
        self.assertIn("drops UDP port 9875 (SAP)", dropped["sap"]["message"])
        self.assertIn("udp dport 9875 accept", dropped["sap"]["fix"])
        self.assertEqual(dropped["firewall"]["status"], "ok")  # 5004 itself passes
        # A strict reverse-path filter: announcements of devices not routed back through eth1 are dropped.
        strict = "lab exec rx sysctl -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth1.rp_filter=1"
        rp = doctor("multihomed", strict, "--iface eth1")
        self.assertEqual(rp["sap"]["status"], "warn")
        self.assertIn("strict reverse-path filter drops the SAP announcements", rp["sap"]["message"])
        down = doctor("multihomed", "lab exec rx ip link set eth1 down", "--iface eth1")
        self.assertEqual(down["sap"]["status"], "fail")
        self.assertIn("eth1 cannot hear SAP: it is down", down["sap"]["message"])

    def test_human_output_and_exit_code(self):
        r = lab("multihomed", "lab exec rx ip link set eth1 down; lab exec rx $T doctor --iface eth1")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"fail\s+iface-up\s+eth1 is down")
        self.assertIn("fix: ip link set dev eth1 up", r.stdout)


class SendRecv(unittest.TestCase):
    def test_probes_between_two_hosts(self):
        r = lab("multihomed", "lab exec rx $T recv 239.1.2.3:5010 --iface eth1 --count 5 --timeout 10 --json & "
                              "sleep 0.5; lab exec txb $T send 239.1.2.3:5010 --count 5 --interval 0.05 --ttl 3 "
                              ">/dev/null; wait")
        out = last_json(r)
        self.assertEqual((out["received"], out["lost"], out["duplicated"], out["reordered"]), (5, 0, 0, 0))
        self.assertEqual([p["seq"] for p in out["probes"]], [1, 2, 3, 4, 5])
        for p in out["probes"]:
            self.assertEqual(p["interface"], "eth1")
            self.assertEqual(p["ttl"], 3)
            self.assertEqual(p["group"], "239.1.2.3")
            self.assertTrue(p["sender"].startswith("10.77.2.2:"))
            self.assertGreaterEqual(p["latency_ms"], 0)

    def test_recv_on_the_wrong_interface_gets_nothing(self):
        r = lab("multihomed", "lab exec rx $T recv 239.1.2.3 --iface eth0 --timeout 1.5 & sleep 0.3; "
                              "lab exec txb $T send 239.1.2.3 --count 10 --interval 0.05 >/dev/null; wait $!")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no probe arrived", r.stderr)
        self.assertIn("0 received", r.stdout)

    def test_send_by_named_interface_and_ipv6(self):
        r = lab("multihomed", "lab exec rx $T recv ff15::77 --iface eth1 --count 2 --timeout 5 --json & sleep 0.5; "
                              "lab exec txb $T send ff15::77 --iface eth0 --count 2 --interval 0.05 >/dev/null; wait")
        out = last_json(r)
        self.assertEqual(out["received"], 2)
        self.assertTrue(out["probes"][0]["sender"].startswith("[fd77:2::2]:"))

    def test_source_specific_recv_ignores_other_senders(self):
        r = lab("switch", "lab exec h1 $T recv 232.1.2.3 --sources 10.77.3.2 --timeout 2 --json & sleep 0.5; "
                          "lab exec h3 $T send 232.1.2.3 --count 3 --interval 0.05 >/dev/null; "
                          "lab exec h2 $T send 232.1.2.3 --count 2 --interval 0.05 >/dev/null; wait")
        out = last_json(r)
        self.assertEqual(out["received"], 2)
        self.assertEqual({p["sender"].split(":")[0] for p in out["probes"]}, {"10.77.3.2"})

    def test_send_reports_its_interface_and_ttl(self):
        r = lab("multihomed", "lab exec rx $T send 239.1.2.3 --count 1 --ttl 2")
        self.assertEqual(r.returncode, 0)
        self.assertIn("by eth0 (default route) from 10.77.1.1", r.stdout)
        self.assertIn("TTL 2", r.stdout)
        self.assertIn("1 probes sent, 0 failed", r.stdout)

    def test_lost_and_duplicated_are_counted(self):
        # Probes 1, 2, 2, 5: one duplicate, two lost — sent by hand to the tool's receiver.
        script = ("lab exec rx $T recv 239.1.2.3 --iface eth1 --timeout 1.5 --json & sleep 0.5; lab exec txb python3 -c '"
                  "import socket,time\n"
                  "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "for n in (1,2,2,5,4):\n"
                  "  s.sendto(b\"MCASTEXPERT-PROBE 1 seq=%d sent=%d host=h \" % (n, time.time_ns()), (\"239.1.2.3\",5004))\n"
                  "s.sendto(b\"hello\", (\"239.1.2.3\",5004))\n'; wait")
        out = last_json(lab("multihomed", script))
        self.assertEqual((out["received"], out["lost"], out["duplicated"], out["reordered"], out["other"]),
                         (4, 1, 1, 1, 1))


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "sdp")


class Sdp(unittest.TestCase):
    """mcastexpert sdp reads an SDP with the source's own code."""

    def run_sdp(self, *args, stdin=None):
        return subprocess.run([TOOL, "sdp", *args], capture_output=True, text=True, input=stdin, timeout=30)

    def test_a_dup_pair_is_described_with_both_legs_and_the_launch_line(self):
        path = os.path.join(FIXTURES, "st2022-7-dup.sdp")
        r = lab("multihomed", f"lab exec rx $T sdp {path} --iface eth0,eth1 --json")
        out = last_json(r)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([(l["group"], l["port"], l["mid"]) for l in out["legs"]],
                         [("239.100.10.1", 50020, "primary"), ("239.101.10.1", 50022, "secondary")])
        self.assertEqual(out["legs"][0]["sources"], ["10.77.1.2"])
        self.assertEqual(out["redundancy"], "st2022-7")
        self.assertEqual(out["encoding"], "RAW")
        self.assertIn("a-ts-refclk", out["caps"])
        self.assertEqual(out["launch"], f"gst-launch-1.0 mcastexpertsrc sdp-file={path} iface=eth0,eth1 ! "
                                        "rtpjitterbuffer rfc7273-sync=true ! rtpvrawdepay ! videoconvert ! autovideosink")

    def test_human_output_names_the_stream_and_reads_stdin(self):
        with open(os.path.join(FIXTURES, "aes67-dante.sdp")) as f:
            r = self.run_sdp("-", stdin=f.read())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("session  Stage Box 1 : 32", r.stdout)
        self.assertIn("audio, payload type 97, L24 at 48000 Hz, packet time 1 ms", r.stdout)
        self.assertIn("239.69.83.171 port 5004 ttl 32", r.stdout)
        self.assertIn("ptp=IEEE1588-2008:00-1D-C1-FF-FE-12-34-56:0, direct=2216659908", r.stdout)
        self.assertIn("! rtpL24depay ! audioconvert ! autoaudiosink", r.stdout)

    def test_an_sdp_the_source_cannot_receive_exits_1_naming_the_line(self):
        bad = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96\r\nc=IN IP4 10.1.1.1\r\n"
        r = self.run_sdp("-", "--json", stdin=bad)
        self.assertEqual(r.returncode, 1)
        out = json.loads(r.stdout.splitlines()[-1])
        self.assertIn("line 6 ('c=IN IP4 10.1.1.1')", out["error"])
        self.assertIn("not a multicast group", out["error"])
        self.assertTrue(out["fix"])
        self.assertIn("line 6", r.stderr)
        r = self.run_sdp("/nonexistent.sdp")
        self.assertEqual(r.returncode, 1)
        self.assertIn("'/nonexistent.sdp' cannot be read", r.stderr)
        r = self.run_sdp(os.path.join(FIXTURES, "aes67-dante.sdp"), "--media", "video")
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no media description 'video'", r.stderr)
        r = lab("multihomed", f"lab exec rx $T sdp {os.path.join(FIXTURES, 'aes67-dante.sdp')} --iface eth9")
        self.assertEqual(r.returncode, 1)
        self.assertIn("eth9", r.stderr)
        self.assertEqual(self.run_sdp().returncode, 2)


class Sap(unittest.TestCase):
    """mcastexpert announce and sap, against each other and against FFmpeg's SAP muxer and demuxer."""

    AES67 = os.path.join(FIXTURES, "aes67-dante.sdp")

    def test_an_announcement_is_listed_with_its_interface_and_its_deletion_removes_it(self):
        r = lab("multihomed", f"""
lab exec rx $T sap --seconds 4 > /tmp/sap-follow.txt 2>&1 &
sleep 0.3
lab exec txa $T announce {self.AES67} --iface eth0 --interval 1 --count 2
wait; cat /tmp/sap-follow.txt
lab exec rx $T sap --seconds 3 --json &
sleep 0.3; lab exec txa $T announce {self.AES67} --iface eth0 --interval 1 --count 5 >/dev/null; wait""")
        follow = r.stdout
        self.assertIn('+ "Stage Box 1 : 32" from 10.77.1.2 on eth0 (SAP 239.255.255.255): 239.69.83.171:5004 L24/48000',
                      follow)
        self.assertIn("deleted by its announcer", follow)
        out = last_json(r)
        self.assertEqual(len(out["sessions"]), 1, r.stdout)
        session = out["sessions"][0]
        self.assertEqual((session["name"], session["interface"], session["origin"]), ("Stage Box 1 : 32", "eth0", "10.77.1.2"))
        self.assertAlmostEqual(session["period_s"], 1.0, delta=0.3)
        self.assertIn("m=audio 5004 RTP/AVP 97", session["sdp"])

    def test_an_announcement_on_one_network_is_not_heard_on_another(self):
        r = lab("multihomed", f"""
lab exec txa $T announce {self.AES67} --iface eth0 --interval 1 --count 4 >/dev/null &
lab exec rx $T sap --seconds 3 --iface eth1 --json; echo rc=$?; wait""")
        self.assertIn("rc=1", r.stdout)
        self.assertEqual(last_json(r)["sessions"], [])

    def test_ffmpegs_sap_announcement_is_listed(self):
        r = lab("multihomed", """
lab exec rx $T sap --seconds 8 --json &
sleep 0.3
lab exec txa timeout 10 ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=sample_rate=48000 -t 8 \
    -c:a pcm_s16be -f sap 'sap://239.77.1.1:5030?ttl=1'
wait""")
        sessions = last_json(r)["sessions"]
        self.assertEqual(len(sessions), 1, r.stdout + r.stderr)
        self.assertEqual(sessions[0]["sap_group"], "224.2.127.254")
        self.assertEqual(sessions[0]["stream"], "239.77.1.1:5030 L16/48000 (96)")
        self.assertEqual((sessions[0]["groups"], sessions[0]["ports"], sessions[0]["payload"]),
                         (["239.77.1.1"], [5030], "L16/48000 (96)"))
        self.assertEqual(sessions[0]["interface"], "eth0")

    def test_ffmpegs_deletion_on_exit_removes_its_session(self):
        r = lab("multihomed", """
lab exec rx $T sap --iface eth0 --seconds 9 > /tmp/sap-ffmpeg.txt 2>&1 &
sleep 0.3
lab exec txa timeout 10 ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=sample_rate=48000 -t 4 \
    -c:a pcm_s16be -metadata title='FFmpeg tone' -f sap 'sap://239.77.1.3:5034?ttl=1'
wait; cat /tmp/sap-ffmpeg.txt""")
        self.assertRegex(r.stdout, r'\+ "FFmpeg tone" from 10\.77\.1\.2 on eth0 \(SAP 224\.2\.127\.254\): 239\.77\.1\.3:5034',
                         r.stdout)
        self.assertIn('- "FFmpeg tone" from 10.77.1.2 on eth0: deleted by its announcer', r.stdout)
        self.assertIn("0 sessions heard", r.stdout)

    def test_ffmpeg_finds_and_decodes_a_stream_this_tool_announces(self):
        # A sender that cannot announce (FFmpeg's own RTP output, with the SDP it writes), made findable by the tool.
        out = f"/tmp/mcastexpert-sap-{os.getpid()}.raw"
        sdp = f"/tmp/mcastexpert-sap-{os.getpid()}.sdp"
        r = lab("multihomed", f"""
lab exec txa timeout 14 ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=sample_rate=48000 -t 13 \\
    -c:a pcm_s16be -f rtp 'rtp://239.66.5.1:5040?ttl=1' -sdp_file {sdp} >/dev/null 2>&1 &
sleep 1
lab exec txa timeout 12 $T announce {sdp} --iface eth0 --interval 1 --sap-group 224.2.127.254 >/dev/null &
lab exec rx timeout 12 ffmpeg -hide_banner -loglevel error -i sap://224.2.127.254 -t 1 -f s16be -y {out}
echo ffmpeg=$?; kill %1 %2 2>/dev/null; wait""")
        try:
            self.assertIn("ffmpeg=0", r.stdout, r.stderr)
            self.assertGreater(os.path.getsize(out), 50000)  # a second of 48 kHz mono 16-bit is 96,000 bytes
        finally:
            for f in (out, sdp):
                if os.path.exists(f):
                    os.unlink(f)


class Help(unittest.TestCase):
    def test_every_subcommand_has_help(self):
        for cmd in ("ifaces", "route", "doctor", "send", "recv", "sdp", "sap", "announce"):
            r = subprocess.run([TOOL, cmd, "--help"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, cmd)
            self.assertTrue(r.stdout.startswith(f"Usage: mcastexpert {cmd}"), r.stdout)
            self.assertIn("--help", r.stdout)
            self.assertIn("Exit code", r.stdout)
        r = subprocess.run([TOOL, "--help"], capture_output=True, text=True)
        for cmd in ("ifaces", "route", "doctor", "send", "recv", "sdp", "sap", "announce"):
            self.assertIn(cmd, r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
