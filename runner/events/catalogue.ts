// The one event catalogue: the CLI (`--event <id>`), the editor's event picker and the control API all list
// and render events from here. Templates are written by the project, grouped by the service that sends them.
import { z } from 'zod';
import { EventTemplateInfo, type EventField, type EventTemplate } from './template.ts';
import { cognitoTemplates } from './templates/cognito.ts';
import { edgeAndAppTemplates } from './templates/edge-and-apps.ts';
import { httpTemplates } from './templates/http.ts';
import { messagingTemplates } from './templates/messaging.ts';
import { platformTemplates } from './templates/platform.ts';
import { storageTemplates } from './templates/storage.ts';

export type { EventField, EventTemplate, EventTemplateInfo } from './template.ts';

const TEMPLATES: readonly EventTemplate[] = [
  ...httpTemplates,
  ...messagingTemplates,
  ...storageTemplates,
  ...cognitoTemplates,
  ...edgeAndAppTemplates,
  ...platformTemplates,
];

const BY_ID = new Map<string, EventTemplate>();
for (const template of TEMPLATES) {
  if (BY_ID.has(template.id)) throw new Error(`Two event templates are called "${template.id}"; give one of them another id.`);
  EventTemplateInfo.parse(template);
  BY_ID.set(template.id, template);
}

/** Every template, grouped by source in catalogue order (the picker shows one group per source). */
export function listEventTemplates(): readonly EventTemplate[] {
  return TEMPLATES;
}

/** The templates as plain data, for the control API and webviews (no render functions). */
export function describeEventTemplates(): EventTemplateInfo[] {
  return TEMPLATES.map((template) => EventTemplateInfo.parse(template));
}

export function findEventTemplate(id: string): EventTemplate | undefined {
  return BY_ID.get(id);
}

/**
 * Builds the event for template `id`. Values missing from `values` take the field's default; every value
 * is checked against its field first, so a mistake is reported as a sentence naming the field.
 */
export function renderEvent(id: string, values: Readonly<Record<string, string | undefined>> = {}): unknown {
  const template = BY_ID.get(id);
  if (!template) throw new Error(unknownTemplateMessage(id));
  const complete: Record<string, string> = {};
  const fieldNames = template.fields.map((f) => f.name);
  for (const name of Object.keys(values)) {
    if (values[name] !== undefined && !fieldNames.includes(name)) {
      const near = closeMatches(name, fieldNames);
      throw new Error(
        `Event template "${id}" has no field "${name}"` +
          (near.length > 0 ? `; did you mean ${orList(near)}?` : '.') +
          ` Its fields are: ${fieldNames.join(', ') || '(none)'}.`,
      );
    }
  }
  for (const field of template.fields) {
    const value = values[field.name] ?? field.default;
    checkFieldValue(template.id, field, value);
    complete[field.name] = value;
  }
  // Through JSON and back: the result is exactly what the function receives (no undefined keys, no Buffers).
  return JSON.parse(JSON.stringify(template.render(complete))) as unknown;
}

/** The event as the JSON text an invoke sends (the `payload` of an InvokeRequest), pretty-printed. */
export function renderEventText(id: string, values?: Readonly<Record<string, string | undefined>>): string {
  return `${JSON.stringify(renderEvent(id, values), null, 2)}\n`;
}

function checkFieldValue(templateId: string, field: EventField, value: string): void {
  const where = `Field "${field.name}" of event template "${templateId}"`;
  switch (field.kind) {
    case 'choice':
      if (!field.choices!.includes(value)) {
        throw new Error(`${where} must be one of ${field.choices!.join(', ')}; got "${value}".`);
      }
      return;
    case 'integer': {
      const number = Number(value);
      if (value.trim() === '' || !Number.isInteger(number)) throw new Error(`${where} must be a whole number; got "${value}".`);
      if (field.min !== undefined && number < field.min) throw new Error(`${where} must be at least ${field.min}; got ${number}.`);
      if (field.max !== undefined && number > field.max) throw new Error(`${where} must be at most ${field.max}; got ${number}.`);
      return;
    }
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (error) {
        throw new Error(`${where} must be JSON (${(error as Error).message}); fix the value or leave it out to use the default ${field.default}.`);
      }
      if (field.schema) {
        const result = (field.schema as z.ZodType).safeParse(parsed);
        if (!result.success) {
          const problems = result.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
          throw new Error(`${where} has the wrong shape (${problems}); for example: ${field.default}.`);
        }
      }
      return;
    }
    case 'text':
      return;
  }
}

function unknownTemplateMessage(id: string): string {
  const near = closeMatches(id, [...BY_ID.keys()]);
  const hint = near.length > 0 ? ` Did you mean ${orList(near)}?` : '';
  return `There is no event template "${id}".${hint} The catalogue has ${BY_ID.size} templates; list them to see every id.`;
}

function orList(items: string[]): string {
  const quoted = items.map((item) => `"${item}"`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/**
 * The candidates a user most likely meant: ids that contain what they typed ("dynamodb" -> the three
 * stream events), then ids within a few typos, closest first. At most five.
 */
export function closeMatches(input: string, candidates: readonly string[]): string[] {
  const wanted = input.toLowerCase();
  if (wanted === '') return [];
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(wanted, lower);
    const allowed = Math.max(2, Math.floor(wanted.length / 3));
    if (lower.includes(wanted)) scored.push({ candidate, score: distance / 100 });
    else if (distance <= allowed || (lower.length >= 3 && wanted.includes(lower))) scored.push({ candidate, score: distance });
    else {
      // Words in another order or a missing prefix: "rest-proxy", "sqs-message"
      const words = wanted.split(/[-_\s]+/).filter((w) => w.length >= 3);
      if (words.length > 0 && words.every((w) => lower.includes(w))) scored.push({ candidate, score: allowed + 1 });
    }
  }
  return scored
    .sort((a, b) => a.score - b.score || a.candidate.length - b.candidate.length || a.candidate.localeCompare(b.candidate))
    .slice(0, 5)
    .map((s) => s.candidate);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
