// Structured logs (pino) with request ids; secrets never logged. On a terminal the lines are made readable with
// pino-pretty; anywhere else (CI, a pipe, a log collector) they stay one JSON object per line.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormatSetting = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** LOG_FORMAT: `auto` (default) is pretty when the output is a terminal, JSON otherwise. */
  format?: LogFormatSetting;
  /** Whether the output is a terminal; defaults to process.stdout.isTTY. Injected by tests. */
  isTTY?: boolean;
  /** Where the lines go (default stdout). Tests pass a stream to capture them. */
  destination?: NodeJS.WritableStream | pino.DestinationStream;
}

/** The one decision of how log lines look. */
export function chooseLogFormat(format: LogFormatSetting = 'auto', isTTY = process.stdout.isTTY === true): 'pretty' | 'json' {
  if (format === 'auto') return isTTY ? 'pretty' : 'json';
  return format;
}

/** A URL as it may appear in a log line: the path only. Query strings carry tokens and e-mail verification links. */
export function loggablePath(url: string | undefined): string {
  if (!url) return '';
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

// Fastify's default `req` serializer logs `req.url` with its query string; ours keeps the path and the request id.
function serializeRequest(req: { id?: unknown; method?: string; url?: string }): Record<string, unknown> {
  return { id: req.id, method: req.method, path: loggablePath(req.url) };
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const format = chooseLogFormat(options.format, options.isTTY);
  const pinoOptions: pino.LoggerOptions = {
    level,
    base: { service: 'datafabrikken' },
    serializers: { req: serializeRequest },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'], censor: '[redacted]' },
  };
  if (format === 'json') return pino(pinoOptions, options.destination as pino.DestinationStream | undefined);
  // pino-pretty as an in-process stream, not a worker-thread transport: the terminal case is one person watching a
  // few lines a second, and a synchronous stream keeps the lines in order with what `serve` prints itself.
  const stream = pretty({
    colorize: options.destination === undefined && (options.isTTY ?? process.stdout.isTTY === true),
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service,method,path,statusCode,ms',
    singleLine: true,
    sync: true,
    destination: options.destination ?? 1,
  });
  return pino(pinoOptions, stream);
}
