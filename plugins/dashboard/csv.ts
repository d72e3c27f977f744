import type { LedgerRecord } from '../governance/index.js';

/** Parse the admin API's usage CSV (RFC 4180; a leading quote guards formula characters). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (c !== '\r') cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const unguard = (s: string) => (/^'[=+@\t\r-]/.test(s) ? s.slice(1) : s);

/** The usage records of the CSV export as objects (the fields the dashboard uses; costs in USD). */
export type UsageRow = Pick<
  LedgerRecord,
  | 'time'
  | 'requestId'
  | 'keyId'
  | 'project'
  | 'provider'
  | 'model'
  | 'requestedModel'
  | 'operation'
  | 'stream'
  | 'status'
  | 'errorCode'
  | 'cache'
  | 'totalTokens'
  | 'latencyMs'
  | 'upstreamMs'
  | 'attempts'
  | 'aborted'
  | 'shadow'
> & { costUsd: number; costSavedUsd: number };

export function usageRows(text: string): UsageRow[] {
  const [head, ...rows] = parseCsv(text);
  if (!head) return [];
  const idx = Object.fromEntries(head.map((h, i) => [h, i]));
  const s = (r: string[], k: string) => {
    const v = unguard(r[idx[k]] ?? '');
    return v === '' ? null : v;
  };
  const n = (r: string[], k: string) => Number(r[idx[k]] || 0);
  return rows
    .filter((r) => r.length > 1)
    .map((r) => ({
      time: Date.parse(r[idx.time]),
      requestId: s(r, 'requestId') ?? '',
      keyId: s(r, 'keyId'),
      project: s(r, 'project'),
      provider: s(r, 'provider'),
      model: s(r, 'model'),
      requestedModel: s(r, 'requestedModel') ?? '',
      operation: s(r, 'operation') ?? '',
      stream: r[idx.stream] === 'true',
      status: n(r, 'status'),
      errorCode: s(r, 'errorCode'),
      cache: s(r, 'cache'),
      totalTokens: n(r, 'totalTokens'),
      costUsd: n(r, 'costUsd'),
      costSavedUsd: n(r, 'costSavedUsd'),
      latencyMs: n(r, 'latencyMs'),
      upstreamMs: n(r, 'upstreamMs'),
      attempts: n(r, 'attempts'),
      aborted: r[idx.aborted] === 'true',
      shadow: r[idx.shadow] === 'true',
    }));
}
