import type { DomainPlugin } from '../platform/http/plugin';

export const searchPages: DomainPlugin = async () => {};
