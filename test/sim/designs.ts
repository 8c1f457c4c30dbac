/**
 * Small hand-written Verilog designs for the co-simulation runner's tests and benchmark, each with
 * the port list the generator would hand over. (Generated modules replace these in later tests.)
 */
import type { BuildSpec, PortSpec } from '../../sim/verilator/index.js';

const clkRst: PortSpec[] = [
  { name: 'clk', dir: 'in', width: 1 },
  { name: 'rst', dir: 'in', width: 1 },
];

/** The port list entries of stream `bus`: an input stream (s_axis_<bus>_*) or an output stream (m_axis_<bus>_*). */
function stream(kind: 'in' | 'out', bus: string, width: number, last = false): PortSpec[] {
  const p = `${kind === 'in' ? 's' : 'm'}_axis_${bus}_`;
  const fwd = kind === 'in' ? 'in' : 'out';
  const back = kind === 'in' ? 'out' : 'in';
  return [
    { name: `${p}tvalid`, dir: fwd, width: 1 },
    { name: `${p}tready`, dir: back, width: 1 },
    { name: `${p}tdata`, dir: fwd, width },
    ...(last ? [{ name: `${p}tlast`, dir: fwd, width: 1 } as PortSpec] : []),
  ];
}

/**
 * Registered arithmetic over narrow, signed and 64-bit ports, plus a free-running counter cleared by
 * reset:
 *   sum   <= a + b            (u16 + u16 → u17)
 *   sdiff <= c - d            (s40 - s40 → s41)
 *   mix   <= e ^ {b, a, b, a} (u64)
 *   count <= rst ? 0 : count + 1
 */
export const ADDER: BuildSpec = {
  top: 'reg_adder',
  files: [
    {
      name: 'reg_adder.v',
      text: `module reg_adder (
  input  wire               clk,
  input  wire               rst,
  input  wire        [15:0] a,
  input  wire        [15:0] b,
  input  wire signed [39:0] c,
  input  wire signed [39:0] d,
  input  wire        [63:0] e,
  output reg         [16:0] sum,
  output reg  signed [40:0] sdiff,
  output reg         [63:0] mix,
  output reg         [7:0]  count
);
  always @(posedge clk) begin
    sum   <= {1'b0, a} + {1'b0, b};
    sdiff <= {c[39], c} - {d[39], d};
    mix   <= e ^ {b, a, b, a};
    count <= rst ? 8'd0 : count + 8'd1;
  end
endmodule
`,
    },
  ],
  ports: [
    ...clkRst,
    { name: 'a', dir: 'in', width: 16 },
    { name: 'b', dir: 'in', width: 16 },
    { name: 'c', dir: 'in', width: 40, signed: true },
    { name: 'd', dir: 'in', width: 40, signed: true },
    { name: 'e', dir: 'in', width: 64 },
    { name: 'sum', dir: 'out', width: 17 },
    { name: 'sdiff', dir: 'out', width: 41, signed: true },
    { name: 'mix', dir: 'out', width: 64 },
    { name: 'count', dir: 'out', width: 8 },
  ],
};

/**
 * Stream pass-through through a 2-entry skid buffer (full throughput, registered valid/data, ready
 * from a register). A monitor on the input side counts cycles where the harness broke the stream
 * rules as a source (`mon_errors`) and cycles the input was back-pressured (`mon_stalls`).
 */
export const SKID: BuildSpec = {
  top: 'skid',
  files: [
    {
      name: 'skid.v',
      text: `module skid (
  input  wire        clk,
  input  wire        rst,
  input  wire        s_axis_in_tvalid,
  output wire        s_axis_in_tready,
  input  wire [15:0] s_axis_in_tdata,
  input  wire        s_axis_in_tlast,
  output wire        m_axis_out_tvalid,
  input  wire        m_axis_out_tready,
  output wire [15:0] m_axis_out_tdata,
  output wire        m_axis_out_tlast,
  output reg  [15:0] mon_errors,
  output reg  [31:0] mon_stalls
);
  reg [16:0] main_d, skid_d;
  reg        main_v, skid_v;
  wire in_fire  = s_axis_in_tvalid && s_axis_in_tready;
  wire out_fire = main_v && m_axis_out_tready;
  assign s_axis_in_tready  = !skid_v;
  assign m_axis_out_tvalid = main_v;
  assign m_axis_out_tdata  = main_d[15:0];
  assign m_axis_out_tlast  = main_d[16];

  always @(posedge clk) begin
    if (rst) begin
      main_v <= 1'b0;
      skid_v <= 1'b0;
    end else if (!main_v || out_fire) begin
      if (skid_v) begin
        main_d <= skid_d;
        main_v <= 1'b1;
        skid_v <= 1'b0;
      end else begin
        main_d <= {s_axis_in_tlast, s_axis_in_tdata};
        main_v <= in_fire;
      end
    end else if (in_fire) begin
      skid_d <= {s_axis_in_tlast, s_axis_in_tdata};
      skid_v <= 1'b1;
    end
  end

  // Input-side monitor: once valid is high without ready, valid must stay high and data/last stable.
  reg        held;
  reg [16:0] held_d;
  always @(posedge clk) begin
    if (rst) begin
      held       <= 1'b0;
      mon_errors <= 16'd0;
      mon_stalls <= 32'd0;
    end else begin
      if (held && (!s_axis_in_tvalid || {s_axis_in_tlast, s_axis_in_tdata} != held_d)) mon_errors <= mon_errors + 16'd1;
      if (s_axis_in_tvalid && !s_axis_in_tready) mon_stalls <= mon_stalls + 32'd1;
      held   <= s_axis_in_tvalid && !s_axis_in_tready;
      held_d <= {s_axis_in_tlast, s_axis_in_tdata};
    end
  end
endmodule
`,
    },
  ],
  ports: [
    ...clkRst,
    ...stream('in', 'in', 16, true),
    ...stream('out', 'out', 16, true),
    { name: 'mon_errors', dir: 'out', width: 16 },
    { name: 'mon_stalls', dir: 'out', width: 32 },
  ],
};

