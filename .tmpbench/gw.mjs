import { createGateway, openaiCompatible } from '../dist/index.js';
const extra = JSON.parse(process.argv[3] ?? '{}');
const gw = await createGateway({ providers: [openaiCompatible({ name: 'bench', baseURL: 'http://127.0.0.1:9911/v1', apiKey: 'x', models: ['bench-model'] })], auth: false, logging: { level: 'info' }, ...extra });
await gw.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
