/**
 * Bundle the dashboard's browser code (web/*.ts, uPlot and the CSS) with esbuild into dist/dashboard/
 * (gitignored). `npm run build` (and so `npm ci`, through `prepare`) runs it; the plugin also builds in
 * memory at boot when the bundle is missing or older than its sources, so tests and `npm start` work.
 * CLI: `tsx plugins/dashboard/build.ts`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../core/package-root.js';

export { packageRoot };

export const ENTRIES = ['app', 'status'] as const;
export const ASSETS = ['app.js', 'app.css', 'status.js', 'status.css'] as const;

export function paths(root = packageRoot()) {
  return { web: join(root, 'plugins', 'dashboard', 'web'), out: join(root, 'dist', 'dashboard') };
}

function newestSource(web: string): number {
  let t = 0;
  for (const f of readdirSync(web)) t = Math.max(t, statSync(join(web, f)).mtimeMs);
  return t;
}

/** The bundle on disk if it is complete and newer than its sources. */
export function readBundle(root = packageRoot()): Map<string, Buffer> | undefined {
  const { web, out } = paths(root);
  if (!ASSETS.every((a) => existsSync(join(out, a)))) return undefined;
  if (existsSync(web) && ASSETS.some((a) => statSync(join(out, a)).mtimeMs < newestSource(web))) return undefined;
  return new Map(ASSETS.map((a) => [a, readFileSync(join(out, a))]));
}

/** Build with esbuild; returns the files, and writes them to dist/dashboard/ when `write`. */
export async function buildBundle(root = packageRoot(), write = true): Promise<Map<string, Buffer>> {
  const { web, out } = paths(root);
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, join(web, `${e}.ts`)])),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    outdir: out,
    write: false,
    logLevel: 'silent',
    legalComments: 'eof',
    absWorkingDir: root,
  });
  const files = new Map<string, Buffer>();
  for (const f of result.outputFiles) files.set(f.path.slice(out.length + 1), Buffer.from(f.contents));
  if (write) {
    try {
      mkdirSync(out, { recursive: true });
      for (const [name, data] of files) {
        // write then rename: concurrent builds (parallel tests) never serve a half-written file
        const tmp = join(out, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}`);
        writeFileSync(tmp, data);
        renameSync(tmp, join(out, name));
      }
    } catch {
      // a read-only install still serves the in-memory bundle
    }
  }
  return files;
}

// No top-level await: it would keep CommonJS code from require()-ing the package (Node >= 20.19).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildBundle().then(
    (files) => {
      for (const [name, data] of files) console.log(`dist/dashboard/${name}  ${(data.length / 1024).toFixed(1)} KiB`);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
