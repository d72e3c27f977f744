/**
 * Readiness contributors: plugins and stores add named checks that GET /ready runs. A check answers
 * `{ ready, ...detail }`; any `ready: false` makes /ready answer 503. A degraded but serving
 * component (e.g. Redis down under a fail-open policy) answers `ready: true` with its detail, so
 * the state is visible without taking every instance out of the load balancer at once.
 */
export interface ReadinessResult {
  ready: boolean;
  [detail: string]: unknown;
}

export type ReadinessCheck = () => ReadinessResult | Promise<ReadinessResult>;

export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();

  /** Register (or replace) a named check. */
  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /** Run every check; a check that throws counts as not ready. */
  async run(): Promise<{ ready: boolean; checks: Record<string, ReadinessResult> }> {
    const checks: Record<string, ReadinessResult> = {};
    let ready = true;
    await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        let r: ReadinessResult;
        try {
          r = await check();
        } catch (e) {
          r = { ready: false, error: (e as Error).message };
        }
        checks[name] = r;
        if (!r.ready) ready = false;
      }),
    );
    return { ready, checks };
  }

  get size(): number {
    return this.#checks.size;
  }
}
