/**
 * Switchyard as its own process, in one of the benchmark's configurations (bench/scenarios.ts):
 * zero, production or all. The openai provider reads OPENAI_API_KEY and OPENAI_BASE_URL.
 *
 *   OPENAI_API_KEY=sk-... OPENAI_BASE_URL=http://127.0.0.1:UPORT/v1 \
 *     node --import tsx bench/gateway.ts --scenario=production --port=PORT
 */
import { createGateway } from '../index.js';
import { argValue, HOST } from './common.js';
import { GATEWAY_SCENARIOS, scenarioConfig, type GatewayScenario } from './scenarios.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const scenario = (argValue(argv, 'scenario') ?? 'zero') as GatewayScenario;
  if (!GATEWAY_SCENARIOS.includes(scenario))
    throw new Error(`unknown scenario "${scenario}" (${GATEWAY_SCENARIOS.join(', ')})`);
  const port = Number(argValue(argv, 'port') ?? 0);
  const gateway = await createGateway(scenarioConfig(scenario));
  await gateway.listen({ port, host: HOST });
  // Exit through process.exit so that --cpu-prof writes its profile.
  const stop = () => {
    gateway
      .close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`bench gateway failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
