// The load client of the TCP scenarios (`tcp_echo`, `conn_memory`): one thread, one epoll set, every connection.
//
// Compiled by the bench itself (`g++ -O2 -std=c++17`, see `client.ts`) into a cache directory the first time it is
// needed, so the bench needs nothing installed but a C++ compiler. One thread on purpose: on a 2-core machine the
// server gets the other core, and a client that costs a few hundred nanoseconds per round trip stays well ahead of
// a server that costs microseconds.
//
//   echo-client echo port=P connections=C bytes=B warmup-ms=W duration-ms=D max-round-trips=M timeout-ms=T
//                    [stall-ms=S]
//     Opens C connections to 127.0.0.1:P (at most 128 connecting at once; each checked by one round trip; giving
//     up if none completes for S ms, 5,000 by default, or all have not within T ms), then
//     every connection sends B bytes, waits for all B to come back, and sends again: W ms of warm-up, then D ms (or
//     M round trips, whichever comes first) measured. Prints one JSON line: round trips, elapsed ns, the client's
//     own CPU time over them (ns), latency quantiles (ns). Everything is closed before it exits.
//
//   echo-client hold port=P connections=C bytes=B timeout-ms=T [stall-ms=S]
//     Opens C connections the same way (each checked by one round trip), prints {"ready":true,...}, then holds
//     them idle until stdin says "close" or ends (or T ms pass), closes them all and prints {"closed":true,...}.
//
// Any failure prints `echo-client: <what>` on stderr and exits 1. The client dies with its parent
// (PR_SET_PDEATHSIG), so a killed bench leaves no client behind.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "echo-client: %s\n", what.c_str());
  std::exit(1);
}

[[noreturn]] void dieErrno(const std::string& what) { die(what + ": " + std::strerror(errno)); }

// CPU time of this process (user + system), in ns.
std::int64_t cpuNs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto ns = [](const timeval& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_usec * 1'000; };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string mode;
  int port = 0;
  long connections = 0;
  long bytes = 64;
  long warmupMs = 0;
  long durationMs = 1000;
  long maxRoundTrips = 1000000;
  long timeoutMs = 30000;
  long stallMs = 5000;
};

long number(const std::string& key, const std::string& value, long min, long max) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0' || n < min || n > max) {
    die("expected " + key + " to be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
        ", got \"" + value + "\"");
  }
  return n;
}

Options parse(int argc, char** argv) {
  if (argc < 2) die("usage: echo-client echo|hold port=P connections=C [bytes=B] ...");
  Options o;
  o.mode = argv[1];
  if (o.mode != "echo" && o.mode != "hold") die("expected a mode of echo, hold, got \"" + o.mode + "\"");
  for (int i = 2; i < argc; i++) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos) die("expected key=value, got \"" + arg + "\"");
    const std::string key = arg.substr(0, eq);
    const std::string value = arg.substr(eq + 1);
    if (key == "port") o.port = static_cast<int>(number(key, value, 1, 65535));
    else if (key == "connections") o.connections = number(key, value, 1, 1000000);
    else if (key == "bytes") o.bytes = number(key, value, 1, 65536);
    else if (key == "warmup-ms") o.warmupMs = number(key, value, 0, 600000);
    else if (key == "duration-ms") o.durationMs = number(key, value, 1, 600000);
    else if (key == "max-round-trips") o.maxRoundTrips = number(key, value, 1, 100000000);
    else if (key == "timeout-ms") o.timeoutMs = number(key, value, 1, 3600000);
    else if (key == "stall-ms") o.stallMs = number(key, value, 1, 3600000);
    else die("unknown option \"" + key + "\"");
  }
  if (o.port == 0) die("expected port=P");
  if (o.connections == 0) die("expected connections=C");
  return o;
}

struct Conn {
  int fd = -1;
  long sent = 0;      // bytes of the current message written
  long received = 0;  // bytes of its echo read back
  std::int64_t startNs = 0;
  bool writable = false;  // EPOLLOUT armed
};

