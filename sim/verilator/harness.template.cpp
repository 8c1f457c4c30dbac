// ibhebb co-simulation harness (template). sim/verilator/harness.ts fills in the port table
// below for one design; the result is compiled together with the verilated model (class Vdut).
//
// The harness is a child process that speaks a length-prefixed little-endian protocol on the
// stdout it was started with (see sim/verilator/protocol.ts for the authoritative list of commands);
// the design's own $display output goes to stderr. It owns the clock: every command that advances
// time runs whole cycles here, in C++, including the AXI4-Stream sources and sinks found in the port
// list, so the host pays one round trip per transaction, never one per cycle.
//
// Values travel packed: a port of w bits takes ceil(w/8) bytes, little-endian, in every command.
//
// One cycle (the same in step, run, play and reset):
//   1. drive: each source that is not presenting a word may start presenting the head of its queue
//      (drawn with its valid probability); a presented word stays valid and stable until it is
//      transferred, and an idle source drives random data. Each sink draws its ready.
//   2. valid/ready independence (when enabled and some sink exists): eval with every sink's ready
//      inverted and remember each tvalid, then eval with the drawn readies; a tvalid that differs
//      depends on a tready, which AXI4-Stream forbids.
//   3. sample: handshakes (valid && ready before the edge), stream-rule checks of the DUT's m_axis
//      outputs and of every watched internal stream, the output ports of a PLAY; dump the trace.
//   4. rising edge: clk = 1, eval, dump; transferred source words leave their queues, transferred
//      sink words are recorded with the cycle number of this edge.
//   (clk = 0 at the start of step 1, so the falling edge costs no evaluation of its own; clk is high between
//   cycles, which changes nothing for designs clocked on the rising edge only)

#include "Vdut.h"
#include "verilated.h"
#include "verilated_syms.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
#endif

#include <csignal>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

// A value in the model's memory: `bytes` value bytes (ceil(width/8)), stored little-endian in a
// slot of `store` bytes (CData 1, SData 2, IData 4, QData 8, VlWide 4 per 32-bit word).
struct Sig {
  uint8_t* p = nullptr;
  uint32_t bytes = 0;
  uint32_t store = 0;
  uint8_t top_mask = 0xff;  // mask of the highest value byte
  int width = 0;

  void init(void* ptr, int w, uint32_t slot) {
    p = static_cast<uint8_t*>(ptr);
    width = w;
    bytes = static_cast<uint32_t>((w + 7) / 8);
    store = slot;
    top_mask = static_cast<uint8_t>(w % 8 == 0 ? 0xff : (1u << (w % 8)) - 1);
  }
  void read(uint8_t* dst) const { copy(dst, p, bytes); }
  void write(const uint8_t* src) const {
    copy(p, src, bytes);
    p[bytes - 1] &= top_mask;
    if (store > bytes) std::memset(p + bytes, 0, store - bytes);
  }
  // memcpy with the common sizes as constants (a single move instead of a call)
  static void copy(uint8_t* d, const uint8_t* s, uint32_t n) {
    switch (n) {
      case 1: *d = *s; break;
      case 2: std::memcpy(d, s, 2); break;
      case 4: std::memcpy(d, s, 4); break;
      case 8: std::memcpy(d, s, 8); break;
      default: std::memcpy(d, s, n); break;
    }
  }
  static bool same(const uint8_t* a, const uint8_t* b, uint32_t n) {
    switch (n) {
      case 1: return *a == *b;
      case 2: return std::memcmp(a, b, 2) == 0;
      case 4: return std::memcmp(a, b, 4) == 0;
      case 8: return std::memcmp(a, b, 8) == 0;
      default: return std::memcmp(a, b, n) == 0;
    }
  }
  bool bit() const { return (*p & 1) != 0; }
  void set_bit(bool v) const { *p = v ? 1 : 0; }
  // The value as an integer (ports of at most 64 bits).
  uint64_t u64() const {
    uint64_t v = 0;
    std::memcpy(&v, p, bytes < 8 ? bytes : 8);
    return v;
  }
};

