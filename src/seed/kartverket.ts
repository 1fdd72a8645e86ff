// Derives a flat CSV of municipalities from Kartverket's kommuneinfo JSON (counties with their municipalities, each with
// a bounding box and a point inside it, EPSG:4258). The demo seed ingests the CSV as a table; resources/seed/README.md
// documents it. Regenerate with:
//   npx tsx src/seed/kartverket.ts resources/seed/kartverket_kommuneinfo_fylker_kommuner_2023.json resources/seed/kartverket_kommuner_2023.csv
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Geometry {
  coordinates: unknown;
}
interface Kommune {
  kommunenummer: string;
  kommunenavn: string;
  kommunenavnNorsk?: string;
  fylkesnummer: string;
  fylkesnavn: string;
  samiskForvaltningsomrade?: boolean;
  punktIOmrade?: Geometry;
  avgrensningsboks?: Geometry;
}
interface Fylke {
  fylkesnummer: string;
  fylkesnavn: string;
  kommuner: Kommune[];
}

export const KARTVERKET_COLUMNS = [
  'kommunenummer',
  'kommunenavn',
  'kommunenavn_norsk',
  'fylkesnummer',
  'fylkesnavn',
  'samisk_forvaltningsomrade',
  'punkt_lengdegrad',
  'punkt_breddegrad',
  'min_lengdegrad',
  'min_breddegrad',
  'maks_lengdegrad',
  'maks_breddegrad',
] as const;

/** All [lon, lat] pairs of a GeoJSON-like coordinates tree. */
function points(coords: unknown): [number, number][] {
  if (Array.isArray(coords) && coords.length === 2 && typeof coords[0] === 'number' && typeof coords[1] === 'number') {
    return [[coords[0], coords[1]]];
  }
  return Array.isArray(coords) ? coords.flatMap(points) : [];
}

function csvField(v: string | number | boolean | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per municipality, sorted by kommunenummer; UTF-8, comma-separated, '.' as decimal mark, LF line ends. */
export function kartverketKommunerCsv(json: unknown): string {
  if (!Array.isArray(json)) throw new Error('Expected a JSON array of counties (fylker).');
  const rows: string[][] = [];
  for (const fylke of json as Fylke[]) {
    if (!Array.isArray(fylke?.kommuner)) throw new Error(`County ${String(fylke?.fylkesnummer)} has no "kommuner" list.`);
    for (const k of fylke.kommuner) {
      const box = points(k.avgrensningsboks?.coordinates);
      const [px, py] = points(k.punktIOmrade?.coordinates)[0] ?? [];
      const lons = box.map((p) => p[0]);
      const lats = box.map((p) => p[1]);
      rows.push(
        [
          k.kommunenummer,
          k.kommunenavn,
          k.kommunenavnNorsk ?? k.kommunenavn,
          k.fylkesnummer ?? fylke.fylkesnummer,
          k.fylkesnavn ?? fylke.fylkesnavn,
          k.samiskForvaltningsomrade === true ? 'true' : 'false',
          px,
          py,
          box.length ? Math.min(...lons) : undefined,
          box.length ? Math.min(...lats) : undefined,
          box.length ? Math.max(...lons) : undefined,
          box.length ? Math.max(...lats) : undefined,
        ].map(csvField),
      );
    }
  }
  rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
  return [KARTVERKET_COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: tsx src/seed/kartverket.ts <kommuneinfo.json> <out.csv>');
    process.exit(2);
  }
  fs.writeFileSync(output, kartverketKommunerCsv(JSON.parse(fs.readFileSync(input, 'utf8'))));
}
