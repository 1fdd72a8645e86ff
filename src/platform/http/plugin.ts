import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services';

/** Every domain's api.ts and pages.tsx exports one of these; server.ts registers it with the services. */
export type DomainPlugin = FastifyPluginAsync<{ services: Services }>;
