// The content loader: the repository's real content/ loads without a problem, every guide linked from the code
// exists, and each kind of broken file is refused with a message naming the file and the problem.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/db';
import { ContentLoadError, loadContentDir } from './loader';
import { renderMarkdown } from './markdown';
import { DEFAULT_CONTENT_DIR } from './service';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures/content');
const SRC = path.resolve(__dirname, '..');

const GOOD = `---
id: x-guide
title: En guide
summary: Kort.
audience: provider
kind: guide
level: intro
provider: Datafabrikken
free: true
---
Tekst.
`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A content directory with the given files (path → text). */
function dirWith(files: Record<string, string>): string {
  const dir = tempDir('df-content-');
  dirs.push(dir);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), text);
  }
  return dir;
}

function problemsOf(files: Record<string, string>): string[] {
  try {
    loadContentDir(dirWith(files));
  } catch (err) {
    if (err instanceof ContentLoadError) return err.problems.map((p) => `${p.file}: ${p.message}`);
    throw err;
  }
  return [];
}

const both = (name: string, nb: string, en = nb) => ({ [`${name}.nb.md`]: nb, [`${name}.en.md`]: en });

describe('the repository content', () => {
  it('loads without a single problem (every file valid, every item in nb and en)', () => {
    const items = loadContentDir(DEFAULT_CONTENT_DIR);
    expect(items.length).toBeGreaterThan(0);
  });

  it('has every guide the code links to (urls.guide(...))', () => {
    const ids = new Set(loadContentDir(DEFAULT_CONTENT_DIR).map((i) => i.id));
    const linked = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/urls\.guide\(\s*'([^']+)'/g)) linked.add(m[1]!);
      }
    };
    walk(SRC);
    // The ids urls.guide() accepts are linked by definition too.
    const urlsTs = fs.readFileSync(path.join(SRC, 'web/urls.ts'), 'utf8');
    const accepted = /guide: \(id: ([^)]+)\)/.exec(urlsTs)?.[1] ?? '';
    for (const m of accepted.matchAll(/'([a-z0-9-]+)'/g)) linked.add(m[1]!);
    expect(linked.size).toBeGreaterThanOrEqual(6);
    expect([...linked].filter((id) => !ids.has(id))).toEqual([]);
  });
});