struct PortRef {
  Sig s;
  bool input;
};

struct SourceDesc { int valid, ready, data, last; };
struct SinkDesc { int valid, ready, data, last; };
struct WatchDesc { const char* scope; const char* valid; const char* ready; const char* data; const char* last; int width; };
struct MemDesc { const char* scope; const char* name; int width; uint32_t depth; };

std::vector<PortRef> g_ports;
std::vector<SourceDesc> g_source_desc;
std::vector<SinkDesc> g_sink_desc;
std::vector<WatchDesc> g_watch_desc;
std::vector<MemDesc> g_mem_desc;
int g_clk = -1;
int g_rst = -1;

void add_port(void* ptr, uint32_t slot, int width, bool input) {
  PortRef r;
  r.s.init(ptr, width, slot);
  r.input = input;
  g_ports.push_back(r);
}

// ---- generated port table --------------------------------------------------------------------
/*@PORT_TABLE@*/
// ----------------------------------------------------------------------------------------------

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
  void fill(uint8_t* dst, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = next();
      std::memcpy(dst + i, &v, n - i < 8 ? n - i : 8);
    }
  }
};

uint64_t prob_threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return 1ULL << 32;
  return static_cast<uint64_t>(p * 4294967296.0);
}

struct Source {
  SourceDesc d;
  const Sig* data = nullptr;
  // queued words: data packed at stride data->bytes from qhead on, one tlast flag each
  std::vector<uint8_t> qdata;
  std::vector<uint8_t> qlast;
  size_t qhead = 0;
  bool presenting = false;
  bool fire = false;  // transfer at the coming edge
  uint64_t threshold = 1ULL << 32;
  Prng rng{0};
  Prng junk{0};       // data driven while idle
  bool fresh_idle = true;  // idle since the last transfer or reset: drive new random data
  std::vector<uint8_t> scratch;

  size_t queued() const { return qlast.size() - qhead; }
  void pop() {
    qhead++;
    if (qhead == qlast.size()) {
      qdata.clear();
      qlast.clear();
      qhead = 0;
    } else if (qhead >= 4096 && qhead * 2 >= qlast.size()) {
      qdata.erase(qdata.begin(), qdata.begin() + static_cast<std::ptrdiff_t>(qhead * data->bytes));
      qlast.erase(qlast.begin(), qlast.begin() + static_cast<std::ptrdiff_t>(qhead));
      qhead = 0;
    }
  }
};

// The stream-rule state of one monitored stream (a DUT output or an internal stream).
struct Checker {
  bool have_prev = false;
  bool prev_valid = false, prev_ready = false, prev_last = false;
  std::vector<uint8_t> prev, cur;  // data of the previous / current sampled cycle
};

struct Sink {
  SinkDesc d;
  const Sig* data = nullptr;
  std::vector<uint8_t> rdata;  // received words, packed
  std::vector<uint64_t> rcycle;
  std::vector<uint8_t> rlast;
  uint64_t lasts = 0;  // words received with tlast, ever
  uint64_t threshold = 1ULL << 32;
  Prng rng{0};
  bool ready = false;
  bool alt_valid = false;  // tvalid with the inverted ready (valid/ready independence check)
  bool fire = false;       // transfer at the coming edge (word in chk.cur / chk.prev_last)
  Checker chk;
};

struct Watch {
  Sig valid, ready, data, last;
  bool has_last = false;
  Checker chk;
};

struct Mem {
  uint8_t* base = nullptr;
  uint32_t entry = 0;  // bytes per word slot
  uint32_t depth = 0;
  Sig word(uint32_t i, int width) const {
    Sig s;
    s.init(base + static_cast<size_t>(i) * entry, width, entry);
    return s;
  }
  int width = 0;
};

enum ViolationKind : uint8_t { V_VALID_DROPPED = 1, V_DATA_CHANGED = 2, V_LAST_CHANGED = 3, V_VALID_READY = 4 };
struct Violation { uint16_t stream; uint8_t kind; uint64_t cycle; };
const size_t MAX_VIOLATIONS_KEPT = 1000;

