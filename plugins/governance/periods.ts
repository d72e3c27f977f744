/**
 * Calendar periods in an IANA time zone: the start and end (epoch ms) of the day, ISO week (Monday
 * first) or month containing an instant, and local day/hour labels for grouping. UTC, the default, is
 * plain calendar arithmetic; other zones go through Intl.DateTimeFormat, whose first use loads ICU's
 * zone and locale data (~8 MB of resident memory that a UTC gateway does not need: bench/profile-notes.md).
 */
import type { Period } from './types.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone computed without Intl (exactly this name; aliases such as "Etc/UTC" go through Intl). */
const UTC = 'UTC';

/** Throws a RangeError for an unknown zone. */
export function checkTimeZone(timeZone: string): void {
  if (timeZone !== UTC) formatter(timeZone);
}

interface Local {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

export function localParts(t: number, timeZone: string): Local {
  if (timeZone === UTC) {
    const u = new Date(t);
    return {
      y: u.getUTCFullYear(),
      m: u.getUTCMonth() + 1,
      d: u.getUTCDate(),
      h: u.getUTCHours(),
      mi: u.getUTCMinutes(),
      s: u.getUTCSeconds(),
    };
  }
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(t))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year, m: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

/** Offset of the zone from UTC at instant t (ms). */
function offsetAt(t: number, timeZone: string): number {
  const l = localParts(t, timeZone);
  return Date.UTC(l.y, l.m - 1, l.d, l.h, l.mi, l.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of a local wall-clock time (midnight never falls in a DST gap in practice; handled anyway). */
export function fromLocal(y: number, m: number, d: number, timeZone: string): number {
  const guess = Date.UTC(y, m - 1, d);
  if (timeZone === UTC) return guess;
  let t = guess - offsetAt(guess, timeZone);
  t = guess - offsetAt(t, timeZone);
  return t;
}

export interface Window {
  start: number;
  end: number;
  label: string;
}

/**
 * The last window computed per period and zone: budgets ask for it on every request, and each
 * computation formats dates in the zone five times (7% of a request's CPU with budgets, in bench/).
 */
const lastWindow = new Map<string, Readonly<Window>>();

export function periodWindow(period: Period, t: number, timeZone: string): Readonly<Window> {
  const key = `${period}|${timeZone}`;
  const hit = lastWindow.get(key);
  if (hit && t >= hit.start && t < hit.end) return hit;
  const w = Object.freeze(computeWindow(period, t, timeZone));
  lastWindow.set(key, w);
  return w;
}

function computeWindow(period: Period, t: number, timeZone: string): Window {
  if (period === 'lifetime') return { start: 0, end: Number.POSITIVE_INFINITY, label: 'lifetime' };
  const l = localParts(t, timeZone);
  if (period === 'day') {
    return {
      start: fromLocal(l.y, l.m, l.d, timeZone),
      end: fromLocal(l.y, l.m, l.d + 1, timeZone),
      label: ymd(l.y, l.m, l.d),
    };
  }
  if (period === 'month') {
    return {
      start: fromLocal(l.y, l.m, 1, timeZone),
      end: fromLocal(l.y, l.m + 1, 1, timeZone),
      label: `${l.y}-${pad(l.m)}`,
    };
  }
  const dow = (new Date(Date.UTC(l.y, l.m - 1, l.d)).getUTCDay() + 6) % 7; // Monday = 0
  const first = new Date(Date.UTC(l.y, l.m - 1, l.d - dow));
  const y = first.getUTCFullYear();
  const m = first.getUTCMonth() + 1;
  const d = first.getUTCDate();
  return {
    start: fromLocal(y, m, d, timeZone),
    end: fromLocal(y, m, d + 7, timeZone),
    label: `week-of-${ymd(y, m, d)}`,
  };
}

export const pad = (n: number) => String(n).padStart(2, '0');
export const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

/** "2025-03-01" or "2025-03-01T14" in the zone. */
export function localLabel(t: number, unit: 'day' | 'hour', timeZone: string): string {
  const l = localParts(t, timeZone);
  return unit === 'day' ? ymd(l.y, l.m, l.d) : `${ymd(l.y, l.m, l.d)}T${pad(l.h)}`;
}
