// The printable record of a dataset's sharing assessment as a PDF (pdfkit): date, tree version, dataset title and
// publisher with orgnr, every answer with its question, the stops with their advice, and the "guidance, not legal
// advice" line. The standard Helvetica font needs no font file; pdfkit writes it in WinAnsi, which has æ, ø, å, §, –
// and the curly quotes, so Norwegian text prints as written. Anything outside WinAnsi is replaced by a lookalike or
// "?" (winAnsi below) rather than silently printed as a wrong glyph.
import PDFDocument from 'pdfkit';
import { titleIn } from '../catalog/service';
import type { Locale, Translate } from '../web/i18n/index';
import type { DatasetAssessment } from './dataset';
import { getTree } from './service';
import { treeLang } from './dataset';

// The characters WinAnsi (cp1252) has beyond Latin-1.
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const LOOKALIKES: Record<string, string> = { '≥': '>=', '≤': '<=', '≠': '!=', '→': '->', '←': '<-', '\u00a0': ' ', '\u2009': ' ', '\u202f': ' ', '‐': '-', '‑': '-', '−': '-' };

/** Text as Helvetica in WinAnsi can print it (hand-written: pdfkit has no option to refuse unmappable characters). */
export function winAnsi(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRA.has(ch)) out += ch;
    else out += LOOKALIKES[ch] ?? '?';
  }
  return out;
}

function formatDate(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Oslo' }).format(new Date(iso));
}

/** The file name the download gets, e.g. `delingsvurdering-befolkning-2026-12-01.pdf` (ASCII only). */
export function pdfFilename(a: DatasetAssessment, t: Translate, now = new Date()): string {
  const slug = titleIn(a.dataset.title, 'nb')
    .normalize('NFKD')
    .replace(/æ/gi, 'ae')
    .replace(/ø/gi, 'o')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 60);
  const date = (a.saved?.savedAt ?? now.toISOString()).slice(0, 10);
  return `${t('wizardDataset.pdf.filename')}-${slug || a.dataset.id}-${date}.pdf`;
}

/** Renders the assessment as a PDF in the reader's language. */
export function renderAssessmentPdf(a: DatasetAssessment, t: Translate, locale: Locale, now = new Date()): Promise<Buffer> {
  const tree = getTree(treeLang(locale), a.treeVersion);
  const title = titleIn(a.dataset.title, locale);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: winAnsi(`${t('wizardDataset.pdf.title')}: ${title}`), Subject: winAnsi(t('wizardDataset.title')), Creator: 'Datafabrikken' },
    lang: locale === 'en' ? 'en' : 'no',
    displayTitle: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const text = (s: string, opts?: PDFKit.Mixins.TextOptions) => doc.text(winAnsi(s), opts);
  const heading = (s: string, size: number) => {
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(size);
    text(s);
    doc.font('Helvetica').fontSize(10.5);
  };

  doc.font('Helvetica-Bold').fontSize(18);
  text(t('wizardDataset.pdf.title'));
  doc.font('Helvetica').fontSize(10.5).moveDown(0.5);
  const facts: [string, string][] = [
    [t('wizardDataset.pdf.dataset'), title],
    [t('wizardDataset.pdf.publisher'), `${a.dataset.publisher.name} (${t('wizardDataset.pdf.orgnr')} ${a.dataset.publisher.orgnr})`],
    [t('wizardDataset.pdf.date'), a.saved ? formatDate(a.saved.savedAt, locale) : `${formatDate(now.toISOString(), locale)} (${t('wizardDataset.pdf.unsaved')})`],
    ...(a.saved?.savedBy ? ([[t('wizardDataset.pdf.savedBy'), a.saved.savedBy.name]] as [string, string][]) : []),
    [t('wizardDataset.pdf.version'), t('wizardDataset.versionLine', { version: tree.version, published: tree.published })],
    [t('wizardDataset.pdf.status'), a.evaluation.stops.length > 0 ? t('wizardDataset.status.stops', { count: a.evaluation.stops.length }) : a.evaluation.complete ? t('wizardDataset.status.clear') : t('wizardDataset.status.incomplete')],
  ];
  for (const [label, value] of facts) {
    doc.font('Helvetica-Bold');
    text(`${label}: `, { continued: true });
    doc.font('Helvetica');
    text(value);
  }
  doc.moveDown(0.5).font('Helvetica-Oblique');
  text(t('wizardDataset.disclaimer'));
  doc.font('Helvetica');

  if (a.evaluation.stops.length > 0) {
    heading(t('wizardDataset.stops.heading'), 14);
    for (const s of a.evaluation.stops) {
      const area = tree.areas.find((x) => x.id === s.area);
      doc.font('Helvetica-Bold');
      text(`${area?.title ?? s.area}: ${s.message}`);
      doc.font('Helvetica');
      if (s.advice) text(`${t('wizardDataset.advice')}: ${s.advice}`, { indent: 12 });
      doc.moveDown(0.3);
    }
  }

  heading(t('wizardDataset.answers.heading'), 14);
  for (const area of a.evaluation.summary) {
    heading(`${area.title} – ${t(`wizardDataset.areaStatus.${area.status}`)}`, 12);
    if (area.answers.length === 0) text(t('wizardDataset.answers.none'));
    for (const ans of area.answers) {
      doc.font('Helvetica-Bold');
      text(ans.question);
      doc.font('Helvetica');
      text(ans.label, { indent: 12 });
      doc.moveDown(0.2);
    }
    for (const n of a.evaluation.notes.filter((x) => x.area === area.area)) {
      doc.font('Helvetica-Oblique');
      text(`${t('wizardDataset.note')}: ${n.message}`, { indent: 12 });
      doc.font('Helvetica');
    }
  }
  doc.moveDown(1).fontSize(9);
  text(`${t('wizardDataset.disclaimer')} ${t('wizardDataset.pdf.generated', { date: formatDate(now.toISOString(), locale) })}`);
  doc.end();
  return done;
}
