/**
 * Loading `switchyard.config.{ts,mts,cts,js,mjs,cjs}`. The file, with the local files it imports, is
 * bundled once by esbuild into one ES module and imported from a temporary file; nothing stays loaded
 * but the config itself. So every kind of config loads the same way in any folder (a package with or
 * without `"type": "module"`, or no package at all), and a TypeScript config needs no loader in the
 * process: the gateway runs from the compiled build (dist/) whatever the config's language.
 *
 * The config and the gateway must share one copy of every module (a plugin or an error class made by
 * the config must be the one the gateway knows). So imports of the package itself, `switchyard-gateway`
 * or a relative path into its sources or dist/ (as the examples in the repository do), are pointed at
 * the modules this process runs. Every other package stays external, resolved from the importing file
 * with Node's rules (`import`/`require` conditions, `main`), and is loaded by Node as usual.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ImportKind, Message, Plugin as EsbuildPlugin } from 'esbuild';
import { loadEsbuild } from './cjs-packages.js';
import type { SwitchyardConfig } from './config-types.js';
import { PACKAGE_NAME, packageRoot, RUNS_COMPILED } from './package-root.js';

/** Looked for in the working directory, in this order, when no `--config` is given. */
export const CONFIG_CANDIDATES = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'].map((ext) => `switchyard.config.${ext}`);

const BUILTINS = new Set(builtinModules);
const SKIP = Symbol('resolved by switchyard-config');

/** Find, bundle and import the config. Without a file and with no candidate present, the config is empty. */
export async function loadConfig(file?: string): Promise<{ config: SwitchyardConfig; source: string }> {
  let path: string | undefined;
  if (file) {
    path = resolve(file);
    if (!existsSync(path)) throw new Error(`Config file not found: ${path}`);
  } else {
    path = CONFIG_CANDIDATES.map((c) => resolve(c)).find((c) => existsSync(c));
  }
  if (!path) return { config: {}, source: 'environment (no config file)' };
  let mod: { default?: unknown };
  try {
    mod = await importBundled(path);
  } catch (e) {
    throw new Error(`Could not load ${path}: ${(e as Error).message}`);
  }
  let config = mod.default;
  // A CommonJS config compiled from `export default` (module.exports.default, __esModule).
  if (config && typeof config === 'object' && (config as { __esModule?: unknown }).__esModule && 'default' in config) {
    config = (config as { default: unknown }).default;
  }
  if (config === undefined) {
    throw new Error(`${path} has no default export. Export \`defineConfig({ ... })\` as default.`);
  }
  return { config: config as SwitchyardConfig, source: path };
}

