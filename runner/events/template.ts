// What an event template is: a named AWS event shape with a few fields the user fills in (path, body, queue
// name...) and a render function that builds the exact payload the service would send. The field definitions
// are zod-typed so the CLI, the editor's picker and the control API all read the same description.
import { z } from 'zod';

export const FIELD_KINDS = ['text', 'json', 'choice', 'integer'] as const;

/** One value the user can fill in. Values travel as text (they come from an input box or a CLI flag). */
export const EventField = z
  .object({
    /** camelCase, used as the CLI flag and the key in `renderEvent(id, { name: value })`. */
    name: z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'camelCase letters and digits'),
    /** The question the picker asks, e.g. "Message body". */
    prompt: z.string().min(1),
    /** Used when the user gives no value; always a valid value itself. */
    default: z.string(),
    /**
     * text: used as typed. json: must be JSON text (checked with `schema` when given).
     * choice: one of `choices`. integer: a whole number within min..max.
     */
    kind: z.enum(FIELD_KINDS).default('text'),
    choices: z.array(z.string()).min(2).optional(),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    /** For json fields: the shape the parsed value must have (e.g. an object of strings). */
    schema: z.custom<z.ZodType>((value) => value instanceof z.ZodType).optional(),
  })
  .refine((field) => field.kind !== 'choice' || (field.choices !== undefined && field.choices.includes(field.default)), {
    message: 'a choice field needs choices that include its default',
  });
export type EventField = z.output<typeof EventField>;
export type EventFieldInput = z.input<typeof EventField>;

/** The part of a template that can travel as JSON (control API, webviews): everything but code. */
export const EventTemplateInfo = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase words joined by -'),
  /** The service, used to group the picker: "Amazon SQS". */
  source: z.string().min(1),
  /** Short title: "SQS message batch". */
  label: z.string().min(1),
  /** One sentence on when this event arrives. */
  description: z.string().min(1),
  fields: z.array(
    z.object({
      name: z.string(),
      prompt: z.string(),
      default: z.string(),
      kind: z.enum(FIELD_KINDS),
      choices: z.array(z.string()).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
    }),
  ),
});
export type EventTemplateInfo = z.infer<typeof EventTemplateInfo>;

export type EventValues = Readonly<Record<string, string>>;

export interface EventTemplate {
  readonly id: string;
  readonly source: string;
  readonly label: string;
  readonly description: string;
  readonly fields: readonly EventField[];
  /** Builds the payload from complete, checked values (renderEvent fills defaults and checks first). */
  render(values: EventValues): unknown;
}

interface TemplateDefinition<Name extends string> {
  id: string;
  source: string;
  label: string;
  description: string;
  fields: readonly (EventFieldInput & { name: Name })[];
  render(values: Readonly<Record<Name, string>>): unknown;
}

/**
 * Declares a template; the field names become the keys `render` may read, so a typo in either place is a
 * type error. Field definitions are checked by zod when the module loads: a broken template fails early.
 */
export function defineTemplate<const Name extends string>(definition: TemplateDefinition<Name>): EventTemplate {
  const fields = definition.fields.map((field) => {
    const parsed = EventField.safeParse(field);
    if (!parsed.success) {
      throw new Error(`Event template "${definition.id}", field "${field.name}": ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    return parsed.data;
  });
  return {
    id: definition.id,
    source: definition.source,
    label: definition.label,
    description: definition.description,
    fields,
    render: (values) => definition.render(values as Readonly<Record<Name, string>>),
  };
}

/** A JSON object whose values are all strings: headers, message attributes, slot values... */
export const StringMap = z.record(z.string(), z.string());
export const JsonObject = z.record(z.string(), z.unknown());
export const StringList = z.array(z.string());

/** Parses a json field inside render; renderEvent has already checked the text, so this cannot fail there. */
export function parseJsonField<T = unknown>(text: string): T {
  return JSON.parse(text) as T;
}
