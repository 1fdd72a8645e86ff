// The data-sharing agreement an approved access request produces, in three forms from one set of facts: a printable
// page (pages.tsx), a PDF (pdfkit, as src/wizard/pdf.ts: Helvetica in WinAnsi) and an ODRL Agreement as JSON-LD
// (W3C ODRL 2.2 vocabulary, the context inlined so no consumer needs to fetch it): assigner = the owner, assignee =
// the requesting organisation (both with organisasjonsnummer), target = the dataset, a permission to use it with
// purpose and period constraints, and the duty to delete at the end of the period.
import PDFDocument from 'pdfkit';
import { titleIn } from '../catalog/service';
import type { LangText } from '../catalog/model';
import type { Locale, MessageKey, Translate } from '../web/i18n/index';
import { winAnsi } from '../wizard/pdf';
import type { AccessRequest } from './model';

export interface AgreementFacts {
  request: AccessRequest;
  datasetTitle: LangText;
  /** Absolute URLs: the dataset's URI in the catalogue, this agreement, the organisations. */
  urls: { dataset: string; agreement: string; org: (orgnr: string) => string };
}

const ODRL = 'http://www.w3.org/ns/odrl/2/';
/** The parts of the ODRL 2.2 context this document uses, inlined (the official context is https://www.w3.org/ns/odrl.jsonld). */
const CONTEXT = {
  odrl: ODRL,
  dct: 'http://purl.org/dc/terms/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  foaf: 'http://xmlns.com/foaf/0.1/',
  uid: '@id',
  type: '@type',
  Agreement: 'odrl:Agreement',
  Permission: 'odrl:Permission',
  Duty: 'odrl:Duty',
  Constraint: 'odrl:Constraint',
  Party: 'odrl:Party',
  assigner: { '@id': 'odrl:assigner', '@type': '@id' },
  assignee: { '@id': 'odrl:assignee', '@type': '@id' },
  target: { '@id': 'odrl:target', '@type': '@id' },
  action: { '@id': 'odrl:action', '@type': '@vocab' },
  permission: { '@id': 'odrl:permission', '@type': '@id' },
  duty: { '@id': 'odrl:duty', '@type': '@id' },
  constraint: { '@id': 'odrl:constraint', '@type': '@id' },
  leftOperand: { '@id': 'odrl:leftOperand', '@type': '@vocab' },
  operator: { '@id': 'odrl:operator', '@type': '@vocab' },
  rightOperand: 'odrl:rightOperand',
  use: 'odrl:use',
  delete: 'odrl:delete',
  purpose: 'odrl:purpose',
  dateTime: 'odrl:dateTime',
  eq: 'odrl:eq',
  gteq: 'odrl:gteq',
  lt: 'odrl:lt',
  profile: { '@id': 'odrl:profile', '@type': '@id' },
  title: 'dct:title',
  identifier: 'dct:identifier',
  license: { '@id': 'dct:license', '@type': '@id' },
  issued: { '@id': 'dct:issued', '@type': 'xsd:dateTime' },
  description: 'dct:description',
  name: 'foaf:name',
};

/** The agreement as ODRL JSON-LD. Only an approved request has one (its grant). */
export function odrlAgreement(f: AgreementFacts): Record<string, unknown> {
  const r = f.request;
  const g = r.grant;
  if (!g) throw new Error('No agreement: the request has no grant.');
  const party = (o: { orgnr: string; name: string }) => ({ uid: f.urls.org(o.orgnr), type: 'Party', identifier: o.orgnr, name: o.name });
  return {
    '@context': CONTEXT,
    uid: f.urls.agreement,
    type: 'Agreement',
    profile: 'https://data.norge.no/datafabrikken/odrl-profile/access-request',
    issued: g.createdAt,
    title: `Data sharing agreement: ${titleIn(f.datasetTitle, 'en') || r.dataset.id}`,
    assigner: party(r.owner),
    assignee: party(r.requester),
    target: f.urls.dataset,
    ...(g.licence ? { license: g.licence } : {}),
    description: g.terms,
    permission: [
      {
        type: 'Permission',
        target: f.urls.dataset,
        assigner: f.urls.org(r.owner.orgnr),
        assignee: f.urls.org(r.requester.orgnr),
        action: 'use',
        constraint: [
          { type: 'Constraint', leftOperand: 'purpose', operator: 'eq', rightOperand: r.purpose },
          { type: 'Constraint', leftOperand: 'dateTime', operator: 'gteq', rightOperand: { '@value': g.validFrom, '@type': 'xsd:dateTime' } },
          { type: 'Constraint', leftOperand: 'dateTime', operator: 'lt', rightOperand: { '@value': g.validTo, '@type': 'xsd:dateTime' } },
        ],
        duty: [
          {
            type: 'Duty',
            action: 'delete',
            target: f.urls.dataset,
            description: r.deletion,
            constraint: [{ type: 'Constraint', leftOperand: 'dateTime', operator: 'eq', rightOperand: { '@value': g.validTo, '@type': 'xsd:dateTime' } }],
          },
        ],
      },
    ],
  };
}

