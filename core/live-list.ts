/**
 * A list of the things in progress right now (open requests, meter work), for a collection that lives as
 * long as the gateway and sees one add and one remove per request.
 *
 * Not a Set or Map: V8 rebuilds a Set's table every few dozen adds and deletes, and the old table keeps a
 * pointer to the new one (for iterators in progress). Once a table is in the old generation (a full
 * collection under load moves the live one there), each dead table keeps its successor, and every request
 * the successor held, alive through young-generation collections: they are promoted, and the next full
 * collection starts the chain again. In bench/ (zero-config, wrk c=64, ~10,000 req/s) the open-requests Set
 * did this after the first full collection: 3.1 KB promoted and 7.9 µs of scavenges per request, against
 * 0.12 KB and 2 µs without it (bench/profile-notes.md, tenth round). A linked list whose removed entries
 * let go of their neighbours and value leaves nothing behind.
 */
export interface LiveEntry<T> {
  value: T | undefined;
  prev: LiveEntry<T> | undefined;
  next: LiveEntry<T> | undefined;
}

export class LiveList<T> {
  #head: LiveEntry<T> | undefined = undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Add `value`; the entry is the handle to remove it with. */
  add(value: T): LiveEntry<T> {
    const entry: LiveEntry<T> = { value, prev: undefined, next: this.#head };
    if (this.#head) this.#head.prev = entry;
    this.#head = entry;
    this.#size++;
    return entry;
  }

  /** Remove an entry (a second remove of the same entry does nothing). */
  remove(entry: LiveEntry<T>): void {
    if (entry.prev) entry.prev.next = entry.next;
    else if (this.#head === entry) this.#head = entry.next;
    else return; // not in this list (already removed)
    if (entry.next) entry.next.prev = entry.prev;
    entry.prev = entry.next = entry.value = undefined;
    this.#size--;
  }

  /** The values, newest first (a snapshot: removing while iterating it is safe). */
  values(): T[] {
    const out: T[] = [];
    for (let e = this.#head; e; e = e.next) if (e.value !== undefined) out.push(e.value);
    return out;
  }

  /** Remove every entry and return their values, newest first. */
  clear(): T[] {
    const out = this.values();
    let e = this.#head;
    while (e) {
      const next = e.next;
      e.prev = e.next = e.value = undefined;
      e = next;
    }
    this.#head = undefined;
    this.#size = 0;
    return out;
  }
}
