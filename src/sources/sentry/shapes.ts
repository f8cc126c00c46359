/**
 * What a signed integration-platform body is, from the body alone. Sentry signs the raw body only
 * (sentry.md 1.3): `Sentry-Hook-Resource` is not covered, so anyone replaying a captured body can set it
 * to anything. The resource is therefore read from the shape of `data` (sentry.md 1.5 lists one distinct
 * `data` shape per resource), and each shape is checked for the fields the mappers (map.ts) and the
 * dedupe key rely on: a signed body of the wrong shape is a 400 with the reason (contract.md).
 */
import { z } from 'zod';
import { BadRequestError } from '../../core/errors.ts';

const id = z.union([z.string().min(1), z.number()]);

/**
 * Per resource: the key of `data` that marks it, and the fields we rely on (others are optional). Each
 * schema is applied to a projection of `data` holding only the fields it names (`fields`): a loose
 * object schema copies every key it passes through, and an event carries dozens, so validating the
 * whole `data` cost ~15 µs per delivery on the ingest path (issue 22 §2: validation that costs what it must).
 */
const SHAPES = {
  event_alert: {
    marker: 'event',
    fields: { event: ['event_id', 'issue_id', 'group_id'], triggered_rule: true },
    schema: z.object({ event: z.object({ event_id: z.string().min(1), issue_id: id.optional(), group_id: id.optional() }).refine((e) => e.issue_id !== undefined || e.group_id !== undefined, 'event.issue_id is required'), triggered_rule: z.string().optional() }),
  },
  metric_alert: { marker: 'metric_alert', fields: { metric_alert: ['alert_rule', 'identifier'] }, schema: z.object({ metric_alert: z.object({ alert_rule: z.looseObject({ id }), identifier: id.optional() }) }) },
  issue: { marker: 'issue', fields: { issue: ['id'] }, schema: z.object({ issue: z.object({ id }) }) },
  comment: { marker: 'comment_id', fields: { comment_id: true, issue_id: true }, schema: z.object({ comment_id: id, issue_id: id }) },
  installation: { marker: 'installation', fields: { installation: ['uuid'] }, schema: z.object({ installation: z.object({ uuid: z.string().min(1) }) }) },
  error: { marker: 'error', fields: { error: ['event_id'] }, schema: z.object({ error: z.object({ event_id: z.string().min(1) }) }) },
} as const;

type Fields = Readonly<Record<string, true | readonly string[]>>;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The part of `data` a shape checks: named top-level fields, and of object fields only the named keys. */
function project(data: Record<string, unknown>, fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(fields)) {
    if (!(k in data)) continue;
    const v = data[k];
    // A value of the wrong type stays as it is, so the schema reports it with the usual reason.
    out[k] = sub === true || !isObject(v) ? v : Object.fromEntries(sub.filter((f) => f in v).map((f) => [f, v[f]]));
  }
  return out;
}

export type SentryResource = keyof typeof SHAPES;
const RESOURCES = Object.keys(SHAPES) as SentryResource[];

const envelope = z.looseObject({
  action: z.string({ error: 'missing "action"' }).min(1, 'missing "action"'),
  data: z.looseObject({}, { error: 'missing "data" object (every integration-platform body has one: sentry.md 1.3)' }),
});

function reason(err: z.ZodError): string {
  const i = err.issues[0]!;
  const at = i.path.length ? `data.${i.path.join('.')}: ` : '';
  return `${at}${i.message}`;
}

/**
 * The resource of a signed body: the known shape its `data` has (validated), else `undefined` for a
 * resource we do not know (newer Sentry: seer, size_analysis), which is stored as unknown. The unsigned
 * header only names an unknown resource's kind; a header naming a known resource whose shape the body
 * lacks is a 400 (a misrouted or forged request), never a different dedupe key for the same body.
 */
export function sentryResourceOf(body: Record<string, unknown>, header: string | undefined): { resource: SentryResource | undefined; action: string; data: Record<string, unknown> } {
  const env = envelope.safeParse(body);
  if (!env.success) {
    const i = env.error.issues[0]!;
    throw new BadRequestError(i.path[0] === 'action' ? 'missing "action"' : 'missing "data" object (every integration-platform body has one: sentry.md 1.3)');
  }
  const { action, data } = env.data;
  const resource = RESOURCES.find((r) => SHAPES[r].marker in data) ?? (RESOURCES as string[]).find((r) => r === header) as SentryResource | undefined;
  if (resource) {
    const shape = SHAPES[resource];
    const r = shape.schema.safeParse(project(data, shape.fields));
    if (!r.success) throw new BadRequestError(`not a Sentry ${resource} payload: ${reason(r.error)}`);
  }
  return { resource, action, data };
}
