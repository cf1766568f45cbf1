// Which queueing discipline sits at the root of an interface (what `tc qdisc show dev X` prints first): the
// kernel paces a socket by itself only under some of them (fq honours SO_MAX_PACING_RATE), so the sink says which.
#pragma once

#include <string>

namespace mcastexpert {

// "fq", "pfifo_fast", "noqueue", "mq", ...; empty when the kernel cannot be asked or has no root qdisc to report.
std::string root_qdisc_kind(unsigned ifindex);

}  // namespace mcastexpert
