# Vivado's Tcl commands as the generated vivado/build.tcl uses them, for a dry run in plain tclsh: each
# call is written to the log (one line: the command and its arguments) and answers as Vivado would for a
# project whose runs succeed. The slacks come from the environment (IBHEBB_WNS, IBHEBB_WHS; default 0.5),
# so a run can also miss timing. A run's directory gets the bitstream Vivado would write. The script is
# sourced after this file; `exit` is logged before Tcl's own.
set log [open $env(IBHEBB_STUB_LOG) w]
proc note {args} { global log; puts $log [join $args " "]; flush $log }
set project_dir ""
proc create_project {args} {
  global project_dir
  note create_project {*}$args
  set project_dir [lindex $args end-2]
  if {[lindex $args end-1] ne "-part"} { error "create_project: expected NAME DIR -part PART" }
  file mkdir $project_dir
}
proc add_files {args} {
  foreach f [lindex $args end] {
    if {![file exists $f]} { error "add_files: no file $f" }
  }
  note add_files {*}$args
}
proc current_fileset {} { return sources_1 }
proc set_property {args} { note set_property {*}$args }
proc update_compile_order {args} { note update_compile_order {*}$args }
proc get_runs {name} { return $name }
proc launch_runs {args} {
  global project_dir
  set run [lindex $args 0]
  note launch_runs {*}$args
  file mkdir $project_dir/runs/$run
  if {$run eq "impl_1"} {
    # the top's bitstream, as write_bitstream leaves it in the run's directory
    set top $::stub_top
    set f [open $project_dir/runs/$run/$top.bit w]
    puts $f "bitstream of $top"
    close $f
  }
}
proc wait_on_run {run} { note wait_on_run $run }
proc get_property {name object} {
  global project_dir
  switch -- $name {
    PROGRESS { return "100%" }
    STATUS { return "write_bitstream Complete!" }
    DIRECTORY { return $project_dir/runs/$object }
    SLACK {
      if {[string match "*-hold*" $object]} { return [expr {[info exists ::env(IBHEBB_WHS)] ? $::env(IBHEBB_WHS) : 0.5}] }
      return [expr {[info exists ::env(IBHEBB_WNS)] ? $::env(IBHEBB_WNS) : 0.5}]
    }
    default { error "get_property: $name is not stubbed" }
  }
}
proc get_timing_paths {args} { return "paths $args" }
proc open_run {run} { note open_run $run }
proc report_file {cmd args} {
  set i [lsearch $args -file]
  if {$i < 0} { error "$cmd: no -file" }
  set f [open [lindex $args [expr {$i + 1}]] w]
  puts $f "$cmd report"
  close $f
  note $cmd {*}$args
}
foreach cmd {report_utilization report_timing_summary report_clock_interaction report_drc} {
  proc $cmd {args} "report_file $cmd {*}\$args"
}
proc write_cfgmem {args} {
  set i [lsearch $args -loadbit]
  set bit [lindex [lindex $args [expr {$i + 1}]] end]
  if {![file exists $bit]} { error "write_cfgmem: no bitstream $bit" }
  note write_cfgmem {*}$args
}
rename exit tcl_exit
proc exit {{code 0}} { note exit $code; tcl_exit $code }
