/**
 * The error a configuration mistake produces: the path, what was expected and how to fix it. On its own
 * so that modules that only throw it (core/optional-deps.ts, which the ledger's writer thread loads) do
 * not load the config schema and ajv with it: that import cost each start of the thread ~150 ms of CPU.
 */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly fix?: string,
  ) {
    super(`Invalid configuration: ${path} ${detail}.${fix ? ` ${fix}` : ''}`);
    this.name = 'ConfigError';
  }
}
