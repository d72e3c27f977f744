/**
 * One stream of answer text (a choice's content, one tool call's arguments, or its reasoning) as it
 * leaves the gateway. Text is released once the output checks have seen it whole:
 *
 * - local checks run on a sliding window (the last released characters for context, plus what is
 *   pending); the last `holdBack` characters stay pending, so any match up to that length is seen
 *   complete before its first character is released, and a match that reaches into the held part is
 *   held entirely;
 * - remote checks see each window of `remoteWindow` characters before it is released;
 * - a placeholder of the vault that is not complete yet is held until it is, so the restored value
 *   is written even when the placeholder arrives split across chunks;
 * - document checks (JSON schema) see the whole content at the end.
 *
 * `block` throws (the stream ends with an error event; the held text never reaches the client),
 * `redact` replaces a match by [LABEL] before release, `flag` and `log` record. Non-streamed answers
 * go through the same path in one push and a final flush.
 */
import type { ChatContext } from '../../core/context.js';
import { resolveOverlaps, type Match } from './checks/match.js';
import { RemoteCheckError } from './checks/remote.js';
import type { CompiledPolicy } from './policy.js';
import { replaceSpans } from './text.js';
import { blocked, record, unavailable, type GuardState } from './verdicts.js';
import { jsonEscape } from './vault.js';

/** Released characters kept as context for the detectors (boundaries, keywords before a match). */
const CONTEXT = 96;
/** With a hold-back, scan once at least this many characters can be released (not on every chunk). */
const STEP = 32;

export interface ChannelOptions {
  kind: 'content' | 'arguments' | 'reasoning';
  holdBack: number;
  remoteWindow: number;
}

export class Channel {
  #pending = '';
  #context = '';
  #full = '';
  readonly #seen = new Set<string>();
  readonly #checked: CompiledPolicy[];
  readonly #remote: boolean;
  readonly #documents: boolean;
  readonly #hold: number;

  constructor(
    private readonly state: GuardState,
    private readonly ctx: ChatContext,
    private readonly o: ChannelOptions,
  ) {
    // reasoning is only restored: it is not part of the answer the checks judge
    this.#checked = o.kind === 'reasoning' ? [] : state.policies.filter((p) => p.output);
    this.#remote = this.#checked.some((p) => p.remote.length);
    this.#documents = o.kind === 'content' && this.#checked.some((p) => p.documents.length);
    this.#hold = this.#checked.some((p) => p.text.length) ? o.holdBack : 0;
  }

  /** Whether anything is still held. */
  get holding(): boolean {
    return this.#pending.length > 0;
  }

