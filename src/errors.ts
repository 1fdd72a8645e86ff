// Typed domain errors (STYLE §11). Services throw these; one error handler in server.ts renders them as the JSON
// error shape { error: { code, message, details } } or as an HTML page in the reader's language. `code` is a stable
// snake_case identifier that clients may rely on; `message` is English for the API, pages translate by code.

export type ErrorDetails = Record<string, unknown> | unknown[] | undefined;

export class DomainError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails;
  /** Extra values a translated page message may interpolate, e.g. { orgnr }. */
  readonly params: Record<string, string | number>;

  constructor(status: number, code: string, message: string, details?: ErrorDetails, params: Record<string, string | number> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
    this.params = params;
  }
}

export class BadRequestError extends DomainError {
  constructor(message: string, details?: ErrorDetails, code = 'bad_request') {
    super(400, code, message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Sign in or send a valid API token to do this.') {
    super(401, 'unauthenticated', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You do not have permission to do this.', reason = 'forbidden') {
    super(403, 'forbidden', message, { reason });
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string, code = 'not_found') {
    super(404, code, `${what} "${id}" was not found.`, { [what.toLowerCase()]: id }, { id });
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, code = 'conflict', details?: ErrorDetails) {
    super(409, code, message, details);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `The request body is larger than the limit of ${limitBytes} bytes.`, { limitBytes });
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor(got: string | undefined, expected: string[]) {
    super(415, 'unsupported_media_type', `Content type "${got ?? 'none'}" is not accepted here; send ${expected.join(' or ')}.`, { expected });
  }
}

/** One field-level problem: `field` is a JSON pointer-ish path ("/orgnr"), `code` a stable reason. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[], message?: string) {
    super(422, 'validation_failed', message ?? problems.map((p) => p.message).join(' '), { problems });
    this.problems = problems;
  }
}

export class RateLimitedError extends DomainError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limited', `Too many attempts. Try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds }, { seconds: retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
