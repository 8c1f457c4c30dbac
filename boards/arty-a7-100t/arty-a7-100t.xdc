## Digilent Arty A7-100T pins used by the ibhebb board top (generator/boards/top.ts).
## Pin names from Digilent's Arty-A7-100 master constraints.

## 100 MHz oscillator
set_property -dict { PACKAGE_PIN E3  IOSTANDARD LVCMOS33 } [get_ports { clk_100m }]
create_clock -add -name sys_clk_pin -period 10.00 -waveform {0 5} [get_ports { clk_100m }]

## RESET button (ck_rst, active low)
set_property -dict { PACKAGE_PIN C2  IOSTANDARD LVCMOS33 } [get_ports { ck_rst_n }]

## USB-UART (FT2232HQ): uart_txd_in is the FPGA's receive pin, uart_rxd_out its transmit pin
set_property -dict { PACKAGE_PIN A9  IOSTANDARD LVCMOS33 } [get_ports { uart_rx }]
set_property -dict { PACKAGE_PIN D10 IOSTANDARD LVCMOS33 } [get_ports { uart_tx }]

## Green LEDs LD4..LD7
set_property -dict { PACKAGE_PIN H5  IOSTANDARD LVCMOS33 } [get_ports { led[0] }]
set_property -dict { PACKAGE_PIN J5  IOSTANDARD LVCMOS33 } [get_ports { led[1] }]
set_property -dict { PACKAGE_PIN T9  IOSTANDARD LVCMOS33 } [get_ports { led[2] }]
set_property -dict { PACKAGE_PIN T10 IOSTANDARD LVCMOS33 } [get_ports { led[3] }]

## asynchronous inputs: the reset synchroniser and the UART receiver's two-flop synchroniser take them
set_false_path -from [get_ports { ck_rst_n uart_rx }]
## outputs nothing samples with this clock: the UART line (the FT2232HQ oversamples it) and the LEDs
set_false_path -to [get_ports { uart_tx led[*] }]

set_property CONFIG_VOLTAGE 3.3 [current_design]
set_property CFGBVS VCCO [current_design]

## configuration from the Quad-SPI flash (the .bin that vivado/build.tcl writes), compressed
set_property BITSTREAM.CONFIG.SPI_BUSWIDTH 4 [current_design]
set_property BITSTREAM.CONFIG.CONFIGRATE 33 [current_design]
set_property BITSTREAM.GENERAL.COMPRESS TRUE [current_design]