async function importBundled(path: string): Promise<{ default?: unknown }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
  try {
    const out = join(dir, `${basename(path)}.mjs`);
    await writeFile(out, await bundle(path, out));
    return (await import(pathToFileURL(out).href)) as { default?: unknown };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The config as one ES module whose imports are all absolute (so it can run from any folder), to be
 * written to `outfile` (its source map points from there to the original files). Stops esbuild's
 * service process afterwards, so nothing of esbuild stays running next to the gateway.
 */
export async function bundle(file: string, outfile = `${resolve(file)}.mjs`): Promise<string> {
  const path = resolve(file);
  const esbuild = loadEsbuild();
  // Files given a first-line prefix, and its length (to report error columns as in the file).
  const injected = new Map<string, number>();
  try {
    const result = await esbuild.build({
      entryPoints: [path],
      absWorkingDir: dirname(path),
      bundle: true,
      write: false,
      outfile,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Resolve packages as Node does: the `import`/`require` condition and `main`, no `module`.
      conditions: [],
      mainFields: ['main'],
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      // Each bundled file keeps its own location (see the onLoad below).
      define: {
        'import.meta.url': '__sy_url',
        'import.meta.filename': '__sy_filename',
        'import.meta.dirname': '__sy_dirname',
        __filename: '__sy_filename',
        __dirname: '__sy_dirname',
      },
      // `require` in a CommonJS config (or .cts) resolves from the config's folder.
      banner: {
        js:
          `import { createRequire as __syCreateRequire } from 'node:module';\n` +
          `const require = __syCreateRequire(${JSON.stringify(pathToFileURL(path).href)});`,
      },
      plugins: [configPlugin(injected)],
    });
    return result.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (!errors?.length) throw e;
    throw new Error(
      errors
        .slice(0, 3)
        .map((m) => formatMessage(m, dirname(path), injected))
        .join('; '),
    );
  } finally {
    await esbuild.stop();
  }
}

function formatMessage(m: Message, dir: string, injected: Map<string, number>): string {
  const l = m.location;
  const shift = l?.line === 1 ? (injected.get(resolve(dir, l.file)) ?? 0) : 0;
  const at = l ? `${l.file}:${l.line}:${l.column - shift + 1}: ` : '';
  const notes = m.notes.map((n) => n.text).filter(Boolean);
  return `${at}${m.text}${notes.length ? ` (${notes.join(' ')})` : ''}`;
}

function configPlugin(injected: Map<string, number>): EsbuildPlugin {
  return {
    name: 'switchyard-config',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === SKIP || args.kind === 'entry-point') return undefined;
        const spec = args.path;
        if (spec === PACKAGE_NAME || spec.startsWith(`${PACKAGE_NAME}/`)) return packageImport(spec, args.kind);
        if (spec.startsWith('node:') || BUILTINS.has(spec)) return { path: spec, external: true };
        const r = await build.resolve(spec, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: SKIP,
        });
        if (r.errors.length) {
          if (spec === 'switchyard' || spec.startsWith('switchyard/')) {
            const hint = `The package is named ${PACKAGE_NAME}: import from '${PACKAGE_NAME}'.`;
            return { errors: r.errors.map((m) => ({ ...m, notes: [{ text: hint }] })) };
          }
          return { errors: r.errors };
        }
        if (r.external) return { path: r.path, external: true };
        const own = ownModule(r.path);
        if (own) return external(own, args.kind);
        if (r.path.split(sep).includes('node_modules')) return external(r.path, args.kind);
        return { path: r.path, namespace: r.namespace, sideEffects: r.sideEffects };
      });
      // Give every bundled source file that asks its own import.meta.url / __dirname / __filename (on
      // the first line, so that line numbers stay right; error columns on it are corrected).
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!/import\.meta|__dirname|__filename/.test(text)) return { contents: text, loader: loaderFor(args.path) };
        const [file, folder, url] = [args.path, dirname(args.path), pathToFileURL(args.path).href].map((v) =>
          JSON.stringify(v),
        );
        const vars = `var __sy_filename = ${file}, __sy_dirname = ${folder}, __sy_url = ${url};`;
        const shebang = text.startsWith('#!') ? text.slice(0, text.indexOf('\n') + 1) : '';
        if (!shebang) injected.set(args.path, vars.length);
        return { contents: `${shebang}${vars}${text.slice(shebang.length)}`, loader: loaderFor(args.path) };
      });
    },
  };
}

function loaderFor(path: string): 'ts' | 'tsx' | 'js' | 'jsx' {
  const ext = extname(path);
  if (ext === '.tsx') return 'tsx';
  if (ext === '.jsx') return 'jsx';
  return /^\.[cm]?ts$/.test(ext) ? 'ts' : 'js';
}

/** An import kept out of the bundle: a file URL for `import`, a path for `require`. */
function external(path: string, kind: ImportKind) {
  const byRequire = kind === 'require-call' || kind === 'require-resolve';
  return { path: byRequire ? path : pathToFileURL(path).href, external: true };
}

/** `switchyard-gateway` is this process's own entry point, wherever the config's folder is. */
function packageImport(spec: string, kind: ImportKind) {
  const root = packageRoot();
  const sub = spec.slice(PACKAGE_NAME.length);
  if (sub === '') return external(RUNS_COMPILED ? join(root, 'dist', 'index.js') : join(root, 'index.ts'), kind);
  if (sub === '/package.json') return external(join(root, 'package.json'), kind);
  const text = `"${spec}" is not exported by ${PACKAGE_NAME}; import everything from '${PACKAGE_NAME}'.`;
  return { errors: [{ text }] };
}

/**
 * A module of the gateway itself (index, core/, plugins/, from the sources or dist/), as the file
 * this process runs; undefined for anything else.
 */
function ownModule(path: string): string | undefined {
  const rel = relative(packageRoot(), path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const ext = extname(rel);
  if (!/^\.(ts|js)$/.test(ext) || rel.endsWith('.d.ts')) return undefined;
  let stem = rel.slice(0, -ext.length).split(sep).join('/');
  if (stem.startsWith('dist/')) stem = stem.slice('dist/'.length);
  if (!(stem === 'index' || stem.startsWith('core/') || stem.startsWith('plugins/'))) return undefined;
  const runs = RUNS_COMPILED ? join(packageRoot(), 'dist', `${stem}.js`) : join(packageRoot(), `${stem}.ts`);
  if (!existsSync(runs)) {
    const where = RUNS_COMPILED ? 'compiled build (dist/): run `npm run build`' : 'sources';
    throw new Error(`${path} is not part of the ${where}`);
  }
  return runs;
}
