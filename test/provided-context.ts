/** Values the global setup provides to every test file (vitest `inject`). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test cluster's maintenance database. */
    pgAdminUrl: string;
    /** Template with migrations only. */
    emptyTemplate: string;
    /** Template with migrations and the demo world. */
    demoTemplate: string;
    dbPasswords: { app: string; worker: string; auth: string };
  }
}

export {};
