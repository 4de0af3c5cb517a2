import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';
import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';

type Serialize = (data: unknown) => string;

// Routes share response schemas (PostView answers ten routes, ErrorBody all of them): each is compiled once.
const compiled = new WeakMap<$ZodType, Serialize>();

/**
 * Writes each response with fast-json-stringify compiled from the route's zod response schema, instead of running
 * zod and then JSON.stringify on every response (a large share of a GET's CPU). The contract still holds by
 * construction: zod objects become `additionalProperties: false`, so nothing the schema does not declare is ever
 * written (not a stray field of a stored record, however it got there), and a missing required field fails the
 * response. Unlike zod it does not re-check values (that a status is an enum member, a count a whole number):
 * responses are built by typed view functions, so TypeScript checks those. The OpenAPI document is still generated
 * from the same zod schemas (plugins/docs.ts).
 */
export const responseSerializerCompiler: FastifySerializerCompiler<$ZodType> = ({ schema }) => {
  let serialize = compiled.get(schema);
  if (!serialize) {
    serialize = compile(schema);
    compiled.set(schema, serialize);
  }
  return serialize;
};

function compile(schema: $ZodType): Serialize {
  // OpenAPI 3.0's form of a nullable value is `nullable: true`, which fast-json-stringify writes directly; the
  // JSON Schema form (`anyOf` with null) would have it run a validator per value to choose a branch.
  const jsonSchema = z.toJSONSchema(schema, { io: 'output', target: 'openapi-3.0' });
  return fastJson(jsonSchema as fastJson.AnySchema) as Serialize;
}
