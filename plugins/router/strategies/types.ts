/** The contract of a routing strategy: order a virtual model's targets for one request. */
import type { RequestFeatures, VirtualModelConfig } from '../../../core/config-types.js';
import type { RequestContext, Target } from '../../../core/context.js';
import type { Catalog } from '../../catalog/index.js';
import type { LatencyTracker } from '../latency.js';

export interface WeightedTarget extends Target {
  weight?: number;
}

export interface CompiledModel {
  name: string;
  config: VirtualModelConfig;
  targets: WeightedTarget[];
  tiers?: { strong: WeightedTarget[]; cheap: WeightedTarget[] };
  rules?: Array<{ rule: NonNullable<VirtualModelConfig['rules']>[number]; targets?: WeightedTarget[] }>;
}

export interface StrategyEnv {
  catalog: Catalog;
  latency: LatencyTracker;
  features(ctx: RequestContext): RequestFeatures;
  /** Resolve another model name (for rules' `use`), with the router's full resolution. */
  resolve(name: string, ctx: RequestContext, depth: number): Promise<Target[]>;
  random(): number;
}

export type StrategyFn = (
  m: CompiledModel,
  ctx: RequestContext,
  env: StrategyEnv,
  depth: number,
) => Target[] | Promise<Target[]>;