class Client {
 public:
  explicit Client(const Options& o) : o_(o), message_(static_cast<std::size_t>(o.bytes)), buf_(static_cast<std::size_t>(o.bytes)) {
    for (std::size_t i = 0; i < message_.size(); i++) message_[i] = static_cast<char>('a' + i % 26);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) dieErrno("epoll_create1");
    conns_.resize(static_cast<std::size_t>(o.connections));
    std::memset(&addr_, 0, sizeof addr_);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<std::uint16_t>(o.port));
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }

  ~Client() {
    for (auto& c : conns_)
      if (c.fd >= 0) close(c.fd);
    if (ep_ >= 0) close(ep_);
  }

  // Opens every connection, each checked by one round trip; at most `kConnecting` in progress at once.
  // Dies if no connection completes its round trip for `stallNs` (the server stopped serving new connections).
  void establish(std::int64_t deadlineNs, std::int64_t stallNs) {
    const long total = o_.connections;
    long next = 0;
    established_ = 0;
    long inProgress = 0;
    std::int64_t progressNs = nowNs();
    while (established_ < total) {
      while (next < total && inProgress < kConnecting) {
        open(static_cast<std::uint32_t>(next++));
        inProgress++;
      }
      const std::int64_t stalledAt = progressNs + stallNs;
      if (nowNs() >= stalledAt) {
        die("stalled: no connection completed its first round trip for " + std::to_string(stallNs / 1'000'000) +
            " ms (" + std::to_string(established_) + " of " + std::to_string(total) + " established, " +
            std::to_string(inProgress) + " in progress)");
      }
      const int n = wait(std::min(deadlineNs, stalledAt), "connecting", deadlineNs <= stalledAt);
      for (int i = 0; i < n; i++) {
        Conn& c = conns_[events_[i].data.u32];
        if (onEvent(c, events_[i].events)) {
          established_++;
          inProgress--;
          progressNs = nowNs();
        }
      }
    }
  }

  // Ping-pong on every connection until `endNs` or `limit` round trips; returns the round trips completed, in
  // `*elapsedNs` the time from the start to the moment it stopped counting, and in `*cpu` the CPU time meanwhile.
  long pingPong(std::int64_t endNs, long limit, std::vector<std::uint32_t>* samples, std::int64_t* elapsedNs,
                std::int64_t* cpu) {
    const std::int64_t cpuStart = cpuNs();
    samples_ = samples;
    roundTrips_ = 0;
    limit_ = limit;
    stopping_ = false;
    const std::int64_t start = nowNs();
    for (auto& c : conns_) send(c, start);
    long inFlight = o_.connections;
    while (inFlight > 0) {
      if (!stopping_ && nowNs() >= endNs) stop();
      // Once stopping, the messages in flight are drained (not counted) so that every connection is quiet again.
      const int n = stopping_ ? wait(drainDeadlineNs_, "draining the last echoes") : poll(endNs);
      for (int i = 0; i < n; i++) {
        Conn& c = conns_[events_[i].data.u32];
        if (!onEvent(c, events_[i].events)) continue;
        if (stopping_) inFlight--;
        else send(c, nowNs());
      }
    }
    samples_ = nullptr;
    if (elapsedNs != nullptr) *elapsedNs = std::max<std::int64_t>(1, stopNs_ - start);
    if (cpu != nullptr) *cpu = stopCpuNs_ - cpuStart;
    return roundTrips_;
  }

  // Holds the connections idle until stdin says "close" or ends, or `deadlineNs`. Returns connections lost meanwhile.
  long hold(std::int64_t deadlineNs) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = kStdin;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, 0, &ev) < 0) dieErrno("epoll_ctl(stdin)");
    long lost = 0;
    std::string line;
    for (;;) {
      if (nowNs() >= deadlineNs) return lost;
      const int n = poll(deadlineNs);
      for (int i = 0; i < n; i++) {
        if (events_[i].data.u32 == kStdin) {
          char text[256];
          const ssize_t got = read(0, text, sizeof text);
          if (got <= 0) return lost;
          line.append(text, static_cast<std::size_t>(got));
          if (line.find("close") != std::string::npos) return lost;
          continue;
        }
        // An idle connection that wakes was closed (or reset) by the server: stop watching it.
        Conn& c = conns_[events_[i].data.u32];
        epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
        lost++;
      }
    }
  }

  long established() const { return established_; }

 private:
  static constexpr long kConnecting = 128;
  static constexpr int kEvents = 512;
  static constexpr std::uint32_t kStdin = 0xffffffffu;

  void open(std::uint32_t index) {
    Conn& c = conns_[index];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) dieErrno("socket (connection " + std::to_string(index) + ")");
    const int one = 1;
    if (setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) dieErrno("setsockopt(TCP_NODELAY)");
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) < 0 && errno != EINPROGRESS) {
      dieErrno("connect");
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = index;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) dieErrno("epoll_ctl(ADD)");
    c.writable = true;
    c.sent = c.received = 0;
    c.startNs = -1;  // connecting: the first EPOLLOUT completes the connect, then the first message goes
  }

  // Waits for events until `deadlineNs`; dies if none came by then (or returns 0, unless `dieAtDeadline`).
  int wait(std::int64_t deadlineNs, const char* what, bool dieAtDeadline = true) {
    for (;;) {
      if (nowNs() >= deadlineNs) {
        if (!dieAtDeadline) return 0;
        die(std::string("timed out ") + what + " (" + std::to_string(established_) + " of " +
            std::to_string(o_.connections) + " connections established)");
      }
      const int n = poll(deadlineNs);
      if (n > 0) return n;
    }
  }

  // Waits for events until `untilNs` at most (0 events then).
  int poll(std::int64_t untilNs) {
    const std::int64_t left = untilNs - nowNs();
    const int ms = left <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>((left + 999'999) / 1'000'000, 1000));
    const int n = epoll_wait(ep_, events_, kEvents, ms);
    if (n < 0 && errno != EINTR) dieErrno("epoll_wait");
    return n < 0 ? 0 : n;
  }

  void stop() {
    stopping_ = true;
    stopNs_ = nowNs();
    stopCpuNs_ = cpuNs();
    drainDeadlineNs_ = stopNs_ + static_cast<std::int64_t>(o_.timeoutMs) * 1'000'000;
  }

  void arm(Conn& c, bool writable, std::uint32_t index) {
    if (c.writable == writable) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (writable ? EPOLLOUT : 0u);
    ev.data.u32 = index;
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) < 0) dieErrno("epoll_ctl(MOD)");
    c.writable = writable;
  }

  std::uint32_t indexOf(const Conn& c) const { return static_cast<std::uint32_t>(&c - conns_.data()); }

  // Starts the next message at `t`.
  void send(Conn& c, std::int64_t t) {
    c.sent = c.received = 0;
    c.startNs = t;
    flush(c);
  }

  void flush(Conn& c) {
    while (c.sent < o_.bytes) {
      const ssize_t n = ::send(c.fd, message_.data() + c.sent, static_cast<std::size_t>(o_.bytes - c.sent), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        dieErrno("send");
      }
      c.sent += n;
    }
    arm(c, c.sent < o_.bytes, indexOf(c));
  }

  // Handles one epoll event; true when the connection's message came back whole.
  bool onEvent(Conn& c, std::uint32_t events) {
    if (c.startNs < 0) {
      // Connecting: EPOLLOUT (or an error) says how the connect ended.
      int error = 0;
      socklen_t len = sizeof error;
      if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) dieErrno("getsockopt(SO_ERROR)");
      if (error != 0) {
        errno = error;
        dieErrno("connect to 127.0.0.1:" + std::to_string(o_.port));
      }
      if ((events & EPOLLOUT) == 0) return false;
      send(c, nowNs());
      return false;
    }
    if ((events & EPOLLOUT) != 0 && c.sent < o_.bytes) flush(c);
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) return false;
    for (;;) {
      const long want = o_.bytes - c.received;
      if (want == 0) break;
      const ssize_t n = recv(c.fd, buf_.data(), static_cast<std::size_t>(want), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        dieErrno("recv");
      }
      if (n == 0) die("the server closed a connection mid-echo");
      if (std::memcmp(buf_.data(), message_.data() + c.received, static_cast<std::size_t>(n)) != 0) {
        die("the echo differs from the message sent");
      }
      c.received += n;
    }
    if (c.sent < o_.bytes) die("an echo came back before its message was sent");
    if (!stopping_) {
      const std::int64_t end = nowNs();
      if (samples_ != nullptr) {
        samples_->push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(end - c.startNs, 0xffffffff)));
      }
      if (++roundTrips_ >= limit_) stop();
    }
    return true;
  }

  const Options& o_;
  std::vector<char> message_;
  std::vector<char> buf_;
  std::vector<Conn> conns_;
  sockaddr_in addr_{};
  int ep_ = -1;
  epoll_event events_[kEvents]{};
  long established_ = 0;
  std::vector<std::uint32_t>* samples_ = nullptr;
  long roundTrips_ = 0;
  long limit_ = std::numeric_limits<long>::max();
  bool stopping_ = false;
  std::int64_t stopNs_ = 0;
  std::int64_t stopCpuNs_ = 0;
  std::int64_t drainDeadlineNs_ = 0;
};