export function agreementFilename(f: AgreementFacts): string {
  return `datadelingsavtale-${f.request.grant?.id.slice(0, 8) ?? f.request.id.slice(0, 8)}.pdf`;
}

function formatDate(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale === 'nn' ? 'nn-NO' : 'nb-NO', { dateStyle: 'long', timeZone: 'Europe/Oslo' }).format(new Date(iso));
}

/** The rows every rendering shows, in order: label and value in the reader's language. */
export function agreementRows(f: AgreementFacts, t: Translate, locale: Locale): [string, string][] {
  const r = f.request;
  const g = r.grant;
  const lb = r.legalBasis;
  const scope = Object.entries(r.dataScope).map(([table, cols]) => `${table}${cols.length > 0 ? `: ${cols.join(', ')}` : ` (${t('access.scope.allColumns')})`}`);
  return [
    [t('access.agreement.owner'), `${r.owner.name} (${t('access.orgnr')} ${r.owner.orgnr})`],
    [t('access.agreement.recipient'), `${r.requester.name} (${t('access.orgnr')} ${r.requester.orgnr})`],
    [t('access.field.dataset'), `${titleIn(f.datasetTitle, locale)} — ${f.urls.dataset}`],
    [t('access.field.purpose'), r.purpose],
    [t('access.field.intendedUse'), r.intendedUse],
    [
      t('access.field.legalBasis'),
      `${t('access.art6.label', { letter: lb.art6 })}${lb.specialCategories && lb.art9 ? `; ${t('access.art9.label', { letter: lb.art9 })}` : ''}${lb.note ? ` — ${lb.note}` : ''}`,
    ],
    [t('access.field.dataScope'), scope.length > 0 ? scope.join('; ') : t('access.scope.none')],
    [t('access.field.recipients'), r.recipients],
    [t('access.agreement.period'), g ? `${formatDate(g.validFrom, locale)} – ${formatDate(new Date(Date.parse(g.validTo) - 1).toISOString(), locale)}` : `${r.period.from} – ${r.period.to}`],
    [t('access.field.deletion'), r.deletion],
    [t('access.field.terms'), g?.terms ?? r.terms ?? ''],
    [t('access.agreement.licence'), g?.licence ?? t('access.agreement.noLicence')],
    [t('access.agreement.status'), g ? t(`access.grant.status.${g.status}` as MessageKey) : ''],
    ...(g?.acceptedAt ? ([[t('access.agreement.accepted'), formatDate(g.acceptedAt, locale)]] as [string, string][]) : []),
  ];
}

/** The agreement as a PDF in the reader's language. */
export function renderAgreementPdf(f: AgreementFacts, t: Translate, locale: Locale): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: winAnsi(t('access.agreement.title')), Subject: winAnsi(titleIn(f.datasetTitle, locale)), Creator: 'Datafabrikken' },
    lang: locale === 'en' ? 'en' : 'no',
    displayTitle: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(18).text(winAnsi(t('access.agreement.title')));
  doc.font('Helvetica').fontSize(10).moveDown(0.3).text(winAnsi(f.urls.agreement));
  for (const [label, value] of agreementRows(f, t, locale)) {
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(11).text(winAnsi(label));
    doc.font('Helvetica').fontSize(10.5).text(winAnsi(value));
  }
  doc.moveDown(1).fontSize(9).text(winAnsi(t('access.agreement.machine', { url: `${f.urls.agreement}.jsonld` })));
  doc.end();
  return done;
}
