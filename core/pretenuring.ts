/**
 * Turn off V8's allocation-site pretenuring for this process (a listening gateway does it once; see
 * `server.allocationSitePretenuring`).
 *
 * V8 watches each object and array literal's allocation site during young-generation collections: when
 * most objects from one site survive a collection, it "tenures" the site and allocates its objects in
 * the old generation from then on. A request's objects all look long-lived when a collection catches
 * many requests open at once (256 concurrent clients, or a stall under CPU contention), so V8 tenured
 * per-request sites. The decision sticks: a tenured site's objects carry no feedback, and V8 undoes its
 * decisions only after a full collection that finds most of the old generation dead, which a gateway
 * holding a cache never has. Each tenured request object then dies in the old generation, where it
 * keeps the young objects it points to alive through every young collection until the next full one,
 * so they are copied and promoted: in bench/ 4-6 KB promoted per request instead of 0.15-1 KB, in every
 * run at c=256 and in some at c=64 (bench/profile-notes.md, eighteenth round).
 *
 * The flag is process-wide and read when V8 decides, so setting it after start-up is enough. Objects
 * that do live long (cache entries) are then promoted by a collection instead of allocated old, which
 * costs little: ~80 B more promoted per request in the production bench at c=64.
 */
import v8 from 'node:v8';

let done = false;

/** Stop V8 from tenuring allocation sites from now on (idempotent). */
export function stopAllocationSitePretenuring(): void {
  if (done) return;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  done = true;
}
