/** Emitters: Verilog-2005 modules and their name maps. */
export * from './verilog.js';
