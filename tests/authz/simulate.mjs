// Test-only bridge to @cloud-copilot/iam-simulate (AGPL-3.0-or-later): nothing the project
// ships imports it. tests/authz.py runs this script once per batch of requests.
//
// stdin:  {"requests": [{"id": "...", "simulation": <iam-simulate Simulation>}, ...]}
// stdout: {"results": [{"id", "result", "errors", "denials", "grants", "ignoredContextKeys",
//                       "resourceType", "explain"}, ...]}
// A request the simulator refuses to run (unknown action, malformed policy, an ARN that is no
// resource type of the action) comes back with result "Error" and the simulator's errors.
import { readFileSync } from 'node:fs'
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'

const asList = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value])

// Why one statement applied or not, in the terms a test failure message needs.
function statement(analysis) {
  const explain = analysis.explain
  const summary = {
    policy: analysis.policyId,
    sid: analysis.statement?.sid?.() ?? explain.identifier,
    effect: explain.effect,
    action: explain.actionMatch,
    resource: explain.resourceMatch,
    principal: explain.principalMatch,
    conditions: explain.conditionMatch,
  }
  const resourceMisses = [...asList(explain.resources), ...asList(explain.notResources)]
    .filter((r) => r.mismatchReason)
    .map((r) => `${r.resource}: ${r.mismatchReason}`)
  if (!explain.resourceMatch && resourceMisses.length) summary.resourceMisses = resourceMisses
  const conditions = (explain.conditions ?? []).map((c) => ({
    operator: c.operator,
    key: c.conditionKeyValue,
    matches: c.matches,
    ...(c.matchedBecauseMissing ? { matchedBecauseMissing: true } : {}),
    ...(c.failedBecauseMissing ? { failedBecauseMissing: true } : {}),
  }))
  if (conditions.length) summary.conditionDetails = conditions
  return summary
}

function policyAnalysis(analysis) {
  if (!analysis) return undefined
  return {
    result: analysis.result,
    deny: analysis.denyStatements.map(statement),
    allow: analysis.allowStatements.map(statement),
    // Statements for this action that did not apply: the usual reason for an implicit deny.
    unmatched: analysis.unmatchedStatements.filter((s) => s.explain.actionMatch).map(statement),
  }
}

function explainAnalysis(analysis) {
  return {
    result: analysis.result,
    sameAccount: analysis.sameAccount,
    blockedBy: analysis.blockedBy ?? [],
    identity: policyAnalysis(analysis.identityAnalysis),
    resource: policyAnalysis(analysis.resourceAnalysis),
    permissionBoundary: policyAnalysis(analysis.permissionBoundaryAnalysis),
    endpoint: policyAnalysis(analysis.endpointAnalysis),
  }
}

async function simulate({ id, simulation }) {
  let response
  try {
    response = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (error) {
    return { id, result: 'Error', errors: { message: String(error?.stack ?? error) } }
  }
  if (response.resultType === 'error') return { id, result: 'Error', errors: response.errors }
  // A wildcard resource may expand into several simulations; report the one that decided.
  const results = response.resultType === 'single' ? [response.result] : response.results
  const deciding =
    results.find((r) => r.analysis.result === response.overallResult) ?? results[0] ?? undefined
  if (!deciding) return { id, result: response.overallResult, denials: [], grants: [], explain: {} }
  return {
    id,
    result: response.overallResult,
    resourceType: deciding.resourceType,
    ignoredContextKeys: deciding.ignoredContextKeys ?? [],
    denials: getDenialReasons(deciding.analysis),
    grants: response.overallResult === 'Allowed' ? getGrantReasons(deciding.analysis) : [],
    explain: explainAnalysis(deciding.analysis),
  }
}

const input = JSON.parse(readFileSync(0, 'utf8'))
const results = []
for (const request of input.requests) results.push(await simulate(request))
process.stdout.write(JSON.stringify({ results }))
