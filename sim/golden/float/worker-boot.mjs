// Entry of the helper thread when the model runs from TypeScript sources: registers the tsx loader in this
// thread, then loads worker.ts (loader hooks of the parent thread do not reach worker threads).
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker.ts', import.meta.url).href);