/**
 * Three deliberately broken output streams, each breaking one AXI4-Stream rule once its sink is
 * back-pressured, and one correct output stream (`good`, a counter that waits for ready):
 *   pulse: valid for exactly one cycle per input word, whatever ready says  → valid-dropped
 *   drift: always valid, data counts up every cycle                          → data-changed
 *   flip:  always valid, constant data, tlast toggles every cycle             → last-changed
 */
export const BROKEN: BuildSpec = {
  top: 'broken',
  files: [
    {
      name: 'broken.v',
      text: `module broken (
  input  wire       clk,
  input  wire       rst,
  input  wire       s_axis_in_tvalid,
  output wire       s_axis_in_tready,
  input  wire [7:0] s_axis_in_tdata,
  output reg        m_axis_pulse_tvalid,
  input  wire       m_axis_pulse_tready,
  output reg  [7:0] m_axis_pulse_tdata,
  output wire       m_axis_drift_tvalid,
  input  wire       m_axis_drift_tready,
  output reg  [7:0] m_axis_drift_tdata,
  output wire       m_axis_flip_tvalid,
  input  wire       m_axis_flip_tready,
  output wire [7:0] m_axis_flip_tdata,
  output reg        m_axis_flip_tlast,
  output wire       m_axis_good_tvalid,
  input  wire       m_axis_good_tready,
  output reg  [7:0] m_axis_good_tdata
);
  assign s_axis_in_tready    = 1'b1;
  assign m_axis_drift_tvalid = !rst;
  assign m_axis_flip_tvalid  = !rst;
  assign m_axis_flip_tdata   = 8'h5a;
  assign m_axis_good_tvalid  = !rst;
  always @(posedge clk) begin
    if (rst) begin
      m_axis_pulse_tvalid <= 1'b0;
      m_axis_drift_tdata  <= 8'd0;
      m_axis_flip_tlast   <= 1'b0;
      m_axis_good_tdata   <= 8'd0;
    end else begin
      m_axis_pulse_tvalid <= s_axis_in_tvalid;
      m_axis_pulse_tdata  <= s_axis_in_tdata;
      m_axis_drift_tdata  <= m_axis_drift_tdata + 8'd1;
      m_axis_flip_tlast   <= !m_axis_flip_tlast;
      if (m_axis_good_tready) m_axis_good_tdata <= m_axis_good_tdata + 8'd1;
    end
  end
endmodule
`,
    },
  ],
  ports: [
    ...clkRst,
    ...stream('in', 'in', 8),
    ...stream('out', 'pulse', 8),
    ...stream('out', 'drift', 8),
    ...stream('out', 'flip', 8, true),
    ...stream('out', 'good', 8),
  ],
};

/**
 * Two output streams fed from one input stream: `bad` raises tvalid only while tready is high (tvalid
 * depends on tready, which AXI4-Stream forbids, though every word still arrives), `ok` is the same
 * buffer done right.
 */
