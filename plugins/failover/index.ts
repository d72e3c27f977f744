/** Retries, failover between targets, circuit breakers and GET /health/targets (the `failover` section). */
export { retryFailover, retryAfterMs, type FailoverDeps, type RetryFailoverOptions } from './retry-failover.js';
export { Breaker, BREAKER_DEFAULTS, type BreakerSnapshot, type BreakerState } from './breaker.js';
export { classify, type Classified, type ErrorClass } from './classify.js';
export { configuredTargets } from './health.js';
