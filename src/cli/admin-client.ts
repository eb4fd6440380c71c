import { AerakiError, ErrorCodes } from '../errors.js';

/** How long a CLI command waits for an admin API before it gives up. */
const ADMIN_TIMEOUT_MS = 5000;

/** An admin API's answer: its HTTP status and its JSON body (undefined when the body is not JSON). */
export interface AdminAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * GETs `path` from the admin API at `hostPort`. An admin API that is not there becomes one
 * AerakiError that says which address was tried and what to check, instead of a stack trace.
 */
export async function requestAdmin(hostPort: string, path: string, what: string): Promise<AdminAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`http://${hostPort}${path}`, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
    text = await response.text();
  } catch (err) {
    throw adminUnreachable(hostPort, what, err);
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

/** The error for a failed request to an admin API: which address, why, and what to check. */
export function adminUnreachable(hostPort: string, what: string, err: unknown): AerakiError {
  const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return new AerakiError(
    ErrorCodes.ADMIN_UNREACHABLE,
    `cannot reach the ${what} admin API at ${hostPort} (${reason}); is aeraki running there?`,
    { cause: err },
  );
}

/** Like {@link requestAdmin}, for endpoints that must answer 200 with JSON. */
export async function fetchAdminJson(hostPort: string, path: string, what: string): Promise<unknown> {
  const answer = await requestAdmin(hostPort, path, what);
  if (answer.status !== 200 || answer.body === undefined) {
    throw new AerakiError(
      ErrorCodes.ADMIN_UNREACHABLE,
      `the ${what} admin API at ${hostPort} answered ${answer.status} to ${path} without the expected JSON`,
    );
  }
  return answer.body;
}
