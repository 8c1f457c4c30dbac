/**
 * A counted loop whose count is in a register. (Asm.loop takes `Reg | number`, but a Reg is a number, so it
 * always treats its argument as a constant count: `loop(r5, …)` runs 5 times. Sections with a run-time count
 * use this instead.)
 */
import type { Asm } from '../asm.js';
import type { Reg } from '../isa.js';

/** body runs `count` times (count a register holding ≥ 1, preserved); body gets the down-counter (count … 1). */
export function loopReg(a: Asm, count: Reg, body: (counter: Reg) => void): void {
  a.with(1, (c) => {
    a.mov(c, count);
    const top = a.label('rloop');
    a.bind(top);
    body(c);
    a.dbnz(c, top);
  });
}
