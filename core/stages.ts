/**
 * Tap ordering across plugins: pass `{ name, stage: Stage.X }` to a hook's tap. Lower runs first;
 * the gaps leave room (Stage.NORMAL + 5 is fine).
 */
export const Stage = Object.freeze({
  FIRST: -1000,
  EARLY: -100,
  NORMAL: 0,
  LATE: 100,
  LAST: 1000,
});
