import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { projectPath } from '@redthread/kit';
import { generateResolverTypes, generatedPath } from '../scripts/codegen';

/**
 * The seam between a subgraph's SDL and its code is checked by the compiler (issue 17): renaming a
 * field or an enum value in the SDL without touching the resolvers fails `npm run typecheck`.
 * Shown here on the orders subgraph by type-checking it with the resolver types generated from a
 * renamed SDL, served in memory in place of the committed generated file.
 */

/** The compiler's errors for a subgraph's sources with some files' text replaced in memory. */
function errorsWith(subgraph: string, replaced: ReadonlyMap<string, string>): string[] {
  const root = projectPath('subgraphs', subgraph);
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error(`cannot read subgraphs/${subgraph}/tsconfig.json`);
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => replaced.get(path.resolve(file)) ?? readFile(file);
  const program = ts.createProgram({ rootNames: config.fileNames.filter((f) => f.includes('/src/')), options: config.options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.relative(root, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/** The orders subgraph's errors with its generated types made from `sdl`. */
async function ordersErrorsWith(sdl: string): Promise<string[]> {
  return errorsWith('orders', new Map([[path.resolve(generatedPath('orders')), await generateResolverTypes('orders', sdl)]]));
}

const sdl = readFileSync(projectPath('subgraphs', 'orders', 'schema.graphql'), 'utf8');

describe('generated resolver types', () => {
  it('are what the committed SDL generates', async () => {
    expect(await generateResolverTypes('orders')).toBe(readFileSync(generatedPath('orders'), 'utf8'));
  });

  it('fail the type check when a field or an enum value is renamed in the SDL only', async () => {
    expect(sdl).toMatch(/^ {2}externalNumber: String$/m);
    expect(sdl).toMatch(/^ {2}COMPLETED$/m);
    const renamed = sdl.replace(/^ {2}externalNumber: String$/m, '  externalRef: String').replace(/^ {2}COMPLETED$/m, '  FINISHED');
    const errors = (await ordersErrorsWith(renamed)).join('\n---\n');
    // The row carries externalNumber, not externalRef, and its status may be 'COMPLETED', which
    // the SDL no longer has: Order's resolvers now need both, and those answering a status too.
    expect(errors).toMatch(/is missing the following properties from type [^]*: status, externalRef$/m);
    expect(errors).toMatch(/Type '"COMPLETED"' is not assignable to type 'OrderStatus/);
  }, 120_000);
});

describe('the event catalogue', () => {
  it('fails the type check of a consumer when a payload field it reads is removed', () => {
    const file = projectPath('subgraphs', 'kit', 'src', 'event-catalogue.ts');
    const catalogue = readFileSync(file, 'utf8');
    const field = "      shipTo: z.object({ regionCode: z.string().nullable().optional() }).nullable(),\n";
    expect(catalogue).toContain(field);
    expect(errorsWith('inventory', new Map([[path.resolve(file), catalogue]]))).toEqual([]);
    // Inventory's allocation reads `event.payload.shipTo` of order.fulfilment_requested.
    const errors = errorsWith('inventory', new Map([[path.resolve(file), catalogue.replace(field, '')]]));
    expect(errors.join('\n')).toMatch(/src\/workflows\.ts: Property 'shipTo' does not exist on type/);
  }, 120_000);
});
