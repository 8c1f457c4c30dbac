// ibhebb co-simulation harness (template). sim/verilator/harness.ts fills in the port table
// below for one design; the result is compiled together with the verilated model (class Vdut).
//
// The harness is a child process that speaks a length-prefixed little-endian protocol on
// stdin/stdout (see sim/verilator/protocol.ts for the authoritative list of commands). It owns the
// clock: every command that advances time runs whole cycles here, in C++, including the AXI4-Stream
// sources and sinks found in the port list, so the host pays one round trip per transaction, never
// one per cycle.
//
// One cycle (the same in step, run and reset):
//   1. drive: each source that is not presenting a word may start presenting the head of its queue
//      (drawn with its valid probability); a presented word stays valid and stable until it is
//      transferred. Each sink draws its ready from its ready probability.
//   2. eval with clk = 0, sample the handshakes (valid && ready before the edge) and check the
//      DUT's m_axis outputs against the stream rules; dump the trace (if open).
//   3. rising edge: clk = 1, eval, dump; transferred source words leave their queues, transferred
//      sink words are recorded with the cycle number of this edge.
//   4. clk = 0, eval.

#include "Vdut.h"
#include "verilated.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
#endif

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

enum PortSize : uint8_t { P8, P16, P32, P64 };

struct PortRef {
  void* ptr;
  PortSize size;
  int width;
  bool input;
  uint64_t mask;
};

struct SourceDesc { int valid, ready, data, last; };
struct SinkDesc { int valid, ready, data, last; };

std::vector<PortRef> g_ports;
std::vector<SourceDesc> g_source_desc;
std::vector<SinkDesc> g_sink_desc;
int g_clk = -1;
int g_rst = -1;

void add_port(void* ptr, PortSize size, int width, bool input) {
  uint64_t mask = width >= 64 ? ~0ULL : ((1ULL << width) - 1);
  g_ports.push_back(PortRef{ptr, size, width, input, mask});
}

// ---- generated port table --------------------------------------------------------------------
/*@PORT_TABLE@*/
// ----------------------------------------------------------------------------------------------

inline uint64_t port_get(int i) {
  const PortRef& p = g_ports[i];
  switch (p.size) {
    case P8: return *static_cast<CData*>(p.ptr);
    case P16: return *static_cast<SData*>(p.ptr);
    case P32: return *static_cast<IData*>(p.ptr);
    default: return *static_cast<QData*>(p.ptr);
  }
}

inline void port_set(int i, uint64_t v) {
  const PortRef& p = g_ports[i];
  v &= p.mask;
  switch (p.size) {
    case P8: *static_cast<CData*>(p.ptr) = static_cast<CData>(v); break;
    case P16: *static_cast<SData*>(p.ptr) = static_cast<SData>(v); break;
    case P32: *static_cast<IData*>(p.ptr) = static_cast<IData>(v); break;
    default: *static_cast<QData*>(p.ptr) = v; break;
  }
}

// splitmix64: small, seedable, good enough for valid/ready patterns.
struct Prng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // true with probability threshold / 2^32 (threshold in [0, 2^32]).
  bool draw(uint64_t threshold) {
    if (threshold >= (1ULL << 32)) return true;
    if (threshold == 0) return false;
    return (next() >> 32) < threshold;
  }
};

uint64_t prob_threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return 1ULL << 32;
  return static_cast<uint64_t>(p * 4294967296.0);
}

struct Word { uint64_t data; bool last; };
struct Received { uint64_t data; uint64_t cycle; bool last; };

struct Source {
  SourceDesc d;
  std::deque<Word> queue;
  bool presenting = false;
  bool fire = false;  // transfer at the coming edge
  uint64_t threshold = 1ULL << 32;
  Prng rng{0};
};

struct Sink {
  SinkDesc d;
  std::vector<Received> received;
  uint64_t threshold = 1ULL << 32;
  Prng rng{0};
  bool ready = false;
  bool fire = false;  // transfer at the coming edge (word in prev_data / prev_last)
  // state of the previous sampled cycle, for the protocol checks
  bool have_prev = false;
  bool prev_valid = false, prev_ready = false, prev_last = false;
  uint64_t prev_data = 0;
};

