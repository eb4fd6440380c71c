/**
 * Rules for the per-route policy extensions of a MetaRouter route: `fault` and `retries` (see
 * ../route-policies.ts). Percentages are 0–100, durations positive, error kinds and retry conditions
 * from a fixed list that the message spells out.
 */
import { parseDurationMs } from '../duration.js';
import type { FieldIssue, FieldPath } from '../issue.js';
import type { MetaRoute } from '../meta-router.js';
import {
  FAULT_ERROR_KINDS,
  MAX_RETRY_ATTEMPTS,
  RETRY_ON_IGNORED,
  RETRY_ON_VALUES,
  type FaultInjection,
  type Percentage,
  type RetryPolicy,
} from '../route-policies.js';

/** Issues of `route.fault` and `route.retries`; `path` locates the route. */
export function validateRoutePolicies(route: MetaRoute, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (route.fault !== undefined) validateFault(route.fault, [...path, 'fault'], issues);
  if (route.retries !== undefined) validateRetries(route, route.retries, [...path, 'retries'], issues);
  return issues;
}

function validateFault(fault: FaultInjection, path: FieldPath, issues: FieldIssue[]): void {
  if (fault.delay === undefined && fault.abort === undefined) {
    issues.push(error(path, 'fault-empty', 'fault needs a delay, an abort, or both'));
  }
  const delay = fault.delay;
  if (delay !== undefined) {
    if (parseDurationMs(delay.fixedDelay) === 0) {
      issues.push(error([...path, 'delay', 'fixedDelay'], 'fault-delay', 'fixedDelay must be more than 0'));
    }
    checkPercentage(delay.percentage, [...path, 'delay', 'percentage'], issues);
  }
  const abort = fault.abort;
  if (abort !== undefined) {
    if (!(FAULT_ERROR_KINDS as readonly string[]).includes(abort.errorKind)) {
      issues.push(
        error(
          [...path, 'abort', 'errorKind'],
          'fault-error-kind',
          `errorKind ${JSON.stringify(abort.errorKind)} is not known; use one of ${FAULT_ERROR_KINDS.join(', ')}`,
        ),
      );
    }
    if (abort.message === '') {
      issues.push(
        error(
          [...path, 'abort', 'message'],
          'fault-message-empty',
          'message must not be empty; omit it for a message naming the route and the fault',
        ),
      );
    }
    checkPercentage(abort.percentage, [...path, 'abort', 'percentage'], issues);
  }
}

function checkPercentage(percentage: Percentage | undefined, path: FieldPath, issues: FieldIssue[]): void {
  if (percentage === undefined) return;
  const value = percentage.value;
  if (value === undefined) {
    issues.push(
      error(
        path,
        'fault-percentage',
        'percentage needs a value between 0 and 100; omit percentage to apply to every request',
      ),
    );
  } else if (!(value >= 0 && value <= 100)) {
    issues.push(
      error(
        [...path, 'value'],
        'fault-percentage',
        `percentage.value must be between 0 and 100, not ${value}`,
      ),
    );
  }
}

function validateRetries(
  route: MetaRoute,
  retries: RetryPolicy,
  path: FieldPath,
  issues: FieldIssue[],
): void {
  if (retries.attempts < 0 || retries.attempts > MAX_RETRY_ATTEMPTS) {
    issues.push(
      error(
        [...path, 'attempts'],
        'retry-attempts',
        `attempts must be between 0 and ${MAX_RETRY_ATTEMPTS}, not ${retries.attempts}`,
      ),
    );
  }
  const perTry = retries.perTryTimeout === undefined ? undefined : parseDurationMs(retries.perTryTimeout);
  if (perTry === 0) {
    issues.push(
      error(
        [...path, 'perTryTimeout'],
        'retry-per-try-timeout',
        'perTryTimeout must be more than 0; omit it to bound tries by the route timeout only',
      ),
    );
  }
  const timeout = route.timeout === undefined ? undefined : parseDurationMs(route.timeout);
  if (
    perTry !== undefined &&
    perTry > 0 &&
    timeout !== undefined &&
    perTry >= timeout &&
    retries.attempts > 0
  ) {
    issues.push({
      severity: 'warning',
      path: [...path, 'perTryTimeout'],
      rule: 'retry-per-try-timeout-too-long',
      message: `perTryTimeout ${retries.perTryTimeout} is not shorter than the route timeout ${route.timeout}, so a try that times out is never retried`,
    });
  }
  if (retries.retryOn === undefined) return;
  const at = [...path, 'retryOn'];
  const tokens = retries.retryOn.split(',').map(t => t.trim());
  if (tokens.every(t => t === '')) {
    issues.push(
      error(at, 'retry-on-empty', `retryOn must name at least one of ${RETRY_ON_VALUES.join(', ')}`),
    );
    return;
  }
  for (const token of tokens) {
    if (token === '' || (RETRY_ON_VALUES as readonly string[]).includes(token)) continue;
    if ((RETRY_ON_IGNORED as readonly string[]).includes(token)) {
      issues.push({
        severity: 'warning',
        path: at,
        rule: 'retry-on-ignored',
        message: `retryOn '${token}' needs an HTTP or gRPC status, which MetaProtocol replies do not have; it is ignored (retries happen only before any reply byte: ${RETRY_ON_VALUES.join(', ')})`,
      });
    } else {
      issues.push(
        error(
          at,
          'retry-on-unknown',
          `retryOn '${token}' is not known; use ${RETRY_ON_VALUES.join(' and/or ')}, comma-separated`,
        ),
      );
    }
  }
}

function error(path: FieldPath, rule: string, message: string): FieldIssue {
  return { severity: 'error', path, rule, message };
}
