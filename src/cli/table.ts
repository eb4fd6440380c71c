/**
 * Plain-text tables for people: columns padded to their widest cell, a bold header only when the
 * output is a terminal that accepts colour (never in pipes, files or with NO_COLOR set).
 */

/** Whether `stream` should get ANSI styling. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && process.env['NO_COLOR'] === undefined;
}

const BOLD = '\u001b[1m';
const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const RESET = '\u001b[0m';

/** Wraps `text` in an ANSI style when `color` is on. */
export function style(text: string, kind: 'bold' | 'good' | 'bad', color: boolean): string {
  if (!color) return text;
  const code = kind === 'bold' ? BOLD : kind === 'good' ? GREEN : RED;
  return `${code}${text}${RESET}`;
}

/**
 * Renders `rows` under `headers`, two spaces between columns, the last column unpadded. Cells may
 * hold several lines; a row then takes as many lines as its tallest cell.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  color: boolean,
): string {
  const split = rows.map(row => headers.map((_, i) => (row[i] ?? '').split('\n')));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...split.map(row => Math.max(...row[i]!.map(line => line.length)))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [style(line(headers), 'bold', color)];
  for (const row of split) {
    const height = Math.max(...row.map(cell => cell.length));
    for (let l = 0; l < height; l++) out.push(line(row.map(cell => cell[l] ?? '')));
  }
  return out.join('\n') + '\n';
}
