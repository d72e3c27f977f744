/** Print the ratios of the last benchmark run (bench/results.json):  npx tsx bench/print.ts */
import { readJson, renderRatios, renderTargets, RESULTS_FILE, type BenchResults } from './report.js';

const results = readJson<BenchResults>(RESULTS_FILE);
if (!results) {
  process.stderr.write(`No results yet (${RESULTS_FILE}): run \`npm run bench\` first.\n`);
  process.exit(1);
}
process.stdout.write(renderRatios(results) + '\n\n' + renderTargets(results) + '\n');
