/**
 * The live view: on a terminal, one table per service redrawn in place once a second; otherwise
 * (piped, in CI, in a test) plain lines, one per service per second. Then a summary.
 */
import type { ConfiguredSplit } from './route-split.js';
import type { ServiceDemo } from './service-demo.js';

/** What one service's table shows at one moment. */
export interface ServiceFrame {
  readonly demo: ServiceDemo;
  /** Answers per version since the previous frame. */
  readonly window: ReadonlyMap<string, number>;
  /** The split the config gives the demo's calls now; undefined when no route matches them. */
  readonly split: ConfiguredSplit | undefined;
  /** The MetaRouter's file, if the service has one. */
  readonly routesFile: string | undefined;
}

const BAR_WIDTH = 20;

export class LiveView {
  private linesDrawn = 0;
  private shownErrors = '';

  constructor(
    private readonly tty: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  /**
   * Shows the counts after `elapsedSeconds` (of `durationSeconds`, if the run has a duration);
   * `configErrors` are the errors of the config on disk.
   */
  update(
    elapsedSeconds: number,
    durationSeconds: number | undefined,
    frames: readonly ServiceFrame[],
    configErrors: readonly string[],
  ): void {
    if (this.tty) this.redraw(elapsedSeconds, durationSeconds, frames, configErrors);
    else this.appendLines(elapsedSeconds, frames, configErrors);
  }

  /** The final counts, one line per service. */
  summary(demos: readonly ServiceDemo[]): void {
    let text = '\n';
    for (const demo of demos) {
      const { tally } = demo;
      text += `${demo.driver.title}: ${tally.sum} requests through the proxy: ${versionCounts(demo)}; errors ${tally.errors}\n`;
      if (tally.errors > 0) text += `  last error: ${tally.lastError}\n`;
    }
    this.out.write(text);
  }

  private appendLines(
    elapsed: number,
    frames: readonly ServiceFrame[],
    configErrors: readonly string[],
  ): void {
    let text = '';
    for (const { demo } of frames) {
      const { tally } = demo;
      text += `[${elapsed.toFixed(0)}s] ${demo.driver.title}: ${tally.sum} requests, ${versionCounts(demo)}, errors ${tally.errors}\n`;
    }
    const errors = configErrors.join('\n');
    if (errors !== this.shownErrors) {
      text += errors === '' ? 'The config is valid again and served.\n' : configErrorText(configErrors);
      this.shownErrors = errors;
    }
    this.out.write(text);
  }

  private redraw(
    elapsed: number,
    duration: number | undefined,
    frames: readonly ServiceFrame[],
    configErrors: readonly string[],
  ): void {
    const lines = [
      duration === undefined
        ? `  ${elapsed.toFixed(0)}s · Ctrl-C stops the demo`
        : `  ${elapsed.toFixed(0)}s of ${duration}s`,
    ];
    for (const frame of frames) lines.push('', ...tableLines(frame));
    if (configErrors.length > 0) lines.push('', ...configErrorText(configErrors).trimEnd().split('\n'));
    // A line wider than the terminal wraps and breaks the cursor arithmetic of the next redraw.
    const width = Math.max(20, (this.out.columns ?? 100) - 1);
    let text = this.linesDrawn > 0 ? `\x1b[${this.linesDrawn}A` : '';
    for (const line of lines)
      text += `\x1b[2K${line.length > width ? line.slice(0, width - 1) + '…' : line}\n`;
    // Clear what a longer previous frame left below (e.g. config errors that are fixed now).
    text += '\x1b[J';
    this.linesDrawn = lines.length;
    this.out.write(text);
  }
}

function tableLines({ demo, window, split, routesFile }: ServiceFrame): string[] {
  const { tally } = demo;
  const total = tally.sum;
  const perSecond = [...window.values()].reduce((a, b) => a + b, 0);
  const lines = [
    `  ${demo.driver.title} · ${demo.service.name} behind ${hostPort(demo.listener)} · ` +
      `${total} requests, ${perSecond}/s, ${tally.errors} errors`,
    `    ${'version'.padEnd(8)} ${'all requests'.padEnd(35)}   ${'last second'}   ${'configured'}`,
  ];
  for (const v of demo.versions) {
    const n = tally.total.get(v) ?? 0;
    const weight = split?.weights.get(v);
    lines.push(
      `    ${v.padEnd(8)} ${bar(n, total)} ${String(n).padStart(7)} ${share(n, total).padStart(6)}` +
        `   ${share(window.get(v) ?? 0, perSecond).padStart(11)}   ${(weight === undefined ? '' : `${weight}%`).padStart(10)}`,
    );
  }
  const routing = demo.service.routing;
  if (routing !== undefined) lines.push(`    configured by ${routing.file}: ${routing.description}`);
  else if (routesFile === undefined) lines.push(`    no MetaRouter for ${demo.service.host}`);
  else if (split === undefined) {
    lines.push(`    no route in ${routesFile} matches these calls: the proxy answers them with an error`);
  } else lines.push(`    configured by ${routesFile}, route ${split.routeName}`);
  if (tally.errors > 0) lines.push(`    last error: ${tally.lastError.replace(/\s+/g, ' ')}`);
  return lines;
}

function hostPort({ host, port }: { host: string; port: number }): string {
  return `${host}:${port}`;
}

/** `v1 250 (20.0%), v2 1000 (80.0%)`. */
function versionCounts({ versions, tally }: ServiceDemo): string {
  const total = tally.sum;
  return versions
    .map(v => `${v} ${tally.total.get(v) ?? 0} (${share(tally.total.get(v) ?? 0, total)})`)
    .join(', ');
}

function configErrorText(errors: readonly string[]): string {
  const shown = errors.slice(0, 3).map(e => `  ${e}\n`);
  const more = errors.length > shown.length ? `  … and ${errors.length - shown.length} more\n` : '';
  return `The config on disk has errors; aeraki keeps serving the previous one:\n${shown.join('')}${more}`;
}

function share(n: number, of: number): string {
  return of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`;
}

function bar(n: number, of: number): string {
  const filled = of === 0 ? 0 : Math.round((BAR_WIDTH * n) / of);
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}
