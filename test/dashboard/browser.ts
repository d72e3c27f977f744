/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` package driven by playwright-core
 * (which never downloads a browser). `chromiumPath()` is undefined when it is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  ) as string[];
  return candidates.find((p) => existsSync(p));
}

export const SKIP_REASON =
  'Chromium not found at /usr/bin/chromium: install it with `apt-get install -y chromium` (.ci/run does).';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile in a temporary --user-data-dir, with the flags that keep Chromium off the network. */
export async function launch(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(),
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
