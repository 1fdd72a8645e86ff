// The curl snippet on the SQL page works as shown: a POSIX shell hands curl exactly the statement, quotes and all.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { curlSnippet } from './pages';

describe('curlSnippet', () => {
  it('passes the statement to curl unchanged, with single quotes, double quotes, backslashes and line breaks', () => {
    const sql = `SELECT 'it''s' AS a, "x\\y" FROM "974760673/kommuner-1a2b3c4d/kommuner"\nWHERE navn LIKE '%$HOME%' -- $(id)`;
    const snippet = curlSnippet('https://data.example.no', sql);
    // curl replaced by a function that prints its arguments, one per line (NUL-separated to keep line breaks).
    const out = execFileSync('sh', ['-c', `curl() { printf '%s\\0' "$@"; }\n${snippet}`], { encoding: 'utf8' });
    const args = out.split('\0').slice(0, -1);
    expect(args.slice(0, 3)).toEqual(['-X', 'POST', 'https://data.example.no/api/v1/sql?_format=csv']);
    expect(JSON.parse(args[args.indexOf('-d') + 1] ?? '')).toEqual({ sql });
  });
});
