// Validation of Data Package descriptors against the official v2 profiles (resources/frictionless, draft-07 JSON
// Schemas, loaded locally — never fetched). Ajv 6 (the project's top-level `ajv`) implements draft-07 itself. The
// profiles use the format "textarea", a form-rendering hint of the Frictionless tooling, not a check: it is accepted
// as any string so Ajv's unknown-format guard does not refuse the profile.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const PROFILE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/frictionless');

export type Profile = 'datapackage' | 'dataresource' | 'tableschema' | 'tabledialect';

export interface ProfileProblem {
  /** JSON Pointer into the descriptor. */
  field: string;
  message: string;
}

let validators: Map<Profile, Ajv.ValidateFunction> | undefined;

function validatorsOf(): Map<Profile, Ajv.ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, jsonPointers: true });
  ajv.addFormat('textarea', () => true);
  const out = new Map<Profile, Ajv.ValidateFunction>();
  for (const p of ['datapackage', 'dataresource', 'tableschema', 'tabledialect'] as const) {
    out.set(p, ajv.compile(JSON.parse(fs.readFileSync(path.join(PROFILE_DIR, `${p}.json`), 'utf8')) as object));
  }
  validators = out;
  return out;
}

/** The problems of `descriptor` against the profile; [] when valid. */
export function validateProfile(profile: Profile, descriptor: unknown): ProfileProblem[] {
  const validate = validatorsOf().get(profile);
  if (!validate) throw new Error(`Unknown profile ${profile}`);
  if (validate(descriptor)) return [];
  return (validate.errors ?? []).map((e) => ({ field: e.dataPath || '/', message: `${e.dataPath || '/'} ${e.message ?? 'is invalid'}` }));
}

function under(prefix: string, problems: ProfileProblem[]): ProfileProblem[] {
  return problems.map((p) => {
    const field = `${prefix}${p.field === '/' ? '' : p.field}`;
    return { field, message: `${field}${p.message.slice(p.field.length)}` };
  });
}

/** A package checked in full: the package profile, then every resource, its Table Schema and its dialect. */
export function validateDataPackage(descriptor: unknown): ProfileProblem[] {
  const problems = validateProfile('datapackage', descriptor);
  const resources = descriptor && typeof descriptor === 'object' ? (descriptor as { resources?: unknown }).resources : undefined;
  if (!Array.isArray(resources)) return problems;
  resources.forEach((r: unknown, i) => {
    problems.push(...under(`/resources/${i}`, validateProfile('dataresource', r)));
    const res = r && typeof r === 'object' ? (r as { schema?: unknown; dialect?: unknown }) : {};
    if (res.schema && typeof res.schema === 'object') problems.push(...under(`/resources/${i}/schema`, validateProfile('tableschema', res.schema)));
    if (res.dialect && typeof res.dialect === 'object') problems.push(...under(`/resources/${i}/dialect`, validateProfile('tabledialect', res.dialect)));
  });
  return problems;
}