std::unique_ptr<VerilatedContext> g_ctx;
std::unique_ptr<Vdut> g_top;
#if VM_TRACE_FST
std::unique_ptr<VerilatedFstC> g_trace;
bool g_trace_open = false;
#endif
std::vector<Source> g_sources;
std::vector<Sink> g_sinks;
std::vector<Watch> g_watches;
std::vector<Mem> g_mems;
std::vector<Violation> g_violations;
uint32_t g_violation_total = 0;
uint64_t g_cycle = 0;
bool g_check_valid_ready = true;
bool g_check_watches = true;  // the watched internal streams (CHECKS flag 2)

// Port sampling of PLAY: at the sample point of each cycle, when `cond` (if any) equals `cond_value`.
struct Sampler {
  std::vector<uint16_t> ports;
  int cond = -1;
  const uint8_t* cond_value = nullptr;
  std::vector<std::vector<uint8_t>> columns;
  std::vector<uint64_t> cycles;  // of each sample, when conditional (else every cycle is sampled)
  uint32_t count = 0;
};
Sampler* g_sampler = nullptr;
bool port_equals(const Sig& s, const uint8_t* v);
void sample(Sampler& sm);

inline void trace_dump() {
#if VM_TRACE_FST
  if (g_trace_open) g_trace->dump(g_ctx->time());
#endif
}

void report(size_t stream, uint8_t kind) {
  g_violation_total++;
  if (g_violations.size() < MAX_VIOLATIONS_KEPT) g_violations.push_back(Violation{static_cast<uint16_t>(stream), kind, g_cycle});
}

// Stream rules between two sampled cycles: once valid without ready, valid stays high and data/last
// stay stable until the transfer. `cur` must hold the data when valid.
inline void check_stream(Checker& c, size_t stream, bool valid, bool ready, bool last, size_t bytes) {
  if (c.have_prev && c.prev_valid && !c.prev_ready) {
    if (!valid) report(stream, V_VALID_DROPPED);
    else if (!Sig::same(c.cur.data(), c.prev.data(), static_cast<uint32_t>(bytes))) report(stream, V_DATA_CHANGED);
    else if (last != c.prev_last) report(stream, V_LAST_CHANGED);
  }
  c.have_prev = true;
  c.prev_valid = valid;
  c.prev_ready = ready;
  c.prev_last = last;
  if (valid) c.prev.swap(c.cur);
}

