#!/usr/bin/env node
// Interop check: mod_batch's multipart batches (CONTRACT §8/§9) against the
// real npm OData client @odata/client (pinned in package.json), unmodified.
//
//   node odata_batch.mjs PORT [BATCH_PATH_PREFIX]
//
// OData.New4({serviceEndpoint: "http://127.0.0.1:PORT/odata/"}) posts
// execBatchRequests() to /odata/$batch (tests/test_1010_multipart_clients.py
// configures it with BatchAtomicity Ordered). Item urls are relative
// ("products/1"), so the server resolves them against BatchBase (/).
//
// Notes on the client (2.21.x) that shape this script:
// - formatBatchRequest() writes CRLF lines, an unquoted uuid boundary, GET
//   requests as top-level application/http parts and every other method as
//   its own change set (a nested multipart/mixed part with a uuid boundary),
//   no Content-ID at all (so ids are positions); a write's body follows an
//   extra CRLF, and a GET has a body made only of line breaks.
// - It sends no OData-Version unless given in commonHeaders (which it also
//   copies into every item's headers), so the first batch follows Google's
//   rule and the others set OData-Version (and Prefer) that way.
// - parseMultiPartContent() takes the response boundary as the text after the
//   last "=" of Content-Type, splits on "--boundary", needs the part header
//   key exactly "Content-Type" with the value exactly "application/http" (or
//   multipart/mixed for a change set), and reads each embedded response with
//   http-string-parser (status line with a reason phrase).
// - fetchProxy is the client's own hook for the transport; the one here
//   calls the client's defaultProxy and only records what went over the wire
//   (request body, response status and headers) for the summary.
//
// Prints one JSON summary on stdout; exit code 0 = everything matched,
// 1 = a mismatch (listed under "failures"), 2 = an exception.
import { createRequire } from "node:module";
import odata from "@odata/client";

const { OData, defaultProxy } = odata;
const require = createRequire(import.meta.url);
const VERSION = require("@odata/client/package.json").version;

const port = Number(process.argv[2]);
const prefix = process.argv[3] || "/odata/";
if (!Number.isInteger(port) || port <= 0) {
    console.error("usage: node odata_batch.mjs PORT [BATCH_PATH_PREFIX]");
    process.exit(2);
}
const endpoint = `http://127.0.0.1:${port}${prefix}`;

function client(commonHeaders, wire) {
    const fetchProxy = async (url, init) => {
        const rec = { url, method: init.method, headers: { ...init.headers }, body: init.body };
        wire.push(rec);
        const r = await defaultProxy(url, init);
        rec.status = r.response.status;
        rec.responseHeaders = Object.fromEntries(r.response.headers.entries());
        return r;
    };
    return OData.New4({ serviceEndpoint: endpoint, commonHeaders, fetchProxy });
}

async function runBatch(name, commonHeaders, makeRequests, expect) {
    const wire = [];
    const c = client(commonHeaders, wire);
    const failures = [];
    const out = { name, failures, wire, responses: [] };
    const results = await c.execBatchRequests(makeRequests(c));
    for (const r of results) {
        let body = await r.text();
        try { body = JSON.parse(body); } catch { /* text */ }
        out.responses.push({ status: r.status, statusText: r.statusText,
                             contentType: r.headers["Content-Type"], body });
    }
    if (out.responses.length !== expect.length) {
        failures.push(`${out.responses.length} responses for ${expect.length} requests`);
    }
    expect.forEach((check, i) => {
        const got = out.responses[i];
        if (!got) return;
        const why = check(got);
        if (why !== true) failures.push(`response ${i + 1}: ${why}: ${JSON.stringify(got)}`);
    });
    return out;
}

const status = (n) => (r) => r.status === n || `status ${r.status}, want ${n}`;
const reason = (r) => (typeof r.statusText === "string" && r.statusText.length > 0)
    || "no reason phrase";
const all = (...fs) => (r) => {
    for (const f of fs) { const w = f(r); if (w !== true) return w; }
    return true;
};
const moduleError = (n, code) => all(status(n), (r) =>
    (r.contentType || "").startsWith("application/json") && r.body?.error?.code === code
    || `not a ${code} error`);

const product = (id) => all(status(200), reason, (r) => r.body?.id === id || "wrong product");

const mixed = (c) => [
    c.newBatchRequest({ collection: "products/1" }),
    c.newBatchRequest({ collection: "static/small.json" }),
    c.newBatchRequest({ collection: "static/nope.json" }),
    c.newBatchRequest({ collection: "products", method: "POST",
                        entity: { title: "From OData" } }),
    c.newBatchRequest({ collection: "cgi/echo.py", method: "POST",
                        entity: { odata: true, n: 5 } }),
];

const batches = [
    // Google's rule (no OData-Version): every item runs; writes in change sets
    ["google-rule", {}, mixed, [
        product(1),
        all(status(200), (r) => r.body?.hello === "world" || "small.json body"),
        all(status(404), (r) => r.body?.error?.code === "NotFound" || "404 body"),
        all(status(201), (r) => r.body?.id === 11 && r.body?.title === "From OData"
            || "created product"),
        all(status(200), (r) => JSON.parse(r.body?.body ?? "null")?.n === 5 || "echoed body",
            (r) => typeof r.body?.atomicity_group === "string" || "no BATCH_ATOMICITY_GROUP",
            (r) => r.body?.item_id === "5" || "item id is not the position"),
    ]],
    // OData rule: in order, the first failure (404) stops the rest (424)
    ["odata-stop", { "OData-Version": "4.0" }, mixed, [
        product(1),
        status(200),
        status(404),
        moduleError(424, "FailedDependency"),
        moduleError(424, "FailedDependency"),
    ]],
    // OData rule with continue-on-error: everything runs
    ["odata-continue", { "OData-Version": "4.0", Prefer: "odata.continue-on-error" }, mixed, [
        product(1), status(200), status(404), status(201), status(200),
    ]],
];

const summary = { ok: false, client: VERSION, endpoint, batches: [] };
let rc = 0;
try {
    for (const [name, headers, make, expect] of batches) {
        const b = await runBatch(name, headers, make, expect);
        const w = b.wire[0] || {};
        const rh = w.responseHeaders || {};
        if (w.status !== 200) b.failures.push(`batch status ${w.status}`);
        if (!/^multipart\/mixed; boundary=[^";=]+$/.test(rh["content-type"] || "")) {
            b.failures.push(`batch Content-Type ${rh["content-type"]}`);
        }
        if (name !== "google-rule" && rh["odata-version"] !== "4.0") {
            b.failures.push(`OData-Version ${rh["odata-version"]}`);
        }
        if (name === "odata-continue" && rh["preference-applied"] !== "odata.continue-on-error") {
            b.failures.push(`Preference-Applied ${rh["preference-applied"]}`);
        }
        summary.batches.push(b);
        if (b.failures.length) rc = 1;
    }
    summary.ok = rc === 0;
} catch (e) {
    summary.exception = String(e && e.stack || e);
    rc = 2;
}
console.log(JSON.stringify(summary));
process.exit(rc);