describe('links inside the repository content', () => {
  it('point only to items (and headings) that exist', () => {
    const items = loadContentDir(DEFAULT_CONTENT_DIR);
    const headingIds = new Map<string, Set<string>>();
    for (const i of items) {
      const ids = [...renderMarkdown(i.body).matchAll(/<h[1-6] id="([^"]+)"/g)].map((m) => m[1]!);
      headingIds.set(`${i.id}/${i.lang}`, new Set(ids));
    }
    const broken: string[] = [];
    for (const i of items) {
      for (const m of renderMarkdown(i.body).matchAll(/href="\/kompetanse\/([^"#?]+)(?:#([^"]+))?"/g)) {
        const [, target, anchor] = m as unknown as [string, string, string | undefined];
        if (target === 'nyheter' || target === 'nyheter.atom') continue;
        const ids = headingIds.get(`${target}/${i.lang}`);
        if (!ids) broken.push(`${i.file}: /kompetanse/${target}`);
        else if (anchor && !ids.has(anchor)) broken.push(`${i.file}: /kompetanse/${target}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('loadContentDir', () => {
  it('reads the fixtures: fields typed as written, bodies, hashes', () => {
    const items = loadContentDir(FIXTURES);
    const guide = items.find((i) => i.id === 'test-guide' && i.lang === 'nb')!;
    expect(guide).toMatchObject({ title: 'Testveiledning for dataeiere', audience: 'provider', kind: 'guide', level: 'intro', duration: '10 min', free: true, published: '2026-11-01', updated: null, link: null, file: 'guides/test-guide.nb.md' });
    expect(guide.body.startsWith('## Første steg')).toBe(true);
    expect(guide.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(items.find((i) => i.id === 'eksternt-kurs')!.free).toBe(false);
  });

  it('accepts a valid item and a missing directory', () => {
    expect(problemsOf({ ...Object.fromEntries(Object.entries(both('x-guide', GOOD)).map(([k, v]) => [`guides/${k}`, v])) })).toEqual([]);
    expect(loadContentDir('/nonexistent/content')).toEqual([]);
  });

  const cases: [string, string, RegExp][] = [
    ['an unknown key', GOOD.replace('free: true', 'free: true\ncolour: red'), /Unknown key "colour"/],
    ['a bad audience', GOOD.replace('audience: provider', 'audience: everyone'), /"audience" must be one of provider, consumer, both; got "everyone"/],
    ['a bad kind', GOOD.replace('kind: guide', 'kind: podcast'), /"kind" must be one of/],
    ['a bad level', GOOD.replace('level: intro', 'level: expert'), /"level" must be one of/],
    ['a missing title', GOOD.replace('title: En guide\n', ''), /"title" is required/],
    ['free as text', GOOD.replace('free: true', 'free: "yes"'), /"free" must be true or false; got "yes"/],
    ['a numeric id', GOOD.replace('id: x-guide', 'id: 123'), /"id" must be text, not number/],
    ['an impossible date', GOOD.replace('free: true', 'free: true\npublished: 2026-02-30'), /ISO date YYYY-MM-DD; got "2026-02-30"/],
    ['a Norwegian date', GOOD.replace('free: true', 'free: true\nupdated: 01.12.2026'), /"updated" must be an ISO date/],
    ['a javascript link', GOOD.replace('free: true', 'free: true\nlink: javascript:alert(1)'), /"link" must be an absolute http\(s\) URL/],
    ['a relative link', GOOD.replace('free: true', 'free: true\nlink: /kurs'), /"link" must be an absolute/],
    ['no front matter', 'Just text', /must start with a front matter block/],
    ['broken YAML', '---\ntitle: [unclosed\n---\nx', /not valid YAML/],
    ['a duplicate key', GOOD.replace('title: En guide', 'title: En guide\ntitle: To'), /not valid YAML/],
    ['front matter that is a list', '---\n- a\n- b\n---\nx', /must be a mapping/],
    ['an id that differs from the file name', GOOD.replace('id: x-guide', 'id: y-guide'), /"id" is "y-guide" but the file name says "x-guide"/],
    ['a body over the limit', GOOD + 'x'.repeat(200_001), /Body is longer than 200000 characters/],
    ['kind news outside news/', GOOD.replace('kind: guide', 'kind: news\npublished: 2026-12-01'), /kind: news belongs under news\//],
  ];
  for (const [name, text, expected] of cases) {
    it(`refuses ${name}, naming the file`, () => {
      const problems = problemsOf({ 'guides/x-guide.nb.md': text, 'guides/x-guide.en.md': GOOD });
      expect(problems.some((p) => p.startsWith('guides/x-guide.nb.md: ') && expected.test(p))).toBe(true);
    });
  }

  it('refuses an item in only one language, a bad file name, an id with odd characters, and unknown folders', () => {
    expect(problemsOf({ 'guides/x-guide.nb.md': GOOD })).toEqual(['guides/x-guide.nb.md: "x-guide" has no en file; every item needs both nb and en.']);
    expect(problemsOf({ 'guides/x-guide.nn.md': GOOD })[0]).toMatch(/File name must be <id>\.nb\.md or <id>\.en\.md/);
    const odd = GOOD.replace('id: x-guide', 'id: "X Guide!"');
    expect(problemsOf({ 'guides/X Guide!.nb.md': odd, 'guides/X Guide!.en.md': odd }).join('\n')).toMatch(/lower-case letters, digits and hyphens/);
    expect(problemsOf({ 'blog/x.nb.md': GOOD })[0]).toMatch(/^blog: Unknown folder/);
    const nyheter = GOOD.replace('id: x-guide', 'id: nyheter');
    expect(problemsOf({ 'guides/nyheter.nb.md': nyheter, 'guides/nyheter.en.md': nyheter }).join('\n')).toMatch(/not "nyheter"/);
  });

  it('requires a published date on news and kind: news under news/', () => {
    const news = GOOD.replace('kind: guide', 'kind: news');
    expect(problemsOf({ 'news/x-guide.nb.md': news, 'news/x-guide.en.md': news }).join('\n')).toMatch(/"published" is required for news/);
    expect(problemsOf({ 'news/x-guide.nb.md': GOOD, 'news/x-guide.en.md': GOOD }).join('\n')).toMatch(/Files under news\/ must have kind: news/);
  });

  it('refuses nb and en files that disagree on kind', () => {
    expect(problemsOf({ 'guides/x-guide.nb.md': GOOD, 'guides/x-guide.en.md': GOOD.replace('kind: guide', 'kind: video') }).join('\n')).toMatch(/disagree on kind/);
  });

  it('accepts CRLF line ends and a byte order mark', () => {
    const crlf = `\uFEFF${GOOD.replace(/\n/g, '\r\n')}`;
    expect(problemsOf({ 'guides/x-guide.nb.md': crlf, 'guides/x-guide.en.md': GOOD })).toEqual([]);
  });
});
