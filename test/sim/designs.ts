/**
 * Small hand-written Verilog designs for the co-simulation runner's tests and benchmark, each with
 * the port list the generator would hand over. (Generated modules replace these in later tests.)
 */
import type { BuildSpec, PortSpec } from '../../sim/verilator/index.js';

const clkRst: PortSpec[] = [
  { name: 'clk', dir: 'in', width: 1 },
  { name: 'rst', dir: 'in', width: 1 },
];

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
    { name: 's_axis_in_tvalid', dir: 'in', width: 1 },
    { name: 's_axis_in_tready', dir: 'out', width: 1 },
    { name: 's_axis_in_tdata', dir: 'in', width: 16 },
    { name: 's_axis_in_tlast', dir: 'in', width: 1 },
    { name: 'm_axis_out_tvalid', dir: 'out', width: 1 },
    { name: 'm_axis_out_tready', dir: 'in', width: 1 },
    { name: 'm_axis_out_tdata', dir: 'out', width: 16 },
    { name: 'm_axis_out_tlast', dir: 'out', width: 1 },
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
    { name: 's_axis_in_tvalid', dir: 'in', width: 1 },
    { name: 's_axis_in_tready', dir: 'out', width: 1 },
    { name: 's_axis_in_tdata', dir: 'in', width: 8 },
    { name: 'm_axis_pulse_tvalid', dir: 'out', width: 1 },
    { name: 'm_axis_pulse_tready', dir: 'in', width: 1 },
    { name: 'm_axis_pulse_tdata', dir: 'out', width: 8 },
    { name: 'm_axis_drift_tvalid', dir: 'out', width: 1 },
    { name: 'm_axis_drift_tready', dir: 'in', width: 1 },
    { name: 'm_axis_drift_tdata', dir: 'out', width: 8 },
    { name: 'm_axis_flip_tvalid', dir: 'out', width: 1 },
    { name: 'm_axis_flip_tready', dir: 'in', width: 1 },
    { name: 'm_axis_flip_tdata', dir: 'out', width: 8 },
    { name: 'm_axis_flip_tlast', dir: 'out', width: 1 },
    { name: 'm_axis_good_tvalid', dir: 'out', width: 1 },
    { name: 'm_axis_good_tready', dir: 'in', width: 1 },
    { name: 'm_axis_good_tdata', dir: 'out', width: 8 },
  ],
};
