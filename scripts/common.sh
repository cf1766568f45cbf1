# Shared by scripts/test, scripts/demo and scripts/lint: find the tree, install what is missing, build.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MCASTEXPERT_BUILD_DIR:-$top/build}

# Debian 12 packages the project needs to build, test and demo.
packages=(
  g++ meson ninja-build pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad  # tsdemux and mpegtsmux: packed MPEG-TS receive, its test and its benchmark row
  libgtest-dev clang-format
  iproute2 util-linux procps
  python3   # the tool's lab test (tests/tool) and the benchmark's report
  python3-gi gir1.2-gstreamer-1.0  # the cookbook's Python example (docs/examples/receive-meta.py), run by tests/docs
  nftables  # the tool's firewall check, provoked in its lab test
  debhelper dpkg-dev  # the Debian package (scripts/package) and its install test
  clang libclang-rt-14-dev  # the libFuzzer targets (fuzz/run)
  ffmpeg  # a real peer for stream descriptions: plays the sink's SDP, writes its own (-sdp_file)
  gstreamer1.0-libav gstreamer1.0-plugins-ugly  # avdec_h264 and x264enc: H.264 through SDPs in the lab tests
  gstreamer1.0-plugins-base-apps  # gst-device-monitor-1.0: the SAP device provider as users list it
  linuxptp  # ptp4l as the lab's PTP grandmaster, for the sink's RFC 7273 clock lines
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# ensure_packages [EXTRA...] — installs missing packages when root; otherwise prints the exact command and stops.
ensure_packages() {
  local missing=() p
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build — configures once (warnings are errors), then rebuilds only what changed.
build() {
  if [ ! -f "$build_dir/build.ninja" ]; then
    say "Configuring $build_dir"
    meson setup "$build_dir" "$top" --werror ${meson_setup_args[@]+"${meson_setup_args[@]}"} >/dev/null
  fi
  say "Building"
  meson compile -C "$build_dir" >/dev/null || meson compile -C "$build_dir"
}
