// A loopback stand-in for Enhetsregisteret's API (node:http on 127.0.0.1, a free port): it replays the real recorded
// responses in test/fixtures/brreg and, for the numbers below, answers the way the real API does for the cases no
// recording covers (sub-unit, deleted unit) or the way a failing server would (500, hang, broken or huge body).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/brreg');

/** Valid (mod-11) numbers with a scripted behaviour. */
export const BRREG = {
  digdir: '991825827',
  arkivverket: '961181399',
  haKommune: '964969590',
  rogaland: '971045698',
  domstolene: '984195796',
  domstoladministrasjonen: '926721720',
  /** 404 on /enheter, a constructed underenhet (BEDR under Digdir) on /underenheter. */
  underenhet: '910000004',
  /** 410 Gone, as the API answers for removed units. */
  gone: '910000012',
  /** 200 with a record whose slettedato is set (constructed from Arkivverket's record). */
  deletedRecord: '910000020',
  /** 500 Internal Server Error. */
  serverError: '910000039',
  /** Accepts the request and never answers (the client's timeout must end it). */
  hang: '910000047',
  /** 200 with a body cut off mid-JSON. */
  malformed: '910000055',
  /** 200 with a 2 MB body streamed without Content-Length. */
  huge: '910000063',
  /** 404 everywhere (unknown to the registry). */
  unknown: '910000071',
} as const;

function recorded(): Map<string, string> {
  const byOrgnr = new Map<string, string>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const body = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { organisasjonsnummer?: string; _embedded?: { enheter?: { organisasjonsnummer: string }[] } };
    const records = body._embedded?.enheter ?? [body];
    for (const r of records) if (r.organisasjonsnummer) byOrgnr.set(r.organisasjonsnummer, JSON.stringify(r));
  }
  return byOrgnr;
}

export interface BrregServer {
  url: string;
  /** Paths requested so far, e.g. /enheter/991825827. */
  requests: string[];
  close(): Promise<void>;
}

export async function startBrregServer(): Promise<BrregServer> {
  const records = recorded();
  const arkivverket = JSON.parse(records.get(BRREG.arkivverket) ?? '{}') as Record<string, unknown>;
  const requests: string[] = [];
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const m = /^\/(enheter|underenheter)\/(\d{9})$/.exec(url);
    if (!m) return json(res, 404, { status: 404, error: 'Not Found' });
    const [, kind, orgnr] = m as unknown as [string, string, string];
    if (kind === 'enheter' && records.has(orgnr)) return json(res, 200, records.get(orgnr));
    switch (orgnr) {
      case BRREG.underenhet:
        if (kind === 'enheter') return json(res, 404, { status: 404, error: 'Not Found' });
        // Constructed: an underenhet record has beliggenhetsadresse and overordnetEnhet (API documentation).
        return json(res, 200, {
          organisasjonsnummer: orgnr,
          navn: 'DIGITALISERINGSDIREKTORATET AVD BRØNNØYSUND',
          organisasjonsform: { kode: 'BEDR', beskrivelse: 'Underenhet til næringsdrivende og offentlig forvaltning' },
          beliggenhetsadresse: { land: 'Norge', landkode: 'NO', postnummer: '8900', poststed: 'BRØNNØYSUND', adresse: ['Havnegata 48'], kommune: 'BRØNNØY', kommunenummer: '1813' },
          overordnetEnhet: BRREG.digdir,
        });
      case BRREG.gone:
        return json(res, 410, { organisasjonsnummer: orgnr, slettedato: '2023-05-02' });
      case BRREG.deletedRecord:
        return json(res, 200, { ...arkivverket, organisasjonsnummer: orgnr, slettedato: '2024-01-15' });
      case BRREG.serverError:
        return json(res, 500, { status: 500, error: 'Internal Server Error' });
      case BRREG.hang:
        return; // never answers
      case BRREG.malformed:
        return json(res, 200, '{"organisasjonsnummer": "910000055", "navn": "HALV');
      case BRREG.huge: {
        res.writeHead(200, { 'content-type': 'application/json' });
        const piece = `{"organisasjonsnummer":"${orgnr}","navn":"${'X'.repeat(64 * 1024)}"}`;
        let sent = 0;
        const more = () => {
          while (sent < 32) {
            sent++;
            if (!res.write(piece)) return void res.once('drain', more);
          }
          res.end();
        };
        res.on('error', () => undefined);
        more();
        return;
      }
      default:
        return json(res, 404, { status: 404, error: 'Not Found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
