#!/usr/bin/env python3
"""Runs every recipe of docs/cookbook.md in the lab, as written: each block marked `<!-- lab: TOPOLOGY -->` starts
its senders ("# on HOST" says where), then runs the last command — the receiver — with num-buffers added to its
source, and passes when that receiver gets its buffers and ends cleanly. Then the two application examples
(docs/examples/receive-meta.c and .py) are built and run the way the cookbook says, and their output checked; and
the device provider's Python example of docs/discovery.md.
Usage: test_cookbook.py LAB SOURCE_DIR"""

import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

LAB, SRC = sys.argv.pop(1), sys.argv.pop(1)
COOKBOOK = os.path.join(SRC, "docs", "cookbook.md")
# Debian's python3 has PyGObject; a python3 earlier on PATH (pyenv, venv) may not.
SYSTEM_PATH = "/usr/bin:/bin:" + os.environ.get("PATH", "")


def missing_elements(command):
    """Elements of a launch line this machine lacks (only those may excuse a recipe)."""
    names = set(re.findall(r"(?:^|!)\s*([a-z0-9_]+)(?=\s|$)", command.replace("gst-launch-1.0", "!", 1)))
    return sorted(n for n in names
                  if subprocess.run(["gst-inspect-1.0", n], capture_output=True).returncode != 0)


def recipes():
    with open(COOKBOOK) as f:
        text = f.read()
    for m in re.finditer(r"<!-- lab: (\w+) -->\s*```sh\n(.*?)```", text, re.S):
        topology, body = m.group(1), m.group(2).replace("\\\n", " ")
        steps, host = [], None
        for line in body.splitlines():
            on = re.match(r"#\s*on (\w+)", line)
            if on:
                host = on.group(1)
            elif line.startswith("gst-launch-1.0"):
                steps.append((host, line))
        yield topology, steps


def with_num_buffers(command, n):
    return re.sub(r"\b(mcastexpertsrc|udpsrc)\b", rf"\1 num-buffers={n}", command, count=1)


def run_in_lab(topology, script, timeout=90):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(script)
    try:
        return subprocess.run([LAB, "run", topology, "--", "sh", f.name], capture_output=True, text=True,
                              timeout=timeout, env=dict(os.environ, PATH=SYSTEM_PATH))
    finally:
        os.unlink(f.name)


class Cookbook(unittest.TestCase):
    def test_there_are_recipes(self):
        self.assertGreaterEqual(len(list(recipes())), 10)

    def test_every_recipe_runs_in_the_lab(self):
        for topology, steps in recipes():
            receiver_host, receiver = steps[-1]
            with self.subTest(receiver=receiver[:100]):
                self.assertGreaterEqual(len(steps), 2, "a recipe has a sender and a receiver")
                absent = missing_elements(" ! ".join(c for _, c in steps))
                if absent:
                    print(f"skipped (this machine lacks {', '.join(absent)}): {receiver[:80]}", file=sys.stderr)
                    continue
                script = "set -u\n"
                for host, command in steps[:-1]:
                    script += f"lab exec {host} timeout 40 {command} >/dev/null 2>&1 &\n"
                script += "sleep 1\n"
                script += f"lab exec {receiver_host} timeout 30 {with_num_buffers(receiver, 40)}\nrc=$?\n"
                script += "exit $rc  # the lab ends every sender with it\n"
                r = run_in_lab(topology, script)
                self.assertEqual(r.returncode, 0, f"{topology}:\n{script}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


class Examples(unittest.TestCase):
    SENDER = ("lab exec a timeout 20 gst-launch-1.0 -q audiotestsrc is-live=true ! rtpL16pay "
              "! mcastexpertsink groups=239.1.2.3:5004 iface=eth0 >/dev/null 2>&1 &\nsleep 0.5\n")
    LINE = re.compile(r"^\d+ bytes to 239\.1\.2\.3:5004 on eth0 \(index \d+\) from 10\.77\.1\.1:\d+$")

    def check_output(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(len(lines), 5, r.stdout)
        for line in lines:
            self.assertRegex(line, self.LINE)

    def test_c_example(self):
        with tempfile.TemporaryDirectory() as d:
            exe = os.path.join(d, "receive-meta")
            flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gstreamer-1.0", "gstreamer-net-1.0",
                                    "gstreamer-app-1.0", "gio-2.0"], capture_output=True, text=True, check=True).stdout.split()
            subprocess.run(["cc", os.path.join(SRC, "docs/examples/receive-meta.c"), "-o", exe] + flags, check=True)
            r = run_in_lab("lan", self.SENDER + f"lab exec b timeout 20 {shlex.quote(exe)} 239.1.2.3 eth0 5\n"
                                                "exit $?\n")
            self.check_output(r)

    def test_python_example(self):
        script = os.path.join(SRC, "docs/examples/receive-meta.py")
        r = run_in_lab("lan", self.SENDER + f"lab exec b timeout 20 python3 {shlex.quote(script)} 239.1.2.3 eth0 5\n"
                                            "exit $?\n")
        self.check_output(r)


class Discovery(unittest.TestCase):
    """docs/examples/list-announced.py, as docs/discovery.md shows it: the device provider from Python lists a stream
    a sink announces on LAN A (rx eth0), with the source that receives it, and drops it when the sender stops."""

    def test_python_device_monitor(self):
        script = os.path.join(SRC, "docs/examples/list-announced.py")
        r = run_in_lab("multihomed", f"""
lab exec rx timeout 20 python3 {shlex.quote(script)} 6 > /tmp/announced.$$ 2>&1 &
sleep 1
lab exec txa timeout 3 gst-launch-1.0 -q audiotestsrc is-live=true ! audioconvert ! rtpL24pay \
    ! mcastexpertsink groups=239.81.0.1:5004 iface=eth0 sap=true sap-interval=1 session-name="Python stream" \
    >/dev/null 2>&1
wait %1; cat /tmp/announced.$$; rm -f /tmp/announced.$$
""")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertIn("+ Python stream (Audio/Source/Network): 239.81.0.1 port 5004 from 10.77.1.2 on eth0", lines,
                      r.stdout)
        self.assertIn("  mcastexpertsrc iface=eth0", lines, r.stdout)
        self.assertIn("- Python stream", lines, r.stdout)  # the sender's deletion, at its stop


if __name__ == "__main__":
    unittest.main(verbosity=2)
