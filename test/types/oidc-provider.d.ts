// oidc-provider (a dev dependency, used only by test/helpers/oidc-provider.ts) ships no type declarations.
declare module 'oidc-provider';
