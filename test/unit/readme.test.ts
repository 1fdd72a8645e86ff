// README.md makes promises a newcomer acts on; these tests hold them to the code (STYLE §15): the command list is the
// CLI's own usage lines, the configuration table is what `serve --help` prints, and the start-up facts (default
// language, operator e-mail, printed URL) are the values the code uses.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, commandHelp, main, type Io } from '../../src/cli/main';
import { CONFIG_KEYS, loadConfig } from '../../src/config';
import { DEFAULT_OPERATOR_EMAIL } from '../../src/seed/operator';
import { DEFAULT_LOCALE, LOCALE_NAMES } from '../../src/web/i18n/index';

const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

async function run(...argv: string[]): Promise<string> {
  const out: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l), env: {} };
  expect(await main(argv, io)).toBe(0);
  return out.join('\n');
}

describe('README.md says what the code does', () => {
  it('lists exactly the commands of `datafabrikken --help`, with each command\'s own usage line', async () => {
    const block = /```\n([\s\S]*?)```/.exec(section('Command line'))?.[1] ?? '';
    const listed = block.trim().split('\n');
    const usages = COMMAND_NAMES.map((name) => commandHelp(name)!.split('\n')[0]);
    expect(listed).toEqual(usages);
    const help = await run('--help');
    for (const name of COMMAND_NAMES) {
      expect(help).toContain(`  ${name} `);
      expect((await run(...name.split(' '), '--help')).split('\n')[0]).toBe(usages[COMMAND_NAMES.indexOf(name)]);
    }
  });

  it('documents each configuration key with the default and description `serve --help` prints', async () => {
    const rows = section('Configuration')
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => /^\| `([A-Z0-9_]+)`/.exec(r)?.[1])).toEqual(CONFIG_KEYS.map((k) => k.name));
    // A default with markup characters (MAIL_FROM's "Name <address>") is written as code in Markdown.
    const cell = (d: string) => (/[<>]/.test(d) ? `\`${d}\`` : d);
    for (const k of CONFIG_KEYS) expect(rows).toContain(`| \`${k.name}\` | ${cell(k.default)} | ${k.description} |`);
    const serveHelp = await run('serve', '--help');
    for (const k of CONFIG_KEYS) expect(serveHelp).toContain(`${k.description} Default: ${k.default}`);
  });

  it('states the default language, the operator account and the printed URL the code uses', () => {
    expect(DEFAULT_LOCALE).toBe('nb');
    expect(LOCALE_NAMES.nb).toBe('Norsk bokmål');
    expect(readme).toContain('Norwegian bokmål is the default language');
    expect(readme).toContain(`\`${DEFAULT_OPERATOR_EMAIL}\``);
    expect(readme).toContain(`by default ${loadConfig({}).baseUrl}/`);
    expect(section('Get started')).toContain('`--no-seed` or `SEED_DEMO=false`');
    expect(commandHelp('serve')).toContain('--no-seed');
  });
});
