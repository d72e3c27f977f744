#!/usr/bin/env node
// House style: no line of source over 120 columns. Biome formats at lineWidth 120 but cannot split long
// strings, template literals, regexes or comments; this check finds those.
// Lists tracked .ts/.tsx/.mjs/.js/.cjs files (git ls-files), skipping dist/ and generated files, and prints
// every line over the limit as `path:line: N columns`. Exits 1 if any, 0 if none.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const SOURCE = /\.(ts|tsx|mjs|js|cjs)$/;
const SKIP = /(^|\/)(dist|generated)\//;

const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  .split('\0')
  .filter((f) => SOURCE.test(f) && !SKIP.test(f) && !/\.generated\./.test(f));

let found = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // tracked but deleted in the work tree
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // columns are code points, not UTF-16 units: an emoji or a CJK character counts once
    const columns = [...lines[i]].length;
    if (columns > MAX) {
      console.log(`${file}:${i + 1}: ${columns} columns`);
      found++;
    }
  }
}
if (found > 0) {
  console.error(`${found} line(s) over ${MAX} columns (house style: wrap strings, comments and regexes)`);
  process.exit(1);
}
