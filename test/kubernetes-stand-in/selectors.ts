/**
 * Part of the Kubernetes API stand-in used by the tests (see api-server.ts): label selectors
 * (equality- and set-based: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`) and the
 * field selectors every resource supports (`metadata.name`, `metadata.namespace`, with `=`, `==`, `!=`).
 */

type Matcher = (object: {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}) => boolean;

/** Splits on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

export class SelectorError extends Error {}

export function labelSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const checks = terms(selector).map(term => {
    let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m !== null) {
      const [, key, op, list] = m;
      const values = new Set(list!.split(',').map(v => v.trim()));
      return (labels: Record<string, string>) =>
        op === 'in' ? values.has(labels[key!] ?? '\0') : !values.has(labels[key!] ?? '\0');
    }
    m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
    if (m !== null) {
      const [, key, op, value] = m;
      return (labels: Record<string, string>) =>
        op === '!=' ? labels[key!] !== value : labels[key!] === value;
    }
    m = /^(!?)([^\s!=]+)$/.exec(term);
    if (m !== null) {
      const [, not, key] = m;
      return (labels: Record<string, string>) => (not === '!' ? !(key! in labels) : key! in labels);
    }
    throw new SelectorError(`unable to parse requirement: ${term}`);
  });
  return object => {
    const labels = object.metadata?.labels ?? {};
    return checks.every(check => check(labels));
  };
}

export function fieldSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const checks = terms(selector).map(term => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (m === null) throw new SelectorError(`invalid field selector: ${term}`);
    const [, field, op, value] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace')
      throw new SelectorError(`field label not supported: ${field}`);
    const read = (o: { metadata?: { name?: string; namespace?: string } }): string =>
      (field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace) ?? '';
    return (o: { metadata?: { name?: string; namespace?: string } }) =>
      op === '!=' ? read(o) !== value : read(o) === value;
  });
  return object => checks.every(check => check(object));
}