// Nearest rank, as `quantile` in stats.ts: the smallest sample with at least q of them at or below it.
std::uint32_t quantile(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::max<std::size_t>(1, std::min(rank, sorted.size()));
  return sorted[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) die("the parent is gone");
  signal(SIGPIPE, SIG_IGN);
  const Options o = parse(argc, argv);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      static_cast<rlim_t>(o.connections + 16) > limit.rlim_cur) {
    die("connections=" + std::to_string(o.connections) + " needs more fds than RLIMIT_NOFILE (" +
        std::to_string(limit.rlim_cur) + ") allows");
  }
  Client client(o);
  const std::int64_t t0 = nowNs();
  client.establish(t0 + static_cast<std::int64_t>(o.timeoutMs) * 1'000'000,
                   static_cast<std::int64_t>(o.stallMs) * 1'000'000);
  const std::int64_t connectNs = nowNs() - t0;
  if (o.mode == "hold") {
    std::printf("{\"ready\":true,\"connections\":%ld,\"connectNs\":%lld}\n", client.established(),
                static_cast<long long>(connectNs));
    std::fflush(stdout);
    const long lost = client.hold(nowNs() + static_cast<std::int64_t>(o.timeoutMs) * 1'000'000);
    std::printf("{\"closed\":true,\"lost\":%ld}\n", lost);
    return 0;
  }
  long warmup = 0;
  if (o.warmupMs > 0) {
    warmup = client.pingPong(nowNs() + o.warmupMs * 1'000'000, o.maxRoundTrips, nullptr, nullptr, nullptr);
  }
  std::vector<std::uint32_t> samples;
  samples.reserve(static_cast<std::size_t>(std::min<long>(o.maxRoundTrips, 4'000'000)));
  std::int64_t elapsed = 0;
  std::int64_t cpu = 0;
  const long roundTrips =
      client.pingPong(nowNs() + o.durationMs * 1'000'000, o.maxRoundTrips, &samples, &elapsed, &cpu);
  std::sort(samples.begin(), samples.end());
  std::printf(
      "{\"connections\":%ld,\"roundTrips\":%ld,\"elapsedNs\":%lld,\"cpuNs\":%lld,\"warmupRoundTrips\":%ld,"
      "\"connectNs\":%lld,\"p50Ns\":%u,\"p90Ns\":%u,\"p99Ns\":%u,\"p999Ns\":%u,\"maxNs\":%u}\n",
      client.established(), roundTrips, static_cast<long long>(elapsed), static_cast<long long>(cpu), warmup,
      static_cast<long long>(connectNs),
      quantile(samples, 0.5), quantile(samples, 0.9), quantile(samples, 0.99), quantile(samples, 0.999),
      samples.empty() ? 0u : samples.back());
  return 0;
}