  /** Take text from the provider; returns what may be sent now (restored). */
  push(text: string): Promise<string> | string {
    this.#pending += text;
    if (this.#documents) this.#full += text;
    return this.#release(false);
  }

  /** The channel ended: run the final checks and return everything left (restored). */
  flush(): Promise<string> | string {
    return this.#release(true);
  }

  #release(final: boolean): Promise<string> | string {
    const pending = this.#pending;
    if (!final && this.#hold && pending.length < this.#hold + STEP) return ''; // nothing worth a scan yet
    const off = this.#context.length;
    let cut = final ? pending.length : Math.max(0, pending.length - this.#hold);
    const local: Array<{ policy: CompiledPolicy; match: Match }> = [];

    if (this.#checked.length && pending) {
      const window = this.#context + pending;
      for (const p of this.#checked) {
        for (const check of p.text) {
          for (const m of check.find(window)) {
            if (!check.locates) {
              const key = `${p.id}\u0000${m.rule}`;
              if (this.#seen.has(key)) continue;
              this.#seen.add(key);
              record(this.state, p.id, m.rule, p.action, 'output');
              if (p.action === 'block') throw blocked(p.id, m.rule, 'output');
              continue;
            }
            if (m.end <= off) continue; // released (and counted) before
            if (p.action === 'block') {
              record(this.state, p.id, m.rule, 'block', 'output');
              throw blocked(p.id, m.rule, 'output');
            }
            local.push({ policy: p, match: m });
          }
        }
      }
    }
    // Settle the cut: never inside a match (hold from its start) nor inside an unfinished placeholder;
    // repeat, as each move may split another one.
    const vault = this.state.vault;
    for (let moved = true; moved; ) {
      moved = false;
      for (const { match: m } of local) {
        const s = Math.max(0, m.start - off);
        if (s < cut && m.end - off > cut) {
          cut = s;
          moved = true;
        }
      }
      const at = !final && vault ? vault.partialAt(pending.slice(0, cut)) : -1;
      if (at >= 0 && at < cut) {
        cut = at;
        moved = true;
      }
    }
    if (!final && cut > 0 && cut < pending.length && isHighSurrogate(pending.charCodeAt(cut - 1))) cut--;
    if (!final && this.#remote && cut < this.o.remoteWindow) cut = 0; // wait for a full window

    const finish = (): string => {
      const redactions: Match[] = [];
      for (const { policy, match } of local) {
        if (match.end - off > cut) continue; // still held: counted when released
        record(this.state, policy.id, match.rule, policy.action, 'output');
        if (policy.action !== 'redact') continue;
        redactions.push({ ...match, start: Math.max(0, match.start - off), end: match.end - off });
      }
      let piece = pending.slice(0, cut);
      this.#context = (this.#context + piece).slice(-CONTEXT);
      this.#pending = pending.slice(cut);
      if (redactions.length) {
        const spans = resolveOverlaps(redactions);
        piece = replaceSpans(piece, spans, (i) => `[${spans[i].label}]`);
      }
      return vault ? vault.restore(piece, this.o.kind === 'arguments' ? jsonEscape : undefined) : piece;
    };

    const remoteText = this.#remote && cut > 0 ? pending.slice(0, cut) : '';
    const needsDocuments = final && this.#documents;
    if (!remoteText && !needsDocuments) return finish();
    return (async () => {
      if (remoteText) await this.#runRemote(this.#context.slice(-64) + remoteText);
      if (needsDocuments) this.#runDocuments();
      return finish();
    })();
  }

  async #runRemote(text: string): Promise<void> {
    let refusal: { policy: string; rule: string } | undefined;
    let failure: { policy: string; reason: string } | undefined;
    await Promise.all(
      this.#checked.flatMap((p) =>
        p.remote.map(async (check) => {
          let rules: string[];
          try {
            rules = await check.run([text], { ctx: this.ctx, phase: 'output', policy: p.id });
          } catch (e) {
            if (!(e instanceof RemoteCheckError)) throw e;
            record(this.state, p.id, `${check.type}.unavailable`, p.failClosed ? 'block' : 'log', 'output');
            if (p.failClosed) failure ??= { policy: p.id, reason: e.message };
            return;
          }
          for (const rule of rules) {
            const key = `${p.id}\u0000${rule}`;
            if (p.action !== 'block' && this.#seen.has(key)) continue; // one verdict per rule per answer
            this.#seen.add(key);
            record(this.state, p.id, rule, p.action, 'output');
          }
          if (rules.length && p.action === 'block') refusal ??= { policy: p.id, rule: rules[0] };
        }),
      ),
    );
    if (refusal) throw blocked(refusal.policy, refusal.rule, 'output');
    if (failure) throw unavailable(failure.policy, failure.reason);
  }

  #runDocuments(): void {
    for (const p of this.#checked) {
      for (const check of p.documents) {
        let rule: string | undefined;
        try {
          rule = check.validate(this.#full, this.ctx.request);
        } catch (e) {
          record(this.state, p.id, 'json_schema.unusable_schema', p.failClosed ? 'block' : 'log', 'output');
          if (p.failClosed) throw unavailable(p.id, (e as Error).message);
          continue;
        }
        if (!rule) continue;
        record(this.state, p.id, rule, p.action, 'output');
        if (p.action === 'block') throw blocked(p.id, rule, 'output');
      }
    }
  }
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
