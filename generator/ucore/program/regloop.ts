/** A counted loop whose count is in a register (Asm.loop takes a constant count). */
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
