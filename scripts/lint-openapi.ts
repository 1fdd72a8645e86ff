// `npm run lint:openapi`: lints the /api/v1 OpenAPI document the app serves with Redocly's recommended ruleset and
// exits non-zero on any problem (errors and warnings alike: the document is kept clean).
import { lintOpenApi, openApiDocument } from './openapi-doc';

const problems = lintOpenApi(await openApiDocument(process.env.BASE_URL));
for (const p of problems) console.log(`${p.severity.padEnd(5)} ${p.ruleId}  ${p.pointer}  ${p.message}`);
console.log(problems.length === 0 ? 'The /api/v1 OpenAPI document lints clean (Redocly, recommended).' : `${problems.length} problem(s).`);
process.exit(problems.length === 0 ? 0 : 1);
