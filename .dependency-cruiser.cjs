/**
 * The import borders (docs/architecture.md#borders), checked in CI by `npm run lint:deps`.
 *
 * A plugin is a folder plugins/<name>/, or plugins/providers/<name>/ for a provider. Its index.ts is its public
 * surface. The package root (index.ts), the CLI and plugins/builtin.ts / plugins/providers/from-env.ts are the
 * wiring: they may import any plugin's index.ts.
 */
/** The plugin folder of a path: providers are one level deeper. */
const PLUGIN = '^plugins/(providers/[^/]+|(?!providers/)[^/]+)/';

module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-plugin',
      comment: 'core/ knows no plugin: built-in wiring lives at the package root.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^plugins/' },
    },
    {
      name: 'plugins-import-only-public-surfaces',
      comment: "A plugin imports another plugin only through that plugin's index.ts.",
      severity: 'error',
      from: { path: PLUGIN },
      to: { path: '^plugins/.+', pathNot: ['^plugins/$1/', '^plugins/(providers/[^/]+|[^/]+)/index\\.ts$'] },
    },
    {
      name: 'wiring-imports-only-public-surfaces',
      comment: "The wiring (root index, builtin.ts, from-env.ts) imports plugins through their index.ts.",
      severity: 'error',
      from: { path: '^(index\\.ts|plugins/builtin\\.ts|plugins/providers/from-env\\.ts)$' },
      to: { path: PLUGIN, pathNot: '^plugins/(providers/[^/]+|[^/]+)/index\\.ts$' },
    },
    {
      name: 'shipped-code-imports-no-tests-benches-or-examples',
      severity: 'error',
      from: { path: '^(index\\.ts|core/|plugins/|bin/)' },
      to: { path: '^(test|bench|examples|scripts)/' },
    },
    {
      name: 'no-circular-between-plugins',
      comment: 'Two plugins importing each other cannot be understood (or loaded lazily) one at a time.',
      severity: 'error',
      from: { path: PLUGIN },
      to: { circular: true, path: '^plugins/', pathNot: '^plugins/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|bench/\\.deps|plugins/dashboard/web/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
