// Test-only bridge to the reference JSONata implementation (npm `jsonata`, MIT), pinned to 2.0.6: the
// version AWS Step Functions documents that it implements. tests/sfn_local.py starts one process per
// interpreter session and talks JSON lines over stdin/stdout, one request at a time.
//
// request:  {"template": <any JSON>, "bindings": {"states": {...}, "<var>": ...}, "now": <epoch ms>,
//            "seed": <int>}
//   Every string of the template that is a whole "{% expr %}" is evaluated; other values are copied.
// response: {"ok": true, "value": <JSON>} or {"ok": false, "error": "<code>: <message>", "location": "<path>"}
//            "field": "<the state field, e.g. Arguments>"
//   A field whose expression yields nothing (JSONata undefined) is an error, as in Step Functions, whose
//   message this copies: "The JSONata expression '<expr>' specified for the field 'Arguments/Input/x'
//   returned nothing (undefined)."
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import jsonata from 'jsonata'

const EXPRESSION = /^\{%([\s\S]*)%\}$/
const compiled = new Map()

// The per-request state the AWS-provided functions and the clock functions read.
const current = { now: 0, rng: mulberry32(1) }

// A small seeded PRNG so $random/$uuid and FULL jitter are repeatable in tests (AWS's are random).
function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class SfnFunctionError extends Error {
  constructor(message) {
    super(message)
    this.code = 'States.QueryEvaluationError'
  }
}

const HASHES = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }

// The functions Step Functions adds to JSONata ("JSONata functions provided by Step Functions").
const functions = {
  partition: [
    (array, size) => {
      if (!Number.isInteger(size) || size <= 0) throw new SfnFunctionError('$partition: size must be a positive integer')
      const out = []
      for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size))
      return out
    },
    '<an:a>',
  ],
  range: [
    (start, end, step) => {
      if (![start, end, step].every(Number.isInteger) || step === 0)
        throw new SfnFunctionError('$range: start, end and a non-zero step must be integers')
      const out = []
      for (let i = start; step > 0 ? i <= end : i >= end; i += step) out.push(i)
      return out
    },
    '<nnn:a>',
  ],
  hash: [
    (data, algorithm) => {
      const name = HASHES[algorithm]
      if (!name) throw new SfnFunctionError(`$hash: unsupported algorithm ${algorithm}`)
      return createHash(name).update(typeof data === 'string' ? data : JSON.stringify(data)).digest('hex')
    },
    '<js:s>',
  ],
  random: [(seed) => (seed === undefined ? current.rng() : mulberry32(seed)()), '<n?:n>'],
  uuid: [
    () => {
      const bytes = Array.from({ length: 16 }, () => Math.floor(current.rng() * 256))
      bytes[6] = (bytes[6] & 0x0f) | 0x40
      bytes[8] = (bytes[8] & 0x3f) | 0x80
      const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('')
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    },
    '<:s>',
  ],
  parse: [
    (text) => {
      try {
        return JSON.parse(text)
      } catch (error) {
        throw new SfnFunctionError(`$parse: ${error.message}`)
      }
    },
    '<s:x>',
  ],
  // Step Functions leaves $eval out ("use $parse instead").
  eval: [
    () => {
      throw new SfnFunctionError('$eval is not available in Step Functions')
    },
    '<x-o?:x>',
  ],
  // The clock functions read the interpreter's virtual clock, not the machine's.
  millis: [() => current.now, '<:n>'],
}

function compile(source) {
  let expression = compiled.get(source)
  if (expression === undefined) {
    expression = jsonata(source)
    for (const [name, [implementation, signature]] of Object.entries(functions))
      expression.registerFunction(name, implementation, signature)
    const fromMillis = jsonata('$fromMillis').evaluate({})
    expression.registerFunction(
      'now',
      async (picture, timezone) => (await fromMillis).implementation(current.now, picture, timezone),
      '<s?s?:s>',
    )
    compiled.set(source, expression)
  }
  return expression
}

class LocatedError extends Error {
  constructor(location, error) {
    const code = error.code ?? 'Error'
    const at = error.position !== undefined ? ` at ${error.position}` : ''
    super(`The JSONata expression for the field '${location}' failed: ${code}${at}: ${error.message}`)
    this.location = location
  }
}

async function evaluateTemplate(template, bindings, location) {
  if (typeof template === 'string') {
    const match = EXPRESSION.exec(template)
    if (!match) return template
    let value
    try {
      value = await compile(match[1]).evaluate(undefined, bindings)
    } catch (error) {
      throw new LocatedError(location, error)
    }
    const source = match[1].trim()
    if (value === undefined) {
      const error = new Error(
        `The JSONata expression '${source}' specified for the field '${location}' returned nothing (undefined).`,
      )
      error.location = location
      throw error
    }
    if (typeof value === 'function' || value?._jsonata_function || value?._jsonata_lambda)
      throw new LocatedError(location, { code: 'NotJSON', message: `'${source}' returned a function` })
    return value
  }
  if (Array.isArray(template))
    return Promise.all(template.map((item, i) => evaluateTemplate(item, bindings, `${location}[${i}]`)))
  if (template !== null && typeof template === 'object') {
    const out = {}
    for (const [key, value] of Object.entries(template))
      out[key] = await evaluateTemplate(value, bindings, `${location}/${key}`)
    return out
  }
  return template
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (!line.trim()) continue
  let response
  try {
    const request = JSON.parse(line)
    current.now = request.now ?? 0
    current.rng = mulberry32(request.seed ?? 1)
    const value = await evaluateTemplate(request.template, request.bindings ?? {}, request.field ?? '')
    response = { ok: true, value }
  } catch (error) {
    response = { ok: false, error: error.message, location: error.location ?? '' }
  }
  process.stdout.write(`${JSON.stringify(response)}\n`)
}
