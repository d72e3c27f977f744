/**
 * The Node.js versions `engines` in package.json promises are ones every installed dependency accepts.
 * @nats-io/transport-node 3.4 pulled @nats-io/nuid 3, which wants Node 22: npm printed EBADENGINE on
 * every install under Node 20 while package.json claimed ">=20".
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import semver from 'semver';

const REPO = new URL('../../', import.meta.url);
const pkg = JSON.parse(await readFile(new URL('package.json', REPO), 'utf8'));
const lock = JSON.parse(await readFile(new URL('package-lock.json', REPO), 'utf8'));

test('every dependency (shipped and dev) accepts the oldest Node.js that package.json promises', () => {
  const oldest = semver.minVersion(pkg.engines.node);
  assert.ok(oldest, `engines.node "${pkg.engines.node}" names a version`);
  assert.equal(oldest.major, 20, 'the project supports Node.js 20');
  const refused: string[] = [];
  for (const [path, entry] of Object.entries<{ engines?: { node?: string } | string[] }>(lock.packages)) {
    const range = !Array.isArray(entry.engines) && entry.engines?.node;
    if (!path || !range) continue;
    for (const node of [oldest.version, process.versions.node])
      if (!semver.satisfies(node, range))
        refused.push(`${path.replace(/^.*node_modules\//, '')} wants ${range} (${node})`);
  }
  assert.deepEqual(refused, []);
});

test('package.json engines: the range starts on Node.js 20 and admits the running Node.js', () => {
  assert.ok(
    semver.satisfies(process.versions.node, pkg.engines.node),
    `${process.versions.node} in ${pkg.engines.node}`,
  );
  assert.ok(!semver.satisfies('19.9.0', pkg.engines.node));
});
