/**
 * Where a callgrind dump's instructions went, by kind of code: JIT-compiled JavaScript, V8's
 * interpreter and baseline code, inline-cache handlers, the garbage collector, V8's compilers, node's
 * C++, libuv, libc, SQLite, OpenSSL... (self cost per function from callgrind_annotate, then grouped
 * by name and object file). JIT-compiled code has no symbols under valgrind, so per-function detail
 * of JavaScript comes from the CPU profile (`npm run bench -- --profile`), not from here.
 */
import { execFileSync } from 'node:child_process';

export interface FunctionCost {
  name: string;
  object: string;
  instructions: number;
}

/** Self instructions per function of one dump file. */
export function functionCosts(file: string): FunctionCost[] {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', file], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const out: FunctionCost[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[([^\]]*)\])?$/.exec(line);
    if (!m || m[2] === 'PROGRAM TOTALS') continue;
    const fn = m[2].includes(':') ? m[2].slice(m[2].indexOf(':') + 1) : m[2];
    out.push({ name: fn, object: m[3] ?? '', instructions: Number(m[1].replace(/,/g, '')) });
  }
  return out;
}

// The longest alternations, split over lines: the same patterns as regex literals.
const GC = new RegExp(
  'v8::internal::(Heap|MarkCompact|Marking|MainMarking|Concurrent|IncrementalMarking|Scavenge|' +
    'Sweeper|Evacuat|MinorM|LargeObjectSpace|PagedSpace|MemoryAllocator|MemoryChunk|BasicMemoryChunk|' +
    'Page::|FreeList|RememberedSet|SlotSet|TypedSlot|RootScavengeVisitor|WeakObjects|GlobalHandles|' +
    'GCTracer|ArrayBufferSweeper|BodyDescriptor|HeapObject::SizeFromMap|IterateObjectCache|' +
    'RelocIterator)|heap::base::|cppgc::|MarkingVisitor|MarkingWorklist',
);
const COMPILERS = new RegExp(
  'v8::internal::(compiler|baseline|interpreter::Bytecode|Parser|Scanner|AstValue|Zone|Compiler|' +
    'OptimizingCompile|Deoptimizer|Translat|SourcePosition|turboshaft|maglev|CodeGenerator|Assembler|' +
    'RegExpCompiler|RegExpBytecode)',
);
const INLINE_CACHES = new RegExp(
  "^Builtins_.*IC(_|Baseline|Trampoline|$|')|v8::internal::(.*IC::|LookupIterator|FeedbackNexus|" +
    'Map::|TransitionsAccessor|JSObject::MigrateToMap|DescriptorArray)',
);

const RULES: Array<[string, (f: FunctionCost) => boolean]> = [
  ['JIT-compiled JavaScript (TurboFan, Sparkplug, regexps)', (f) => f.object === '???' || /^0x[0-9a-f]+$/.test(f.name)],
  ['garbage collector', (f) => GC.test(f.name)],
  ['V8 compilers (TurboFan, Sparkplug, bytecode, parser)', (f) => COMPILERS.test(f.name)],
  ['V8 inline caches (property access, calls)', (f) => INLINE_CACHES.test(f.name)],
  ['V8 interpreter and baseline tiers', (f) => /^Builtins_.*(Handler|Baseline|Interpreter|Bytecode)/.test(f.name)],
  ['V8 builtins (calls, strings, JSON, objects)', (f) => /^Builtins_/.test(f.name)],
  ['V8 runtime (C++)', (f) => /v8::|^Runtime_/.test(f.name)],
  ['SQLite (better-sqlite3)', (f) => /sqlite|better_sqlite/i.test(f.name + f.object)],
  ['OpenSSL (hashing)', (f) => /libcrypto|libssl|openssl|sha256|SHA256|EVP_/i.test(f.name + f.object)],
  ['llhttp (node:http parser)', (f) => /llhttp/.test(f.name)],
  ['libuv (event loop)', (f) => /^uv_|uv__/.test(f.name)],
  ['node C++ (bindings, streams, buffers)', (f) => /node::|napi_/.test(f.name)],
  ['libc (malloc, memcpy, syscalls wrappers)', (f) => /libc\.so|libm\.so|ld-linux/.test(f.object)],
  ['C++ runtime', (f) => /libstdc\+\+|libgcc/.test(f.object)],
];

/** Instructions per category of one or more dumps (their sum). */
export function breakdown(files: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of files) {
    for (const f of functionCosts(file)) {
      const cat = RULES.find(([, test]) => test(f))?.[0] ?? 'other';
      out[cat] = (out[cat] ?? 0) + f.instructions;
    }
  }
  return out;
}

/** The top functions (self) over one or more dumps. */
export function topFunctions(files: string[], n = 25): FunctionCost[] {
  const map = new Map<string, FunctionCost>();
  for (const file of files) {
    for (const f of functionCosts(file)) {
      const key = `${f.name}\u0000${f.object}`;
      const e = map.get(key) ?? { ...f, instructions: 0 };
      e.instructions += f.instructions;
      map.set(key, e);
    }
  }
  return [...map.values()].sort((a, b) => b.instructions - a.instructions).slice(0, n);
}
