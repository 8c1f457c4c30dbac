#!/usr/bin/env node
// Entry point of the `ibhebb` CLI: registers the TypeScript loader, then runs host/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('../host/cli/main.ts');