enum ViolationKind : uint8_t { V_VALID_DROPPED = 1, V_DATA_CHANGED = 2, V_LAST_CHANGED = 3 };
struct Violation { uint16_t sink; uint8_t kind; uint64_t cycle; };
const size_t MAX_VIOLATIONS_KEPT = 1000;

std::unique_ptr<VerilatedContext> g_ctx;
std::unique_ptr<Vdut> g_top;
#if VM_TRACE_FST
std::unique_ptr<VerilatedFstC> g_trace;
bool g_trace_open = false;
#endif
std::vector<Source> g_sources;
std::vector<Sink> g_sinks;
std::vector<Violation> g_violations;
uint32_t g_violation_total = 0;
uint64_t g_cycle = 0;

inline void trace_dump() {
#if VM_TRACE_FST
  if (g_trace_open) g_trace->dump(g_ctx->time());
#endif
}

void report(uint16_t sink, uint8_t kind) {
  g_violation_total++;
  if (g_violations.size() < MAX_VIOLATIONS_KEPT) g_violations.push_back(Violation{sink, kind, g_cycle});
}

// One clock cycle; in_reset: rst is high, sources present nothing, sinks are not ready, no checks.
void cycle(bool in_reset) {
  for (Source& s : g_sources) {
    if (!s.presenting && !in_reset && !s.queue.empty() && s.rng.draw(s.threshold)) s.presenting = true;
    if (s.presenting && in_reset) s.presenting = false;  // reset withdraws the word; it stays queued
    if (s.presenting) {
      const Word& w = s.queue.front();
      port_set(s.d.data, w.data);
      if (s.d.last >= 0) port_set(s.d.last, w.last ? 1 : 0);
      port_set(s.d.valid, 1);
    } else {
      port_set(s.d.valid, 0);
    }
  }
  for (Sink& k : g_sinks) {
    k.ready = in_reset ? false : k.rng.draw(k.threshold);
    port_set(k.d.ready, k.ready ? 1 : 0);
  }
  g_top->eval();

  // sample handshakes before the edge
  for (Source& s : g_sources) s.fire = s.presenting && port_get(s.d.ready) != 0;
  for (size_t i = 0; i < g_sinks.size(); i++) {
    Sink& k = g_sinks[i];
    bool valid = port_get(k.d.valid) != 0;
    uint64_t data = port_get(k.d.data);
    bool last = k.d.last >= 0 && port_get(k.d.last) != 0;
    k.fire = valid && k.ready;
    if (in_reset) {
      k.have_prev = false;
      continue;
    }
    if (k.have_prev && k.prev_valid && !k.prev_ready) {
      if (!valid) report(static_cast<uint16_t>(i), V_VALID_DROPPED);
      else if (data != k.prev_data) report(static_cast<uint16_t>(i), V_DATA_CHANGED);
      else if (last != k.prev_last) report(static_cast<uint16_t>(i), V_LAST_CHANGED);
    }
    k.have_prev = true;
    k.prev_valid = valid;
    k.prev_ready = k.ready;
    k.prev_data = data;
    k.prev_last = last;
  }
  trace_dump();
  g_ctx->timeInc(1);

  port_set(g_clk, 1);
  g_top->eval();
  trace_dump();
  g_ctx->timeInc(1);

  for (Source& s : g_sources) {
    if (s.fire) {
      s.queue.pop_front();
      s.presenting = false;
    }
  }
  for (Sink& k : g_sinks) {
    if (k.fire) k.received.push_back(Received{k.prev_data, g_cycle, k.prev_last});
  }
  g_cycle++;

  port_set(g_clk, 0);
  g_top->eval();
}

// ---- protocol I/O ----------------------------------------------------------------------------

[[noreturn]] void die(const char* msg) {
  std::fprintf(stderr, "harness: %s\n", msg);
  std::exit(3);
}

struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  bool need(size_t n) {
    if (static_cast<size_t>(end - p) < n) ok = false;
    return ok;
  }
  uint64_t u(int bytes) {
    if (!need(bytes)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    p += bytes;
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(u(1)); }
  uint16_t u16() { return static_cast<uint16_t>(u(2)); }
  uint32_t u32() { return static_cast<uint32_t>(u(4)); }
  uint64_t u64() { return u(8); }
  double f64() {
    uint64_t b = u64();
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  }
  size_t left() const { return static_cast<size_t>(end - p); }
};

struct Writer {
  std::vector<uint8_t> b;
  void u(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u8(uint64_t v) { u(v, 1); }
  void u16(uint64_t v) { u(v, 2); }
  void u32(uint64_t v) { u(v, 4); }
  void u64(uint64_t v) { u(v, 8); }
};

// Responses accumulate here and go out in one write per batch of requests (see main).
std::vector<uint8_t> g_out;

void flush_out() {
  size_t off = 0;
  while (off < g_out.size()) {
    ssize_t n = ::write(1, g_out.data() + off, g_out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("stdout closed");
    off += static_cast<size_t>(n);
  }
  g_out.clear();
}

void send(uint8_t status, const Writer& w) {
  uint32_t len = static_cast<uint32_t>(w.b.size() + 1);
  uint8_t hdr[5] = {static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len >> 16),
                    static_cast<uint8_t>(len >> 24), status};
  g_out.insert(g_out.end(), hdr, hdr + 5);
  g_out.insert(g_out.end(), w.b.begin(), w.b.end());
}

void send_error(const std::string& msg) {
  Writer w;
  for (char c : msg) w.b.push_back(static_cast<uint8_t>(c));
  send(1, w);
}

enum Op : uint8_t {
  OP_POKE = 1, OP_PEEK = 2, OP_STEP = 3, OP_RESET = 4, OP_PUSH = 5, OP_PATTERN = 6, OP_RUN = 7,
  OP_DRAIN = 8, OP_VIOLATIONS = 9, OP_TRACE_OPEN = 10, OP_TRACE_CLOSE = 11, OP_STATUS = 12, OP_QUIT = 13,
};

enum RunFlag : uint8_t { RUN_SINK_COUNT = 1, RUN_SOURCES_EMPTY = 2 };
enum RunReason : uint8_t { R_CYCLES = 0, R_SINK_COUNT = 1, R_SOURCES_EMPTY = 2, R_MAX_CYCLES = 3 };

bool is_stream_owned(int port) {
  for (const Source& s : g_sources)
    if (port == s.d.valid || port == s.d.data || port == s.d.last) return true;
  for (const Sink& k : g_sinks)
    if (port == k.d.ready) return true;
  return false;
}

bool sources_empty() {
  for (const Source& s : g_sources)
    if (!s.queue.empty()) return false;
  return true;
}

void time_reply(Writer& w) {
  w.u64(g_cycle);
  w.u32(g_violation_total);
}

// Returns false on QUIT.
bool handle(Reader& r) {
  uint8_t op = r.u8();
  Writer w;
  switch (op) {
    case OP_POKE: {
      uint16_t port = r.u16();
      uint64_t v = r.u64();
      if (!r.ok) break;
      if (port >= g_ports.size() || !g_ports[port].input) return send_error("poke: not an input port"), true;
      if (port == g_clk) return send_error("poke: the clock is driven by the harness"), true;
      if (is_stream_owned(port)) return send_error("poke: port belongs to a stream driven by the harness"), true;
      port_set(port, v);
      g_top->eval();
      send(0, w);
      return true;
    }
    case OP_PEEK: {
      uint16_t port = r.u16();
      if (!r.ok) break;
      if (port >= g_ports.size()) return send_error("peek: no such port"), true;
      w.u64(port_get(port));
      send(0, w);
      return true;
    }
    case OP_STEP: {
      uint64_t n = r.u64();
      if (!r.ok) break;
      for (uint64_t i = 0; i < n; i++) cycle(false);
      time_reply(w);
      send(0, w);
      return true;
    }
    case OP_RESET: {
      uint32_t n = r.u32();
      if (!r.ok) break;
      if (g_rst < 0) return send_error("reset: the design has no rst port"), true;
      port_set(g_rst, 1);
      for (uint32_t i = 0; i < n; i++) cycle(true);
      port_set(g_rst, 0);
      for (Source& s : g_sources) port_set(s.d.valid, 0);
      g_top->eval();
      time_reply(w);
      send(0, w);
      return true;
    }
    case OP_PUSH: {
      uint16_t idx = r.u16();
      uint32_t n = r.u32();
      if (!r.ok) break;
      if (idx >= g_sources.size()) return send_error("push: no such source"), true;
      if (r.left() != static_cast<size_t>(n) * 8 + (n + 7) / 8) break;
      const uint8_t* bits = r.p + static_cast<size_t>(n) * 8;
      Source& s = g_sources[idx];
      uint64_t mask = g_ports[s.d.data].mask;
      for (uint32_t i = 0; i < n; i++) {
        uint64_t d = r.u64() & mask;
        s.queue.push_back(Word{d, ((bits[i >> 3] >> (i & 7)) & 1) != 0});
      }
      w.u32(static_cast<uint32_t>(s.queue.size()));
      send(0, w);
      return true;
    }
    case OP_PATTERN: {
      uint8_t kind = r.u8();
      uint16_t idx = r.u16();
      double p = r.f64();
      uint64_t seed = r.u64();
      if (!r.ok) break;
      if (kind == 0 && idx < g_sources.size()) {
        g_sources[idx].threshold = prob_threshold(p);
        g_sources[idx].rng.s = seed;
      } else if (kind == 1 && idx < g_sinks.size()) {
        g_sinks[idx].threshold = prob_threshold(p);
        g_sinks[idx].rng.s = seed;
      } else {
        return send_error("pattern: no such stream"), true;
      }
      send(0, w);
      return true;
    }
    case OP_RUN: {
      uint64_t cycles = r.u64();
      uint8_t flags = r.u8();
      uint16_t sink = r.u16();
      uint64_t n = r.u64();
      uint64_t max_cycles = r.u64();
      if (!r.ok) break;
      if ((flags & RUN_SINK_COUNT) && sink >= g_sinks.size()) return send_error("run: no such sink"), true;
      uint64_t ran = 0;
      uint8_t reason = R_MAX_CYCLES;
      for (;;) {
        if (cycles != 0 && ran >= cycles) { reason = R_CYCLES; break; }
        if ((flags & RUN_SINK_COUNT) && g_sinks[sink].received.size() >= n) { reason = R_SINK_COUNT; break; }
        if ((flags & RUN_SOURCES_EMPTY) && sources_empty()) { reason = R_SOURCES_EMPTY; break; }
        if (ran >= max_cycles) break;
        cycle(false);
        ran++;
      }
      w.u64(ran);
      w.u8(reason);
      time_reply(w);
      send(0, w);
      return true;
    }
    case OP_DRAIN: {
      uint16_t idx = r.u16();
      if (!r.ok) break;
      if (idx >= g_sinks.size()) return send_error("drain: no such sink"), true;
      std::vector<Received>& rec = g_sinks[idx].received;
      size_t n = rec.size();
      w.b.reserve(4 + n * 17);
      w.u32(n);
      for (const Received& x : rec) w.u64(x.data);
      for (const Received& x : rec) w.u64(x.cycle);
      for (size_t i = 0; i < n; i += 8) {
        uint8_t byte = 0;
        for (size_t j = i; j < n && j < i + 8; j++)
          if (rec[j].last) byte |= static_cast<uint8_t>(1u << (j - i));
        w.u8(byte);
      }
      rec.clear();
      send(0, w);
      return true;
    }
    case OP_VIOLATIONS: {
      w.u32(g_violation_total);
      w.u32(g_violations.size());
      for (const Violation& v : g_violations) {
        w.u16(v.sink);
        w.u8(v.kind);
        w.u64(v.cycle);
      }
      send(0, w);
      return true;
    }
    case OP_TRACE_OPEN: {
#if VM_TRACE_FST
      std::string path(reinterpret_cast<const char*>(r.p), r.left());
      if (g_trace_open) g_trace->close();
      g_trace->open(path.c_str());
      if (!g_trace->isOpen()) {
        g_trace_open = false;
        return send_error("trace: cannot open " + path), true;
      }
      g_trace_open = true;
      send(0, w);
#else
      send_error("trace: this model was built without trace: true");
#endif
      return true;
    }
    case OP_TRACE_CLOSE: {
#if VM_TRACE_FST
      if (g_trace_open) g_trace->close();
      g_trace_open = false;
#endif
      send(0, w);
      return true;
    }
    case OP_STATUS: {
      time_reply(w);
      w.u16(g_sources.size());
      for (const Source& s : g_sources) w.u32(s.queue.size());
      w.u16(g_sinks.size());
      for (const Sink& k : g_sinks) w.u32(k.received.size());
      send(0, w);
      return true;
    }
    case OP_QUIT: {
      send(0, w);
      return false;
    }
    default: {
      send_error("unknown command " + std::to_string(op));
      return true;
    }
  }
  send_error("malformed command " + std::to_string(op));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  g_ctx.reset(new VerilatedContext);
  g_ctx->commandArgs(argc, argv);
#if VM_TRACE_FST
  g_ctx->traceEverOn(true);
#endif
  g_top.reset(new Vdut{g_ctx.get(), "TOP"});
  bind_ports(g_top.get());
#if VM_TRACE_FST
  g_trace.reset(new VerilatedFstC);
  g_top->trace(g_trace.get(), 99);
#endif
  for (size_t i = 0; i < g_source_desc.size(); i++) {
    Source s;
    s.d = g_source_desc[i];
    s.rng.s = 0x5eed0000ULL + i;
    g_sources.push_back(s);
  }
  for (size_t i = 0; i < g_sink_desc.size(); i++) {
    Sink k;
    k.d = g_sink_desc[i];
    k.rng.s = 0x5eed1000ULL + i;
    g_sinks.push_back(k);
  }
  for (const Source& s : g_sources) port_set(s.d.valid, 0);
  port_set(g_clk, 0);
  g_top->eval();

  // Read whatever the host has sent, answer every complete request in it, then write all the
  // answers at once: pipelined requests cost one read and one write per batch, not per request.
  std::vector<uint8_t> in(1 << 16);
  size_t have = 0;
  bool running = true;
  while (running) {
    size_t pos = 0;
    while (running && have - pos >= 4) {
      const uint8_t* h = in.data() + pos;
      uint32_t len = h[0] | (h[1] << 8) | (h[2] << 16) | (static_cast<uint32_t>(h[3]) << 24);
      if (len == 0) die("empty request");
      if (have - pos - 4 < len) {
        if (in.size() < 4 + static_cast<size_t>(len)) in.resize(4 + static_cast<size_t>(len));
        break;
      }
      Reader r{h + 4, h + 4 + len};
      running = handle(r);
      pos += 4 + len;
    }
    flush_out();
    if (!running) break;
    std::memmove(in.data(), in.data() + pos, have - pos);
    have -= pos;
    if (in.size() < have + 4) in.resize(have + (1 << 16));
    ssize_t n;
    do n = ::read(0, in.data() + have, in.size() - have);
    while (n < 0 && errno == EINTR);
    if (n < 0) die("cannot read stdin");
    if (n == 0) {  // host closed stdin: exit quietly (a partial request is dropped)
      break;
    }
    have += static_cast<size_t>(n);
  }
#if VM_TRACE_FST
  if (g_trace_open) g_trace->close();
#endif
  g_top->final();
  return 0;
}
