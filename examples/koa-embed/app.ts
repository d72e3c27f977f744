/**
 * Library mode: mount Switchyard inside an existing Koa app, under /ai, next to the app's own routes.
 * Run: npx tsx examples/koa-embed/app.ts  (then POST http://127.0.0.1:3000/ai/v1/chat/completions)
 *
 * In your own project, import from 'switchyard-gateway' instead of the relative path.
 */
import Koa from 'koa';
import { createGateway, mock, type SwitchyardGateway } from '../../index.js';

export async function buildApp(): Promise<{ app: Koa; gateway: SwitchyardGateway }> {
  const gateway = await createGateway({
    server: { prefix: '/ai' },
    providers: [mock()],
    logging: { level: 'warn' },
  });

  const app = new Koa();
  // The app's own middleware and routes keep working around the gateway.
  app.use(async (ctx, next) => {
    await next();
    ctx.set('x-powered-by', 'my-app');
  });
  // A body parser may run before the gateway (app.use(bodyParser({ jsonLimit: '10mb' }))): the gateway then
  // uses the raw body it kept. See docs/architecture.md#library-mode.
  app.use(gateway.middleware()); // serves /ai/v1/chat/completions, /ai/v1/models, /ai/health ...
  app.use((ctx) => {
    if (ctx.path === '/') ctx.body = { app: 'my-app', ai: '/ai/v1' };
    else ctx.status = 404;
  });
  return { app, gateway };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app, gateway } = await buildApp();
  const server = app.listen(3000, '127.0.0.1', () =>
    console.log('my-app on http://127.0.0.1:3000 (gateway under /ai)'),
  );
  process.on('SIGINT', async () => {
    server.close();
    await gateway.close(); // lets in-flight AI requests finish
    process.exit(0);
  });
}
