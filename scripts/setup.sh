#!/usr/bin/env bash
# Idempotent set-up for a fresh clone on a fresh machine: the HDL tools from Debian's packages
# (Verilator, Yosys, Icarus Verilog, GNU parallel for the sweep tests, socat for the pseudo-terminal
# transport tests, nextpnr-ice40 and fpga-icestorm for the iCEBreaker build, tcl for the dry run of the Vivado
# project script) and the npm dependencies from the lock file.
# Quiet and quick when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v yosys >/dev/null 2>&1 || need+=(yosys)
command -v iverilog >/dev/null 2>&1 || need+=(iverilog)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v parallel >/dev/null 2>&1 || need+=(parallel) # GNU parallel: runs an emitted sweep job list (test/host/sweep.test.ts)
# socat puts the simulated design behind a pseudo-terminal (the uart transport's tests)
command -v socat >/dev/null 2>&1 || need+=(socat)
# the iCEBreaker flow of `ibhebb build`: nextpnr-ice40 (place and route), fpga-icestorm (icepack, iceprog)
command -v nextpnr-ice40 >/dev/null 2>&1 || need+=(nextpnr-ice40)
command -v icepack >/dev/null 2>&1 || need+=(fpga-icestorm)
# tclsh: the Arty flow's Vivado project script is dry-run against stubs of Vivado's commands (test/boards/build.test.ts)
command -v tclsh >/dev/null 2>&1 || need+=(tcl)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: missing ${need[*]} and not root: install them with apt-get (Debian packages)" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${need[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
