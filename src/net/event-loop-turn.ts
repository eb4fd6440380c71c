/**
 * A number that changes once per event-loop turn: what a socket handler compares to know whether the
 * work it counted was done in this turn. Reading it schedules the increment for the turn's check phase
 * (`setImmediate`), once per turn, so turns in which nobody asks cost nothing.
 */
let turn = 0;
let scheduled = false;

function advance(): void {
  turn++;
  scheduled = false;
}

/** The current turn's number. */
export function eventLoopTurn(): number {
  if (!scheduled) {
    scheduled = true;
    setImmediate(advance);
  }
  return turn;
}
