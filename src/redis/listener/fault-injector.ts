/**
 * Envoy's Redis faults: each fault applies to the commands it lists, or to every command when it
 * lists none (AUTH and PING are never faulted: the proxy answers them itself). For one command the
 * faults that apply share one draw, in the order given, so an ERROR at 5 % for all commands and a
 * DELAY at 10 % for GET give 10 % of GETs a delay and 5 % an error (percentages are not checked
 * to stay within 100 %, as in Envoy).
 */
import type { RedisFaultResource } from '../../xds/redis-resources.js';

export class FaultInjector {
  /** Per command: the faults listing it, then the faults for every command. */
  private readonly byCommand = new Map<string, readonly RedisFaultResource[]>();
  private readonly forAll: readonly RedisFaultResource[];

  constructor(
    faults: readonly RedisFaultResource[],
    private readonly random: () => number = Math.random,
  ) {
    this.forAll = faults.filter(f => f.commands.length === 0);
    const listed = new Map<string, RedisFaultResource[]>();
    for (const fault of faults) {
      for (const command of fault.commands) {
        const list = listed.get(command) ?? [];
        list.push(fault);
        listed.set(command, list);
      }
    }
    for (const [command, list] of listed) this.byCommand.set(command, [...list, ...this.forAll]);
  }

  get empty(): boolean {
    return this.forAll.length === 0 && this.byCommand.size === 0;
  }

  /** The fault for one execution of `command` (lower-case), or `undefined`. */
  pick(command: string): RedisFaultResource | undefined {
    const faults = this.byCommand.get(command) ?? this.forAll;
    if (faults.length === 0) return undefined;
    const draw = this.random() * 100;
    let cumulative = 0;
    for (const fault of faults) {
      cumulative += fault.percent;
      if (draw < cumulative) return fault;
    }
    return undefined;
  }

  /** The faults that may apply to `command`, for `aeraki explain`. */
  candidates(command: string): readonly RedisFaultResource[] {
    return this.byCommand.get(command) ?? this.forAll;
  }
}