export const VALID_WAITS: BuildSpec = {
  top: 'valid_waits',
  files: [
    {
      name: 'valid_waits.v',
      text: `module valid_waits (
  input  wire       clk,
  input  wire       rst,
  input  wire       s_axis_in_tvalid,
  output wire       s_axis_in_tready,
  input  wire [7:0] s_axis_in_tdata,
  output wire       m_axis_bad_tvalid,
  input  wire       m_axis_bad_tready,
  output wire [7:0] m_axis_bad_tdata,
  output wire       m_axis_ok_tvalid,
  input  wire       m_axis_ok_tready,
  output wire [7:0] m_axis_ok_tdata
);
  reg       bad_full, ok_full;
  reg [7:0] bad_d, ok_d;
  assign s_axis_in_tready  = !bad_full && !ok_full;
  assign m_axis_bad_tvalid = bad_full && m_axis_bad_tready;
  assign m_axis_bad_tdata  = bad_d;
  assign m_axis_ok_tvalid  = ok_full;
  assign m_axis_ok_tdata   = ok_d;
  always @(posedge clk) begin
    if (rst) begin
      bad_full <= 1'b0;
      ok_full  <= 1'b0;
    end else begin
      if (s_axis_in_tvalid && s_axis_in_tready) begin
        bad_full <= 1'b1;
        ok_full  <= 1'b1;
        bad_d    <= s_axis_in_tdata;
        ok_d     <= s_axis_in_tdata;
      end else begin
        if (m_axis_bad_tvalid && m_axis_bad_tready) bad_full <= 1'b0;
        if (m_axis_ok_tvalid && m_axis_ok_tready) ok_full <= 1'b0;
      end
    end
  end
endmodule
`,
    },
  ],
  ports: [
    ...clkRst,
    ...stream('in', 'in', 8),
    ...stream('out', 'bad', 8),
    ...stream('out', 'ok', 8),
  ],
};

/**
 * An accumulator whose reset was forgotten (`acc`), a counter with a reset (`cnt`) and a 16-word RAM
 * with a registered read port, none of whose words are initialised.
 */
export const NO_RESET: BuildSpec = {
  top: 'no_reset',
  files: [
    {
      name: 'no_reset.v',
      text: `module no_reset (
  input  wire        clk,
  input  wire        rst,
  input  wire        en,
  input  wire [7:0]  x,
  output reg  [15:0] acc,
  output reg  [7:0]  cnt,
  input  wire        we,
  input  wire [3:0]  waddr,
  input  wire [7:0]  wdata,
  input  wire [3:0]  raddr,
  output reg  [7:0]  rdata
);
  reg [7:0] mem [0:15];
  always @(posedge clk) begin
    if (rst) cnt <= 8'd0;
    else if (en) cnt <= cnt + 8'd1;
    if (en) acc <= acc + {8'd0, x};
    if (we) mem[waddr] <= wdata;
    rdata <= mem[raddr];
  end
endmodule
`,
    },
  ],
  ports: [
    ...clkRst,
    { name: 'en', dir: 'in', width: 1 },
    { name: 'x', dir: 'in', width: 8 },
    { name: 'acc', dir: 'out', width: 16 },
    { name: 'cnt', dir: 'out', width: 8 },
    { name: 'we', dir: 'in', width: 1 },
    { name: 'waddr', dir: 'in', width: 4 },
    { name: 'wdata', dir: 'in', width: 8 },
    { name: 'raddr', dir: 'in', width: 4 },
    { name: 'rdata', dir: 'out', width: 8 },
  ],
  memories: [{ paths: ['no_reset.mem'], module: 'no_reset', instance: 'no_reset', name: 'mem', width: 8, depth: 16 }],
};

/**
 * Lane vectors: a 64 × 16-bit stream through a one-word buffer that adds 1 to every lane (tlast
 * passed through), and a registered 100-bit port `kx = ~k`.
 */
export const LANES: BuildSpec = {
  top: 'lanes',
  files: [
    {
      name: 'lanes.v',
      text: `module lanes (
  input  wire          clk,
  input  wire          rst,
  input  wire          s_axis_v_tvalid,
  output wire          s_axis_v_tready,
  input  wire [1023:0] s_axis_v_tdata,
  input  wire          s_axis_v_tlast,
  output wire          m_axis_v_tvalid,
  input  wire          m_axis_v_tready,
  output reg  [1023:0] m_axis_v_tdata,
  output reg           m_axis_v_tlast,
  input  wire [99:0]   k,
  output reg  [99:0]   kx
);
  reg full;
  assign s_axis_v_tready = !full;
  assign m_axis_v_tvalid = full;
  integer i;
  always @(posedge clk) begin
    kx <= ~k;
    if (rst) begin
      full <= 1'b0;
    end else if (s_axis_v_tvalid && s_axis_v_tready) begin
      full <= 1'b1;
      m_axis_v_tlast <= s_axis_v_tlast;
      for (i = 0; i < 64; i = i + 1) m_axis_v_tdata[16*i +: 16] <= s_axis_v_tdata[16*i +: 16] + 16'd1;
    end else if (m_axis_v_tready) begin
      full <= 1'b0;
    end
  end
endmodule
`,
    },
  ],
  ports: [
    ...clkRst,
    ...stream('in', 'v', 1024, true),
    ...stream('out', 'v', 1024, true),
    { name: 'k', dir: 'in', width: 100 },
    { name: 'kx', dir: 'out', width: 100 },
  ],
};
