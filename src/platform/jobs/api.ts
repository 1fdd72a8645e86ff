// GET /jobs/{id}: the record of a background job (state, progress, attempts, error, result), so an uploader can follow
// the ingest of a table. Who may see a job: for jobs that act on a dataset (an `ingestTable` job carries `datasetId` in
// its payload) whoever may edit that dataset; every other job only the platform operator. The decision is the access
// door's (`dataset:update` / `platform:operate`). A signed-in caller who may not see a job gets the same 404 as for an
// unknown id (never 403: that would confirm the job, and so an upload to the dataset, exists); anonymous callers 401.
// The record holds no values from a file: the ingest writes progress messages, results and errors as counts and codes.
import { Type, type Static } from '@sinclair/typebox';
import type { Actor, Resource } from '../../access/model';
import { authorizeOrHide } from '../../access/service';
import { NotFoundError, UnauthenticatedError } from '../../errors';
import type { Services } from '../../services';
import type { DomainPlugin } from '../http/plugin';
import type { JobRow } from './model';

const JobSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  message: Type.Union([Type.String(), Type.Null()], { description: 'What the job is doing now.' }),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed.' }),
  result: Type.Unknown({ description: 'What the job produced (JSON), once it has succeeded.' }),
  datasetId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Params = Type.Object({ id: Type.String() });

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function datasetIdOf(job: JobRow): string | null {
  const payload = parseJson(job.payload);
  const id = payload && typeof payload === 'object' ? (payload as Record<string, unknown>).datasetId : undefined;
  return typeof id === 'string' ? id : null;
}

/** The job, if the actor may see it; otherwise the door's error (404 for jobs of datasets the actor cannot see). */
async function jobForActor(services: Services, actor: Actor, id: string): Promise<JobRow> {
  const notFound = () => new NotFoundError('Job', id, 'job_not_found');
  if (!actor.user) throw new UnauthenticatedError();
  const job = await services.jobs.get(id);
  if (!job) throw notFound();
  const datasetId = datasetIdOf(job);
  const resource: Resource | undefined = datasetId ? await services.tables.datasetResourceOf(datasetId) : undefined;
  if (resource) authorizeOrHide(actor, 'dataset:update', resource, notFound);
  else authorizeOrHide(actor, 'platform:operate', { type: 'platform' }, notFound);
  return job;
}

export function presentJob(job: JobRow): Static<typeof JobSchema> {
  return {
    id: job.id,
    type: job.type,
    state: job.state,
    progress: Number(job.progress),
    message: job.progress_message,
    attempts: Number(job.attempts),
    maxAttempts: Number(job.max_attempts),
    error: job.error,
    result: parseJson(job.result),
    datasetId: datasetIdOf(job),
    createdAt: job.created_at,
    updatedAt: job.updated_at,
    finishedAt: job.finished_at,
  };
}

export const jobsApi: DomainPlugin = async (app, { services }) => {
  app.get<{ Params: Static<typeof Params> }>(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Follow a background job',
        description:
          'State (queued, running, succeeded, failed), progress 0–100 with a message, attempts, the last error and the result. Visible to editors of the dataset the job works on, and to operators; 401 without sign-in, 404 for anyone else (as for an unknown id).',
        params: Params,
        security: [{ bearer: [] }],
        response: { 200: JobSchema },
      },
    },
    async (request) => presentJob(await jobForActor(services, request.actor, request.params.id)),
  );
};
