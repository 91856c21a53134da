// The GraphQL over HTTP server audit (graphql-http, the spec's own conformance checks) against
// a running tenant-oms. Every request carries the bearer token, as a real client's would.
// Usage: OMS=http://127.0.0.1:8080/graphql TOKEN=... node audit.mjs
// Exits 1 when any audit ends in an error (a MUST) or a warning (a SHOULD).
import { auditServer } from 'graphql-http';

const url = process.env.OMS;
const token = process.env.TOKEN;
if (!url || !token) {
  console.error('set OMS (the /graphql URL) and TOKEN');
  process.exit(2);
}

const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}`);
  }
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.warn} warnings, ${counts.error} errors, ${counts.notice} notices`);
process.exit(counts.warn + counts.error > 0 ? 1 : 0);
