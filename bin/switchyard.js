#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, which also loads switchyard.config.ts files.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli.ts');
process.exitCode = await main();
// Let pending log writes drain, then leave even if a plugin keeps a handle open.
setTimeout(() => process.exit(process.exitCode), 50).unref();
