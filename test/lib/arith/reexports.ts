export { fixedMul, lfsr, tableLookup } from '../../../generator/lib/arith/index.js';
export { hwType as hwTypeOf } from '../../../generator/lib/arith/common.js';