// One clock cycle; in_reset: rst is high, sources present nothing, sinks are not ready, no checks.
void cycle(bool in_reset) {
  // the falling edge: clk stays high between cycles and falls with the new inputs, one evaluation for both
  // (the generated designs use the rising edge only)
  g_ports[g_clk].s.set_bit(false);
  for (Source& s : g_sources) {
    if (in_reset) {
      s.presenting = false;  // reset withdraws the word; it stays queued
      s.fresh_idle = true;
    } else if (!s.presenting && s.queued() != 0 && s.rng.draw(s.threshold)) {
      s.presenting = true;
      s.data->write(s.qdata.data() + s.qhead * s.data->bytes);
      if (s.d.last >= 0) g_ports[s.d.last].s.set_bit(s.qlast[s.qhead] != 0);
    } else if (!s.presenting && s.fresh_idle) {
      // idle: random data and tlast, so a DUT that takes data without valid is caught
      s.fresh_idle = false;
      s.junk.fill(s.scratch.data(), s.scratch.size());
      s.data->write(s.scratch.data());
      if (s.d.last >= 0) g_ports[s.d.last].s.set_bit((s.junk.next() & 1) != 0);
    }
    g_ports[s.d.valid].s.set_bit(s.presenting);
  }
  bool vr = g_check_valid_ready && !in_reset && !g_sinks.empty();
  for (Sink& k : g_sinks) {
    k.ready = in_reset ? false : k.rng.draw(k.threshold);
    if (vr) g_ports[k.d.ready].s.set_bit(!k.ready);
  }
  if (vr) {
    g_top->eval();
    for (Sink& k : g_sinks) {
      k.alt_valid = g_ports[k.d.valid].s.bit();
      g_ports[k.d.ready].s.set_bit(k.ready);
    }
  } else {
    for (Sink& k : g_sinks) g_ports[k.d.ready].s.set_bit(k.ready);
  }
  g_top->eval();

  // sample handshakes before the edge
  for (Source& s : g_sources) s.fire = s.presenting && g_ports[s.d.ready].s.bit();
  for (size_t i = 0; i < g_sinks.size(); i++) {
    Sink& k = g_sinks[i];
    bool valid = g_ports[k.d.valid].s.bit();
    bool last = k.d.last >= 0 && g_ports[k.d.last].s.bit();
    k.fire = valid && k.ready;
    if (in_reset) {
      k.chk.have_prev = false;
      continue;
    }
    if (vr && valid != k.alt_valid) report(i, V_VALID_READY);
    if (valid) k.data->read(k.chk.cur.data());
    check_stream(k.chk, i, valid, k.ready, last, k.data->bytes);
  }
  for (size_t i = 0; g_check_watches && i < g_watches.size(); i++) {
    Watch& w = g_watches[i];
    if (in_reset) {
      w.chk.have_prev = false;
      continue;
    }
    bool valid = w.valid.bit();
    if (!valid && !(w.chk.prev_valid && !w.chk.prev_ready)) {
      // idle, no word pending from the previous cycle: no rule to check (most streams, most cycles). What
      // check_stream would remember besides this is read only after a cycle with valid high.
      w.chk.have_prev = true;
      w.chk.prev_valid = false;
      continue;
    }
    if (valid) w.data.read(w.chk.cur.data());
    check_stream(w.chk, g_sinks.size() + i, valid, w.ready.bit(), w.has_last && w.last.bit(), w.data.bytes);
  }
  if (g_sampler) sample(*g_sampler);
  trace_dump();
  g_ctx->timeInc(1);

  g_ports[g_clk].s.set_bit(true);
  g_top->eval();
  trace_dump();
  g_ctx->timeInc(1);

  for (Source& s : g_sources) {
    if (s.fire) {
      s.pop();
      s.presenting = false;
      s.fresh_idle = true;
    }
  }
  for (Sink& k : g_sinks) {
    if (k.fire) {
      // the word sampled before the edge is in chk.prev (check_stream swapped it there)
      k.rdata.insert(k.rdata.end(), k.chk.prev.begin(), k.chk.prev.begin() + k.data->bytes);
      k.rcycle.push_back(g_cycle);
      k.rlast.push_back(k.chk.prev_last ? 1 : 0);
      if (k.chk.prev_last) k.lasts++;
    }
  }
  g_cycle++;
}

// ---- protocol I/O ----------------------------------------------------------------------------

int g_out_fd = 1;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "harness: %s\n", msg.c_str());
  std::fflush(stderr);
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
  // n bytes in place (nullptr when the request is too short)
  const uint8_t* take(size_t n) {
    if (!need(n)) return nullptr;
    const uint8_t* q = p;
    p += n;
    return q;
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
  uint8_t* grow(size_t n) {
    size_t at = b.size();
    b.resize(at + n);
    return b.data() + at;
  }
};

// Responses accumulate here and go out in one write per batch of requests (see main).
std::vector<uint8_t> g_out;

