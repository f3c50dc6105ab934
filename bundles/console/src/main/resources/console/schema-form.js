// A form for a tool's arguments, made from its JSON Schema (an object with properties, as Toka's tools declare).
// Property names and descriptions come from the tool's author: they become label text and hints, never markup, and
// never element ids. The server validates the arguments against the schema again; the form only helps.

import { h, uid } from './dom.js';

/** An input the operator left in a state the form cannot turn into an argument. */
export class FormError extends Error {}

/**
 * Builds the fields for `schema`. Returns { element, read } where read() gives the arguments object (or throws
 * FormError naming the field). A schema the form cannot map (no properties, or an invalid one) gets one JSON field.
 */
export function schemaForm(schema) {
  const props = schema && typeof schema === 'object' && schema.type === 'object' && schema.properties
    && typeof schema.properties === 'object' ? schema.properties : null;
  if (!props || Object.keys(props).length === 0) {
    return jsonOnly(schema);
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const fields = Object.entries(props).map(([name, prop]) => field(name, prop || {}, required.has(name)));
  return {
    element: h('div', { class: 'fields' }, fields.map((f) => f.element)),
    read() {
      const args = {};
      for (const f of fields) {
        const value = f.read();
        if (value !== undefined) args[f.name] = value;
      }
      return args;
    },
  };
}

function jsonOnly(schema) {
  const id = uid('args');
  const hint = uid('hint');
  const area = h('textarea', { id, rows: 4, spellcheck: 'false', 'aria-describedby': hint }, '{}');
  const note = schema && schema.invalid !== undefined
    ? 'The tool\'s schema is not valid JSON; type the arguments as a JSON object.'
    : 'Arguments as a JSON object.';
  return {
    element: h('div', { class: 'field' }, h('label', { for: id }, 'Arguments (JSON)'), area,
      h('p', { class: 'hint', id: hint }, note)),
    read() {
      let value;
      try {
        value = JSON.parse(area.value || '{}');
      } catch (e) {
        throw new FormError(`Arguments: not valid JSON (${e.message})`);
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new FormError('Arguments: must be a JSON object');
      }
      return value;
    },
  };
}

function typeOf(prop) {
  if (Array.isArray(prop.enum)) return 'enum';
  const t = Array.isArray(prop.type) ? prop.type.find((x) => x !== 'null') : prop.type;
  return ['string', 'integer', 'number', 'boolean'].includes(t) ? t : 'json';
}

function field(name, prop, isRequired) {
  const id = uid('field');
  const hintId = uid('hint');
  const type = typeOf(prop);
  const label = h('label', { for: id }, prop.title ? `${prop.title} (${name})` : name,
    isRequired ? h('span', { class: 'req' }, ' (required)') : null);
  const describedBy = prop.description ? hintId : null;
  const hint = prop.description ? h('p', { class: 'hint', id: hintId }, String(prop.description)) : null;
  const common = { id, 'aria-describedby': describedBy, required: isRequired && type !== 'boolean' };
  let input;
  let read;
  const hasDefault = prop.default !== undefined;

  if (type === 'enum') {
    input = h('select', common,
      isRequired ? null : h('option', { value: '' }, '(none)'),
      prop.enum.map((v, i) => h('option', { value: String(i), selected: hasDefault && v === prop.default },
        typeof v === 'string' ? v : JSON.stringify(v))));
    read = () => (input.value === '' ? undefined : prop.enum[Number(input.value)]);
  } else if (type === 'boolean') {
    input = h('input', { ...common, type: 'checkbox', checked: hasDefault && prop.default === true });
    // an untouched optional checkbox sends nothing, so the tool's default applies
    let touched = false;
    input.addEventListener('change', () => { touched = true; });
    read = () => (touched || isRequired ? input.checked : undefined);
  } else if (type === 'integer' || type === 'number') {
    input = h('input', {
      ...common,
      type: 'number',
      inputmode: type === 'integer' ? 'numeric' : 'decimal',
      step: type === 'integer' ? '1' : 'any',
      min: typeof prop.minimum === 'number' ? prop.minimum : null,
      max: typeof prop.maximum === 'number' ? prop.maximum : null,
      value: hasDefault && typeof prop.default === 'number' ? prop.default : null,
    });
    read = () => {
      if (input.value.trim() === '') {
        if (isRequired) throw new FormError(`${name}: required`);
        return undefined;
      }
      const n = Number(input.value);
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw new FormError(`${name}: must be ${type === 'integer' ? 'a whole number' : 'a number'}`);
      }
      return n;
    };
  } else if (type === 'string') {
    const long = (prop.maxLength || 0) > 200 || prop.format === 'textarea';
    input = h(long ? 'textarea' : 'input', {
      ...common,
      type: long ? null : 'text',
      rows: long ? 3 : null,
      maxlength: typeof prop.maxLength === 'number' ? prop.maxLength : null,
      spellcheck: 'false',
      autocomplete: 'off',
      value: hasDefault && typeof prop.default === 'string' ? prop.default : null,
    });
    read = () => {
      if (input.value === '') {
        if (isRequired) throw new FormError(`${name}: required`);
        return undefined;
      }
      return input.value;
    };
  } else {
    input = h('textarea', { ...common, rows: 3, spellcheck: 'false',
      value: hasDefault ? JSON.stringify(prop.default) : null });
    read = () => {
      if (input.value.trim() === '') {
        if (isRequired) throw new FormError(`${name}: required`);
        return undefined;
      }
      try {
        return JSON.parse(input.value);
      } catch (e) {
        throw new FormError(`${name}: not valid JSON (${e.message})`);
      }
    };
  }
  const typeNote = type === 'json' ? h('p', { class: 'hint' }, 'JSON value') : null;
  return { name, element: h('div', { class: 'field' }, label, input, hint, typeNote), read };
}
