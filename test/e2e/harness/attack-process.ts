/**
 * The child process of {@link AttackProcess}: runs the attack given as JSON in argv[2], says `ready`
 * over IPC once it is set up, answers `counts`, and on `stop` (or when its parent goes away) destroys
 * its sockets and exits.
 */
import { startAttack, type AttackSpec } from './attacks.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as AttackSpec;
const attack = await startAttack(spec);
const counts = () => ({ closedByPeer: attack.closedByPeer, open: attack.open });
process.on('message', message => {
  if (message === 'counts') process.send!({ type: 'counts', ...counts() });
  if (message === 'stop') {
    attack.stop();
    process.exit(0);
  }
});
process.on('disconnect', () => {
  attack.stop();
  process.exit(0);
});
process.send!({ type: 'ready' });
