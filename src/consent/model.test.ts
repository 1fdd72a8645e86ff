// The consent lifecycle as a state machine (Altinn's: requested → accepted | rejected; accepted → revoked; requested
// and accepted expire at validTo), and the checks of a consent request's fields.
import { describe, expect, it } from 'vitest';
import { CONSENT_STATES, effectiveState, nextState, usable, type ConsentState, type ConsentTransition } from './model';
import { checkRequest, parseValidTo } from './service';

const TRANSITIONS: ConsentTransition[] = ['accept', 'reject', 'revoke', 'expire'];

describe('consent state machine', () => {
  it('allows exactly the lifecycle transitions and refuses every other one', () => {
    const allowed: Record<string, ConsentState> = {
      'requested:accept': 'accepted',
      'requested:reject': 'rejected',
      'requested:expire': 'expired',
      'accepted:revoke': 'revoked',
      'accepted:expire': 'expired',
    };
    for (const state of CONSENT_STATES) {
      for (const tr of TRANSITIONS) {
        expect(nextState(state, tr), `${state} --${tr}-->`).toBe(allowed[`${state}:${tr}`] ?? null);
      }
    }
  });

  it('has no way back: rejected, revoked and expired are final', () => {
    for (const state of ['rejected', 'revoked', 'expired'] as const) {
      for (const tr of TRANSITIONS) expect(nextState(state, tr)).toBeNull();
    }
  });

  it('cannot revoke a request that was never accepted, nor accept one twice', () => {
    expect(nextState('requested', 'revoke')).toBeNull();
    expect(nextState('accepted', 'accept')).toBeNull();
    expect(nextState('accepted', 'reject')).toBeNull();
  });

  it('expires at validTo whatever the stored state says, and only accepted unexpired consents are usable', () => {
    const validTo = '2027-01-01T00:00:00.000Z';
    expect(effectiveState('accepted', validTo, '2026-12-31T23:59:59.999Z')).toBe('accepted');
    expect(effectiveState('accepted', validTo, validTo)).toBe('expired');
    expect(effectiveState('requested', validTo, '2027-06-01T00:00:00.000Z')).toBe('expired');
    expect(effectiveState('revoked', validTo, '2027-06-01T00:00:00.000Z')).toBe('revoked');
    expect(usable('accepted', validTo, '2026-12-31T00:00:00.000Z')).toBe(true);
    expect(usable('accepted', validTo, '2027-01-01T00:00:00.001Z')).toBe(false);
    for (const s of ['requested', 'rejected', 'revoked', 'expired'] as const) expect(usable(s, validTo, '2026-01-01T00:00:00.000Z')).toBe(false);
  });
});

describe('consent request fields', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');
  const ok = { consumerOrgnr: '971526920', subjectOrgnr: '981544315', datasetId: 'd', table: 't', purpose: 'Kredittvurdering', validTo: '2027-06-30' };

  it('reads validTo as a date through the end of that day, or a date-time with a zone', () => {
    expect(parseValidTo('2027-06-30')).toBe('2027-06-30T23:59:59.999Z');
    expect(parseValidTo('2027-06-30T10:00:00+02:00')).toBe('2027-06-30T08:00:00.000Z');
    for (const bad of ['', '30.06.2027', '2027-02-31', '2027-06-30T10:00:00', 'tomorrow', '2027-13-01', '1e12']) expect(parseValidTo(bad), bad).toBeNull();
  });

  it('accepts a good request', () => {
    const r = checkRequest(ok, now);
    expect(r.problems).toEqual([]);
    expect(r.subject).toBe('981544315');
    expect(r.validTo).toBe('2027-06-30T23:59:59.999Z');
  });

  it('names each bad field', () => {
    const codes = (input: Partial<typeof ok>) => checkRequest({ ...ok, ...input }, now).problems.map((p) => `${p.field}:${p.code}`);
    expect(codes({ subjectOrgnr: '98154431' })).toEqual(['/subjectOrgnr:orgnr_format']);
    expect(codes({ subjectOrgnr: '981544316' })).toEqual(['/subjectOrgnr:orgnr_check_digit']);
    expect(codes({ subjectOrgnr: '971526920' })).toEqual(['/subjectOrgnr:consent_self']);
    expect(codes({ purpose: '   ' })).toEqual(['/purpose:required']);
    expect(codes({ purpose: 'x'.repeat(2001) })).toEqual(['/purpose:too_long']);
    expect(codes({ purpose: 'a\u0007b' })).toEqual(['/purpose:invalid_characters']);
    expect(codes({ validTo: '2026-11-30' })).toEqual(['/validTo:in_past']);
    expect(codes({ validTo: '2026-12-01T12:00:00Z' })).toEqual(['/validTo:in_past']);
    expect(codes({ validTo: '2035-01-01' })).toEqual(['/validTo:too_far']);
    expect(codes({ validTo: 'soon' })).toEqual(['/validTo:invalid_date']);
  });
});
