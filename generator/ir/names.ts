/**
 * Identifier rules. Names are given explicitly by generator code and emitted unchanged, so a name
 * that would not be a portable Verilog identifier is REJECTED (never escaped or renamed):
 *   - `[A-Za-z][A-Za-z0-9_]*` — no `$`, no escaped identifiers, no leading `_` (reserved for the
 *     emitter's temporaries such as `_add_count` and the `_unused` sink);
 *   - not a Verilog-2005 or SystemVerilog-2017 keyword (so the output also reads as SystemVerilog);
 *   - unique within a module, also ignoring case (VHDL-mixed flows and some tools fold case).
 */
import { HdlError } from './types.js';

const KEYWORDS_TEXT = `
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default
defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive
endspecify endtable endtask event for force forever fork function generate genvar highz0 highz1 if ifnone
incdir include initial inout input instance integer join large liblist library localparam macromodule
medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter pmos posedge
primitive pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg
release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam
strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg
unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
accept_on alias always_comb always_ff always_latch assert assume before bind bins binsof bit break byte
chandle checker class clocking const constraint context continue cover covergroup coverpoint cross dist
do endchecker endclass endclocking endgroup endinterface endpackage endprogram endproperty endsequence
enum eventually expect export extends extern final first_match foreach forkjoin global iff ignore_bins
illegal_bins implements implies import inside int interconnect interface intersect join_any join_none
let local logic longint matches modport nettype new nexttime null package packed priority program
property protected pure rand randc randcase randsequence ref reject_on restrict return s_always
s_eventually s_nexttime s_until s_until_with sequence shortint shortreal soft solve static string
strong struct super sync_accept_on sync_reject_on tagged this throughout timeprecision timeunit type
typedef union unique unique0 until until_with untyped var virtual void wait_order weak wildcard with
within
`;

/** Verilog-2005 and SystemVerilog-2017 reserved words. */
export const VERILOG_KEYWORDS: ReadonlySet<string> = new Set(KEYWORDS_TEXT.split(/\s+/).filter((s) => s !== ''));

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Throws unless `name` is a legal user identifier; `what` says what is being named. */
export function checkIdentifier(name: string, what: string): void {
  if (typeof name !== 'string' || name === '') {
    throw new HdlError(`${what}: a name is required (names come from the generator code, never inferred)`);
  }
  if (name.startsWith('_')) {
    throw new HdlError(
      `${what} '${name}': names starting with '_' are reserved for emitter temporaries; rename it (e.g. '${name.replace(/^_+/, '')}')`,
    );
  }
  if (!IDENT.test(name)) {
    throw new HdlError(
      `${what} '${name}': not a portable Verilog identifier; use letters, digits and '_' only, starting with a letter`,
    );
  }
  if (VERILOG_KEYWORDS.has(name)) {
    throw new HdlError(
      `${what} '${name}': '${name}' is a Verilog/SystemVerilog keyword; names are not escaped, choose another (e.g. '${name}_q' or 'r_${name}')`,
    );
  }
}

/** The set of names used in one module; rejects duplicates and case-only differences. */
export class NameTable {
  private readonly byLower = new Map<string, { name: string; what: string }>();

  constructor(private readonly scope: string) {}

  /** Validates and reserves `name`; `what` (e.g. "register") is used in the collision message. */
  claim(name: string, what: string): void {
    checkIdentifier(name, `${what} in module '${this.scope}'`);
    this.claimRaw(name, what);
  }

  /** Reserves a name that is exempt from the identifier rules (clk, rst, instance output wires). */
  claimRaw(name: string, what: string): void {
    const prev = this.byLower.get(name.toLowerCase());
    if (prev) {
      const how = prev.name === name ? 'is already used' : `differs only by case from '${prev.name}'`;
      throw new HdlError(
        `name collision in module '${this.scope}': ${what} '${name}' ${how} by the ${prev.what}; give one of them another name`,
      );
    }
    this.byLower.set(name.toLowerCase(), { name, what });
  }

  has(name: string): boolean {
    return this.byLower.has(name.toLowerCase());
  }
}
