// Exports of a result: the ML-ready bundle (a zip of the result as zstd Parquet, its data card as JSON and as a
// README.md) and the code that loads a result through the API, shown on the pages.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { TableEngine } from '../platform/engine/index';
import type { SqlResult } from '../sql/model';
import { resultToParquet } from '../sql/output';
import { dataCardMarkdown, type DataCard } from './service';

/** data.parquet + datacard.json + README.md, as one zip in memory (a result is at most 10,000 rows). */
export async function mlExportZip(engine: Pick<TableEngine, 'withConnection'>, tmpDir: string, card: DataCard, result: Pick<SqlResult, 'columns' | 'rows'>): Promise<Buffer> {
  const target = path.join(tmpDir, `${randomUUID()}.parquet`);
  try {
    await resultToParquet(engine, result, target);
    const parquet = await fs.readFile(target);
    const zip = zipSync({
      'data.parquet': [parquet, { level: 0 }],
      'datacard.json': strToU8(`${JSON.stringify(card, null, 2)}\n`),
      'README.md': strToU8(dataCardMarkdown(card)),
    });
    return Buffer.from(zip);
  } finally {
    await fs.rm(target, { force: true });
  }
}

/** A file name from a title: letters, digits and dashes, at most 60 characters. */
export function fileStem(title: string, fallback = 'resultat'): string {
  const s = title
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'o')
    .replace(/å/g, 'a')
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return s || fallback;
}

export interface SnippetTarget {
  baseUrl: string;
  /** A saved query's id: snippets GET its result; otherwise they POST the statement. */
  savedId?: string;
  sql: string;
  /** Whether a token is needed (a table read is not open data). */
  needsToken: boolean;
}

/** Ready code that loads the result: curl, Python (pandas and polars), R and JavaScript. Every string is a JSON literal, valid in all four. */
export function resultSnippets(t: SnippetTarget): { lang: string; label: string; code: string }[] {
  const token = '<API-token>';
  const sqlLit = JSON.stringify(t.sql);
  const get = t.savedId ? `${t.baseUrl}/api/v1/queries/${encodeURIComponent(t.savedId)}/result` : null;
  const post = `${t.baseUrl}/api/v1/sql`;
  const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const curl = get
    ? `curl -fsS ${t.needsToken ? `-H 'Authorization: Bearer ${token}' ` : ''}'${get}?_format=csv'`
    : `curl -fsS -X POST '${post}?_format=csv' \\\n  -H 'content-type: application/json' ${t.needsToken ? `\\\n  -H 'Authorization: Bearer ${token}' ` : ''}\\\n  -d ${shellQuote(JSON.stringify({ sql: t.sql }))}`;
  const pyHeaders = t.needsToken ? `, headers={"Authorization": "Bearer ${token}"}` : '';
  const pyFetch = get ? `r = requests.get(${JSON.stringify(get)}, params={"_format": "FORMAT"}${pyHeaders})` : `sql = ${sqlLit}\nr = requests.post(${JSON.stringify(post)}, params={"_format": "FORMAT"}, json={"sql": sql}${pyHeaders})`;
  const pandas = `import io\n\nimport pandas as pd\nimport requests\n\n${pyFetch.replace('FORMAT', 'csv')}\nr.raise_for_status()\ndf = pd.read_csv(io.StringIO(r.text))\nprint(df.head())`;
  const polars = `import io\n\nimport polars as pl\nimport requests\n\n${pyFetch.replace('FORMAT', 'parquet')}\nr.raise_for_status()\ndf = pl.read_parquet(io.BytesIO(r.content))\nprint(df.head())`;
  const rHeaders = t.needsToken ? ` |>\n  req_headers(Authorization = "Bearer ${token}")` : '';
  const r = get
    ? `library(httr2)\n\nresp <- request(${JSON.stringify(get)}) |>\n  req_url_query(\`_format\` = "csv")${rHeaders} |>\n  req_perform()\ndf <- read.csv(text = resp_body_string(resp))\nhead(df)`
    : `library(httr2)\n\nresp <- request(${JSON.stringify(post)}) |>\n  req_url_query(\`_format\` = "csv") |>\n  req_body_json(list(sql = ${sqlLit}))${rHeaders} |>\n  req_perform()\ndf <- read.csv(text = resp_body_string(resp))\nhead(df)`;
  const jsHeaders = t.needsToken ? `, authorization: 'Bearer ${token}'` : '';
  const js = get
    ? `const res = await fetch(${JSON.stringify(get)}, { headers: { accept: 'application/json'${jsHeaders} } });\nif (!res.ok) throw new Error(\`HTTP \${res.status}\`);\nconst { columns, rows } = await res.json();\nconsole.log(columns.map((c) => c.name), rows.slice(0, 5));`
    : `const res = await fetch(${JSON.stringify(post)}, {\n  method: 'POST',\n  headers: { 'content-type': 'application/json'${jsHeaders} },\n  body: JSON.stringify({ sql: ${sqlLit} }),\n});\nif (!res.ok) throw new Error(\`HTTP \${res.status}\`);\nconst { columns, rows } = await res.json();\nconsole.log(columns.map((c) => c.name), rows.slice(0, 5));`;
  return [
    { lang: 'sh', label: 'curl', code: curl },
    { lang: 'python', label: 'Python (pandas)', code: pandas },
    { lang: 'python', label: 'Python (polars)', code: polars },
    { lang: 'r', label: 'R', code: r },
    { lang: 'javascript', label: 'JavaScript', code: js },
  ];
}
