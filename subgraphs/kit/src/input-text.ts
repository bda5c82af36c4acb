import { defaultFieldResolver, isObjectType, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { ErrorCode, apiError } from './errors';

/**
 * The longest text one argument value may carry (characters). Services set tighter limits per
 * field (a product name 200, a reason 1,000); this ceiling holds for every field they forgot.
 */
export const MAX_TEXT_LENGTH = 2_000;

/**
 * Control characters no text of ours allows: NUL (which PostgreSQL refuses in text), the rest of
 * C0 except tab, line feed and carriage return, and DEL.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * Refuses hostile text at the edge of a subgraph: every string inside any argument of any field
 * (nested inputs and lists included) is checked before the field's resolver (or subscription)
 * runs, and one with a control character or over {@link MAX_TEXT_LENGTH} answers BAD_USER_INPUT
 * with `field` naming it (`input.lines[2].note`), so nothing reaches SQL. `_entities` is left alone:
 * its representations come from the gateway's query plan, not from clients. Wraps the schema's
 * resolvers in place and returns the schema.
 */
export function refuseHostileText(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0 || field.name === '_entities') continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        assertAcceptableText(args);
        return resolve(source, args, context, info);
      };
      const subscribe = field.subscribe as GraphQLFieldConfig<unknown, unknown>['subscribe'];
      if (subscribe) {
        field.subscribe = (source, args, context, info) => {
          assertAcceptableText(args);
          return subscribe(source, args, context, info);
        };
      }
    }
  }
  return schema;
}

/** What is wrong with a text value, and where: `field` is its path (`input.lines[2].note`). */
export interface TextProblem {
  field: string;
  message: string;
}

/** Throws BAD_USER_INPUT for the first string in `args` that holds a control character or is too long. */
export function assertAcceptableText(args: Record<string, unknown>): void {
  const problem = unacceptableText(args);
  if (problem) throw apiError(ErrorCode.BAD_USER_INPUT, problem.message, { field: problem.field });
}

/**
 * The first string anywhere in `values` (nested objects and lists included) that holds a control
 * character other than tab, line feed and carriage return, or is longer than {@link MAX_TEXT_LENGTH};
 * undefined when there is none.
 */
export function unacceptableText(values: Record<string, unknown>): TextProblem | undefined {
  for (const [name, value] of Object.entries(values)) {
    const problem = checkValue(value, name);
    if (problem) return problem;
  }
  return undefined;
}

function checkValue(value: unknown, path: string): TextProblem | undefined {
  if (typeof value === 'string') {
    const control = CONTROL_CHARACTER.exec(value);
    if (control) {
      const codePoint = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      return {
        field: path,
        message: `${path} contains a control character (${codePoint}). Text may hold tabs and line breaks, but no other control characters; remove it and send again.`,
      };
    }
    if (value.length > MAX_TEXT_LENGTH) return { field: path, message: `${path} is ${value.length} characters long; text is at most ${MAX_TEXT_LENGTH} characters.` };
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = checkValue(item, `${path}[${index}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, inner] of Object.entries(value)) {
      const problem = checkValue(inner, `${path}.${key}`);
      if (problem) return problem;
    }
  }
  return undefined;
}