void flush_out() {
  size_t off = 0;
  while (off < g_out.size()) {
    ssize_t n = ::write(g_out_fd, g_out.data() + off, g_out.size() - off);
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
  OP_PEEK_MEM = 14, OP_POKE_MEM = 15, OP_PLAY = 16, OP_CHECKS = 17,
};

enum RunFlag : uint8_t { RUN_SINK_COUNT = 1, RUN_SOURCES_EMPTY = 2, RUN_SINK_LAST = 4, RUN_PORT_EQUALS = 8 };
enum RunReason : uint8_t { R_CYCLES = 0, R_SINK_COUNT = 1, R_SOURCES_EMPTY = 2, R_MAX_CYCLES = 3, R_SINK_LAST = 4, R_PORT_EQUALS = 5 };

bool is_stream_owned(int port) {
  for (const Source& s : g_sources)
    if (port == s.d.valid || port == s.d.data || port == s.d.last) return true;
  for (const Sink& k : g_sinks)
    if (port == k.d.ready) return true;
  return false;
}

// Why an input port cannot be driven by the host, or nullptr.
const char* not_drivable(size_t port) {
  if (port >= g_ports.size() || !g_ports[port].input) return "not an input port";
  if (static_cast<int>(port) == g_clk) return "the clock is driven by the harness";
  if (is_stream_owned(static_cast<int>(port))) return "port belongs to a stream driven by the harness";
  return nullptr;
}

bool sources_empty() {
  for (const Source& s : g_sources)
    if (s.queued() != 0) return false;
  return true;
}

// Does the port's current value equal the packed value at v?
bool port_equals(const Sig& s, const uint8_t* v) {
  uint8_t buf[8];
  if (s.bytes <= 8) {
    s.read(buf);
    return std::memcmp(buf, v, s.bytes) == 0;
  }
  std::vector<uint8_t> tmp(s.bytes);
  s.read(tmp.data());
  return std::memcmp(tmp.data(), v, s.bytes) == 0;
}

void sample(Sampler& sm) {
  if (sm.cond >= 0 && !port_equals(g_ports[sm.cond].s, sm.cond_value)) return;
  for (size_t j = 0; j < sm.ports.size(); j++) {
    const Sig& s = g_ports[sm.ports[j]].s;
    std::vector<uint8_t>& col = sm.columns[j];
    size_t at = col.size();
    col.resize(at + s.bytes);
    s.read(col.data() + at);
  }
  if (sm.cond >= 0) sm.cycles.push_back(g_cycle);
  sm.count++;
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
      if (!r.ok) break;
      if (const char* why = not_drivable(port)) return send_error(std::string("poke: ") + why), true;
      const uint8_t* v = r.take(g_ports[port].s.bytes);
      if (!v || r.left() != 0) break;
      g_ports[port].s.write(v);
      g_top->eval();
      send(0, w);
      return true;
    }
    case OP_PEEK: {
      uint16_t port = r.u16();
      if (!r.ok) break;
      if (port >= g_ports.size()) return send_error("peek: no such port"), true;
      g_ports[port].s.read(w.grow(g_ports[port].s.bytes));
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
      g_ports[g_rst].s.set_bit(true);
      for (uint32_t i = 0; i < n; i++) cycle(true);
      g_ports[g_rst].s.set_bit(false);
      for (Source& s : g_sources) g_ports[s.d.valid].s.set_bit(false);
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
      Source& s = g_sources[idx];
      size_t bytes = s.data->bytes;
      if (r.left() != static_cast<size_t>(n) * bytes + (n + 7) / 8) break;
      const uint8_t* data = r.take(static_cast<size_t>(n) * bytes);
      const uint8_t* bits = r.p;
      size_t at = s.qdata.size();
      s.qdata.insert(s.qdata.end(), data, data + static_cast<size_t>(n) * bytes);
      for (uint32_t i = 0; i < n; i++) s.qdata[at + i * bytes + bytes - 1] &= s.data->top_mask;
      for (uint32_t i = 0; i < n; i++) s.qlast.push_back((bits[i >> 3] >> (i & 7)) & 1);
      w.u32(static_cast<uint32_t>(s.queued()));
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
      uint16_t last_sink = r.u16();
      uint16_t port = r.u16();
      if (!r.ok) break;
      if ((flags & RUN_SINK_COUNT) && sink >= g_sinks.size()) return send_error("run: no such sink"), true;
      if ((flags & RUN_SINK_LAST) && last_sink >= g_sinks.size()) return send_error("run: no such sink"), true;
      if ((flags & RUN_PORT_EQUALS) && port >= g_ports.size()) return send_error("run: no such port"), true;
      const uint8_t* value = nullptr;
      if (flags & RUN_PORT_EQUALS) {
        value = r.take(g_ports[port].s.bytes);
        if (!value) break;
      }
      if (r.left() != 0) break;
      uint64_t lasts0 = (flags & RUN_SINK_LAST) ? g_sinks[last_sink].lasts : 0;
      uint64_t ran = 0;
      uint8_t reason = R_MAX_CYCLES;
      for (;;) {
        if (cycles != 0 && ran >= cycles) { reason = R_CYCLES; break; }
        if ((flags & RUN_SINK_COUNT) && g_sinks[sink].rlast.size() >= n) { reason = R_SINK_COUNT; break; }
        if ((flags & RUN_SOURCES_EMPTY) && sources_empty()) { reason = R_SOURCES_EMPTY; break; }
        if ((flags & RUN_SINK_LAST) && g_sinks[last_sink].lasts != lasts0) { reason = R_SINK_LAST; break; }
        if ((flags & RUN_PORT_EQUALS) && port_equals(g_ports[port].s, value)) { reason = R_PORT_EQUALS; break; }
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
      uint8_t with_cycles = r.u8();
      if (!r.ok) break;
      if (idx >= g_sinks.size()) return send_error("drain: no such sink"), true;
      Sink& k = g_sinks[idx];
      size_t n = k.rlast.size();
      w.b.reserve(4 + k.rdata.size() + (with_cycles ? n * 8 : 0) + (n + 7) / 8);
      w.u32(n);
      w.b.insert(w.b.end(), k.rdata.begin(), k.rdata.end());
      if (with_cycles) std::memcpy(w.grow(n * 8), k.rcycle.data(), n * 8);
      uint8_t* bits = w.grow((n + 7) / 8);
      std::memset(bits, 0, (n + 7) / 8);
      for (size_t j = 0; j < n; j++)
        if (k.rlast[j]) bits[j >> 3] |= static_cast<uint8_t>(1u << (j & 7));
      k.rdata.clear();
      k.rcycle.clear();
      k.rlast.clear();
      send(0, w);
      return true;
    }
    case OP_VIOLATIONS: {
      w.u32(g_violation_total);
      w.u32(g_violations.size());
      for (const Violation& v : g_violations) {
        w.u16(v.stream);
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
      for (const Source& s : g_sources) w.u32(s.queued());
      w.u16(g_sinks.size());
      for (const Sink& k : g_sinks) w.u32(k.rlast.size());
      send(0, w);
      return true;
    }
    case OP_QUIT: {
      send(0, w);
      return false;
    }
    case OP_PEEK_MEM:
    case OP_POKE_MEM: {
      uint16_t idx = r.u16();
      uint32_t addr = r.u32();
      uint32_t count = r.u32();
      if (!r.ok) break;
      if (idx >= g_mems.size()) return send_error("memory: no such memory"), true;
      const Mem& m = g_mems[idx];
      if (static_cast<uint64_t>(addr) + count > m.depth) {
        return send_error("memory: words " + std::to_string(addr) + ".." + std::to_string(static_cast<uint64_t>(addr) + count - 1) +
                          " are outside 0.." + std::to_string(m.depth - 1)), true;
      }
      size_t bytes = static_cast<size_t>(m.width + 7) / 8;
      if (op == OP_PEEK_MEM) {
        if (r.left() != 0) break;
        uint8_t* out = w.grow(count * bytes);
        for (uint32_t i = 0; i < count; i++) m.word(addr + i, m.width).read(out + i * bytes);
      } else {
        const uint8_t* in = r.take(count * bytes);
        if (!in || r.left() != 0) break;
        for (uint32_t i = 0; i < count; i++) m.word(addr + i, m.width).write(in + i * bytes);
        g_top->eval();
      }
      send(0, w);
      return true;
    }
    case OP_PLAY: {
      // u32 n, u8 flags (1: sample only when port `cond` equals the value), u16 k inputs, k × u16 port,
      // u16 m outputs, m × u16 port, [u16 cond, value], then each input's column of n values.
      uint32_t n = r.u32();
      uint8_t flags = r.u8();
      uint16_t k = r.u16();
      if (!r.ok) break;
      std::vector<uint16_t> in(k), out;
      for (uint16_t j = 0; j < k; j++) in[j] = r.u16();
      uint16_t m = r.u16();
      if (!r.ok) break;
      out.resize(m);
      for (uint16_t j = 0; j < m; j++) out[j] = r.u16();
      if (!r.ok) break;
      for (uint16_t j = 0; j < k; j++)
        if (const char* why = not_drivable(in[j])) return send_error("play: input " + std::to_string(j) + ": " + why), true;
      for (uint16_t j = 0; j < m; j++)
        if (out[j] >= g_ports.size()) return send_error("play: no such port"), true;
      const uint8_t* cond_value = nullptr;
      uint16_t cond = 0;
      if (flags & 1) {
        cond = r.u16();
        if (!r.ok) break;
        if (cond >= g_ports.size()) return send_error("play: no such port"), true;
        cond_value = r.take(g_ports[cond].s.bytes);
        if (!cond_value) break;
      }
      std::vector<const uint8_t*> col(k);
      for (uint16_t j = 0; j < k; j++) {
        col[j] = r.take(static_cast<size_t>(n) * g_ports[in[j]].s.bytes);
        if (!col[j]) break;
      }
      if (!r.ok || r.left() != 0) break;
      Sampler sm;
      sm.ports = out;
      sm.columns.resize(m);
      if (cond_value) {
        sm.cond = cond;
        sm.cond_value = cond_value;
      } else {
        for (uint16_t j = 0; j < m; j++) sm.columns[j].reserve(static_cast<size_t>(n) * g_ports[out[j]].s.bytes);
      }
      g_sampler = &sm;
      for (uint32_t c = 0; c < n; c++) {
        for (uint16_t j = 0; j < k; j++) {
          const Sig& s = g_ports[in[j]].s;
          s.write(col[j] + static_cast<size_t>(c) * s.bytes);
        }
        cycle(false);
      }
      g_sampler = nullptr;
      w.u32(sm.count);
      for (uint16_t j = 0; j < m; j++) w.b.insert(w.b.end(), sm.columns[j].begin(), sm.columns[j].end());
      std::memcpy(w.grow(sm.cycles.size() * 8), sm.cycles.data(), sm.cycles.size() * 8);
      time_reply(w);
      send(0, w);
      return true;
    }
    case OP_CHECKS: {
      uint8_t flags = r.u8();
      if (!r.ok) break;
      g_check_valid_ready = (flags & 1) != 0;
      bool watches = (flags & 2) != 0;
      // switched back on: no rule spans the cycles they were off
      if (watches && !g_check_watches) for (Watch& wt : g_watches) wt.chk.have_prev = false;
      g_check_watches = watches;
      send(0, w);
      return true;
    }
    default: {
      send_error("unknown command " + std::to_string(op));
      return true;
    }
  }
  send_error("malformed command " + std::to_string(op));
  return true;
}

// A public variable of the model by scope ("TOP.<top>.<instance>...") and name.
VerilatedVar* find_var(const char* scope, const char* name) {
  const VerilatedScope* s = g_ctx->scopeFind(scope);
  if (!s) die(std::string("no scope ") + scope + " in the verilated model (instance path of a watched stream or memory)");
  VerilatedVar* v = s->varFind(name);
  if (!v) die(std::string("no public variable ") + name + " in " + scope);
  return v;
}

int var_width(const VerilatedVar* v) {
  int l = v->left(0), r = v->right(0);
  return (l > r ? l - r : r - l) + 1;
}

void bind_sig(Sig& s, const char* scope, const char* name, int width) {
  VerilatedVar* v = find_var(scope, name);
  if (v->udims() != 0 || var_width(v) != width) {
    die(std::string(scope) + "." + name + ": expected a " + std::to_string(width) + "-bit signal, the model has " +
        std::to_string(var_width(v)) + " bits and " + std::to_string(v->udims()) + " unpacked dimensions");
  }
  s.init(v->datap(), width, static_cast<uint32_t>(v->entSize()));
}

void bind_public() {
  for (const WatchDesc& d : g_watch_desc) {
    Watch w;
    bind_sig(w.valid, d.scope, d.valid, 1);
    bind_sig(w.ready, d.scope, d.ready, 1);
    bind_sig(w.data, d.scope, d.data, d.width);
    if (d.last[0] != '\0') {
      bind_sig(w.last, d.scope, d.last, 1);
      w.has_last = true;
    }
    w.chk.prev.resize(w.data.bytes + 8);
    w.chk.cur.resize(w.data.bytes + 8);
    g_watches.push_back(std::move(w));
  }
  for (const MemDesc& d : g_mem_desc) {
    VerilatedVar* v = find_var(d.scope, d.name);
    int lo = v->udims() == 1 ? (v->left(1) < v->right(1) ? v->left(1) : v->right(1)) : -1;
    int hi = v->udims() == 1 ? (v->left(1) < v->right(1) ? v->right(1) : v->left(1)) : -1;
    if (v->udims() != 1 || lo != 0 || static_cast<uint32_t>(hi) + 1 != d.depth || var_width(v) != d.width) {
      die(std::string(d.scope) + "." + d.name + ": expected memory [0:" + std::to_string(d.depth - 1) + "] of " +
          std::to_string(d.width) + "-bit words, the model has " + std::to_string(var_width(v)) + "-bit words, " +
          std::to_string(v->udims()) + " unpacked dimensions [" + std::to_string(lo) + ":" + std::to_string(hi) + "]");
    }
    Mem m;
    m.base = static_cast<uint8_t*>(v->datap());
    m.entry = static_cast<uint32_t>(v->entSize());
    m.depth = d.depth;
    m.width = d.width;
    g_mems.push_back(m);
  }
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __linux__
  // Die with the host process, even in the middle of a long run (when stdin is not being read).
  pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) return 0;
#endif
  // The protocol keeps the stdout we were started with; the design's $display output goes to stderr.
  g_out_fd = ::dup(1);
  if (g_out_fd < 0 || ::dup2(2, 1) < 0) die("cannot set up the protocol channel");

  g_ctx.reset(new VerilatedContext);
  g_ctx->commandArgs(argc, argv);
#if VM_TRACE_FST
  g_ctx->traceEverOn(true);
#endif
  g_top.reset(new Vdut{g_ctx.get(), "TOP"});
  bind_ports(g_top.get());
  bind_public();
#if VM_TRACE_FST
  g_trace.reset(new VerilatedFstC);
  g_top->trace(g_trace.get(), 99);
#endif
  for (size_t i = 0; i < g_source_desc.size(); i++) {
    Source s;
    s.d = g_source_desc[i];
    s.data = &g_ports[s.d.data].s;
    s.rng.s = 0x5eed0000ULL + i;
    s.junk.s = 0x6a6e6b00ULL + i;
    s.scratch.resize(s.data->bytes);
    g_sources.push_back(std::move(s));
  }
  for (size_t i = 0; i < g_sink_desc.size(); i++) {
    Sink k;
    k.d = g_sink_desc[i];
    k.data = &g_ports[k.d.data].s;
    k.rng.s = 0x5eed1000ULL + i;
    k.chk.prev.resize(k.data->bytes + 8);
    k.chk.cur.resize(k.data->bytes + 8);
    g_sinks.push_back(std::move(k));
  }
  for (const Source& s : g_sources) g_ports[s.d.valid].s.set_bit(false);
  g_ports[g_clk].s.set_bit(false);
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
