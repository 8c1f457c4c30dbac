// Drives the verilated default Hebbian unit (top `hebbian`, prefix Vhebbian) through back-to-back fused
// layer-1 passes for a given number of clock cycles, with a δ source and an accumulator sink that are
// always ready; no host, loader or harness traffic. Used by bench/units/hebbian-instr.ts to count the
// instructions the model itself executes per clock cycle (valgrind --tool=callgrind, difference of two runs),
// and to time it: the loop's own CPU time (the model's construction and reset excluded) is printed with the
// cycles per CPU second.
//   usage: hebbian-drive <cycles>
#include "Vhebbian.h"
#include "verilated.h"
#include <cstdio>
#include <cstdlib>
#include <ctime>

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  const long cycles = argc > 1 ? atol(argv[1]) : 10000;
  Vhebbian* m = new Vhebbian;
  auto tick = [m]() {
    m->clk = 0;
    m->eval();
    m->clk = 1;
    m->eval();
  };
  m->rst = 1;
  m->start = m->hl_start = m->host_we = m->host_re = m->s_axis_h_tvalid = 0;
  m->s_axis_delta_tvalid = m->m_axis_acc_tready = 1;
  tick();
  tick();
  m->rst = 0;
  long c = 0;
  long passes = 0;
  timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  while (c < cycles) {
    m->cmd_layer = m->cmd_cur = 0;  // layer 1: update with slot 0, forward slot 1
    m->cmd_update = m->cmd_forward = m->cmd_nxt = m->start = 1;
    tick();
    c++;
    m->start = 0;
    while (!m->done && c < cycles) {
      m->s_axis_delta_tdata = (c * 37) % 1000 - 500;  // δ ≠ 0: every row updates
      tick();
      c++;
    }
    passes++;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  const double sec = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  printf("cycles %ld passes %ld cpu_seconds %.6f cycles_per_cpu_second %.0f\n", c, passes, sec, c / sec);
  delete m;
  return 0;
}
