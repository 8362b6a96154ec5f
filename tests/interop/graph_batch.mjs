#!/usr/bin/env node
// Interop check: mod_batch against the real Microsoft Graph JS SDK
// (npm @microsoft/microsoft-graph-client 3.0.x, pinned in package.json).
//
//   node graph_batch.mjs PORT [TEST_NAME]
//
// Builds batches with the SDK's BatchRequestContent from WHATWG Request
// objects (urls on https://graph.example/..., as an app would write them
// for https://graph.microsoft.com), posts the payload exactly as
// `await batch.getContent()` produces it through the SDK's own Client to
// http://127.0.0.1:PORT/v1.0/$batch (BatchBase /v1.0) and, for the body
// round trips that need targets outside /v1.0, to /batch (BatchBase /),
// then reads the answer back with BatchResponseContent.getResponseById()
// and checks status, headers.get("Content-Type") and the body of each item.
//
// Prints one JSON summary on stdout; exit code 0 = everything matched,
// 1 = a mismatch (listed under "failures"), 2 = an exception.
//
// Notes on the SDK (3.0.7) that shape this script:
// - Client.init with baseUrl http://127.0.0.1:PORT works with Node's global
//   fetch (no isomorphic-fetch needed). The AuthenticationHandler only adds
//   "Authorization: Bearer ..." for https Graph hosts or `customHosts`, so on
//   plain http no token is sent at all; that is fine here (nothing under
//   /v1.0 requires auth).
// - BatchRequestContent strips scheme and authority from each Request url
//   ("https://graph.example/v1.0/me" -> "/v1.0/me", ".../products?x" ->
//   "/products?x"), copies the Request's headers, which WHATWG Headers hands
//   out with lower-cased names ("content-type"), and for POST/PUT/PATCH
//   inlines the body when it parses as JSON, otherwise sends it as base64
//   (read through Blob + FileReader).
// - Node 20 has Blob but no FileReader, so without help the SDK silently
//   DROPS every non-JSON body (its catch-all swallows the ReferenceError).
//   A minimal FileReader (readAsDataURL only) is installed below, as a Node
//   app using the SDK would have to; set GRAPH_INTEROP_NO_FILEREADER=1 to
//   see the SDK's own behaviour.
// - getContent() accepts only three dependsOn shapes: none at all
//   ("parallel"), a chain where each item depends on the one before
//   ("serial"), or every item depending on the first ("same"). Hence one
//   batch per shape below.
// - BatchResponseContent looks up headers["Content-Type"] case-sensitively
//   and JSON.stringify()s the body only when that media type is exactly
//   application/json; every other body is handed to `new Response(body)`
//   as is (so binary bodies reach the app as the base64 string).
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";
import graph from "@microsoft/microsoft-graph-client";

const { Client, BatchRequestContent, BatchResponseContent } = graph;
const require = createRequire(import.meta.url);
const SDK_VERSION = require("@microsoft/microsoft-graph-client/package.json").version;

const port = Number(process.argv[2]);
const testName = process.argv[3] || "graph_batch.mjs";
if (!Number.isInteger(port) || port <= 0) {
    console.error("usage: node graph_batch.mjs PORT [TEST_NAME]");
    process.exit(2);
}

if (typeof globalThis.FileReader === "undefined" && !process.env.GRAPH_INTEROP_NO_FILEREADER) {
    // Just enough of the DOM FileReader for the SDK's getRequestBody().
    globalThis.FileReader = class FileReader {
        constructor() { this.result = null; this._load = []; }
        addEventListener(type, fn) { if (type === "load") this._load.push(fn); }
        readAsDataURL(blob) {
            blob.arrayBuffer().then((ab) => {
                const type = blob.type || "application/octet-stream";
                this.result = `data:${type};base64,${Buffer.from(ab).toString("base64")}`;
                for (const fn of this._load) fn({ target: this });
            });
        }
    };
}

const G = "https://graph.example";
const BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const BYTES_B64 = Buffer.from(BYTES).toString("base64");
const DATA_BIN_B64 = Buffer.concat([BYTES, BYTES, BYTES, BYTES]).toString("base64"); // static/data.bin
const TEXT = "hello w\u00f6rld \u2713\n";
const TEXT_B64 = Buffer.from(TEXT, "utf8").toString("base64");

const me = { displayName: "Alice Example", id: "alice", mail: "alice@example.org" };
const product = (id, title, price) => ({ id, title, price });
const notFound = (msg) => ({ error: { code: "NotFound", message: msg } });
const errorCode = (code) => (b) => b && b.error && b.error.code === code
    && typeof b.error.message === "string" && b.error.message.length > 0;

// a header of the echo backend's answer, by name case-insensitively (the
// item's own header reaches the target under the name the item gave it)
const hdr = (echo, name) => {
    const k = Object.keys(echo.headers || {}).filter((h) => h.toLowerCase() === name.toLowerCase());
    return k.length === 1 ? echo.headers[k[0]] : (k.length ? k.map((h) => echo.headers[h]) : undefined);
};
const get = (url, headers) => new Request(G + url, { method: "GET", headers });
const send = (method, url, type, body) =>
    new Request(G + url, { method, headers: { "Content-Type": type }, body });

// Each batch: where it goes, its steps, and per id what must come back.
//   status, type (media type before ";", from headers.get("Content-Type")),
//   json (deep-equal or predicate on await response.json()),
//   text (exact await response.text()), bytes_b64 (text() is base64 of these),
//   empty (no body: text() === ""), headers ({name: value} via headers.get)
const BATCHES = [
    {
        name: "parallel",
        path: "/v1.0/$batch",
        steps: [
            { id: "1", request: get("/v1.0/me"), expect: { status: 200, type: "application/json", json: me } },
            { id: "2", request: get("/v1.0/products/1"),
              expect: { status: 200, type: "application/json", json: product(1, "Pen", 1.5) } },
            { id: "3", request: get("/products?skip=0&limit=2"),
              expect: { status: 200, type: "application/json",
                        json: { products: [product(1, "Pen", 1.5), product(2, "Pencil", 0.75)],
                                total: 10, skip: 0, limit: 2 } } },
            { id: "4", request: send("POST", "/v1.0/products", "application/json",
                                     JSON.stringify({ title: "Test Product" })),
              expect: { status: 201, type: "application/json",
                        json: product(11, "Test Product", 0),
                        headers: { Location: "/v1.0/products/11" } } },
            { id: "5", request: get("/v1.0/products/999"),
              expect: { status: 404, type: "application/json", json: notFound("product 999 not found") } },
            { id: "6", request: get("/me/nothing-here"),   // no such file: mod_batch's own error body
              expect: { status: 404, type: "application/json", json: errorCode("NotFound") } },
            { id: "7", request: new Request(G + "/v1.0/products/1", { method: "DELETE" }),
              expect: { status: 405, type: "application/json", json: errorCode("MethodNotAllowed"),
                        headers: { Allow: "GET, HEAD" } } },
            { id: "8", request: new Request(G + "/v1.0/me", { method: "HEAD" }),
              expect: { status: 200, type: "application/json", empty: true } },
        ],
    },
    {
        name: "serial",
        path: "/v1.0/$batch",
        steps: [
            { id: "a", request: send("POST", "/products", "application/json; charset=utf-8",
                                     JSON.stringify({ title: "Test Product", price: 2.5 })),
              expect: { status: 201, type: "application/json", json: product(11, "Test Product", 2.5) } },
            { id: "b", dependsOn: ["a"], request: get("/me"),
              expect: { status: 200, type: "application/json", json: me } },
            { id: "c", dependsOn: ["b"], request: get("/v1.0/products/42"),
              expect: { status: 404, type: "application/json", json: notFound("product 42 not found") } },
            { id: "d", dependsOn: ["c"], request: get("/v1.0/products/2"),
              expect: { status: 424, type: "application/json", json: errorCode("FailedDependency") } },
            { id: "e", dependsOn: ["d"], request: get("/v1.0/products/3"),
              expect: { status: 424, type: "application/json", json: errorCode("FailedDependency") } },
        ],
    },
    {
        name: "same",
        path: "/v1.0/$batch",
        steps: [
            { id: "first", request: get("/v1.0/products/3"),
              expect: { status: 200, type: "application/json", json: product(3, "Notebook", 3.2) } },
            { id: "second", dependsOn: ["first"], request: get("/products/4"),
              expect: { status: 200, type: "application/json", json: product(4, "Eraser", 0.5) } },
            { id: "third", dependsOn: ["first"], request: get("/v1.0/me"),
              expect: { status: 200, type: "application/json", json: me } },
        ],
    },
    {
        // Targets outside /v1.0: the standard /batch location (BatchBase /).
        name: "bodies",
        path: "/batch",
        steps: [
            // binary request body: the SDK sends base64, mod_batch decodes it
            { id: "bin", request: send("PUT", "/pyb/echo", "application/octet-stream", BYTES),
              expect: { status: 200, type: "application/json",
                        json: (b) => b.method === "PUT" && b.body_base64 === true && b.body === BYTES_B64
                            && hdr(b, "Content-Type") === "application/octet-stream"
                            && hdr(b, "Content-Length") === "256" } },
            // text request body: the SDK sends it base64 too (Graph decodes every
            // non-JSON body); CONTRACT §5 sends a text body's string as is, so the
            // backend sees the base64 text. Recorded, checked against the contract.
            { id: "text", request: send("POST", "/pyb/echo", "text/plain; charset=utf-8", TEXT),
              expect: { status: 200, type: "application/json",
                        json: (b) => b.method === "POST" && b.body_base64 === false
                            && b.body === TEXT_B64
                            && hdr(b, "Content-Type") === "text/plain; charset=utf-8" } },
            // binary response body: base64, which the SDK hands on as a string
            { id: "bin-out", request: get("/static/data.bin"),
              expect: { status: 200, type: "application/octet-stream", bytes_b64: DATA_BIN_B64 } },
            { id: "text-out", request: get("/static/a.txt"),
              expect: { status: 200, type: "text/plain", text: "hello from a.txt\n" } },
            { id: "not-modified", request: get("/static/a.txt", { "If-None-Match": "*" }),
              expect: { status: 304, empty: true } },
            { id: "no-content", request: get("/pyb/status?status=204"),
              expect: { status: 204, empty: true } },
        ],
    },
];

function mediaType(v) {
    return v == null ? null : v.split(";")[0].trim().toLowerCase();
}

async function checkResponse(step, response, failures) {
    const ex = step.expect;
    const where = `item ${JSON.stringify(step.id)}`;
    const seen = { id: step.id };
    if (!response) {
        failures.push(`${where}: no response (getResponseById returned ${response})`);
        return seen;
    }
    seen.status = response.status;
    seen.content_type = response.headers.get("Content-Type");
    const text = await response.text();
    try { seen.body = JSON.parse(text); } catch { seen.body = text; }
    if (response.status !== ex.status) {
        failures.push(`${where}: status ${response.status}, expected ${ex.status}`);
    }
    if (ex.type !== undefined && mediaType(seen.content_type) !== ex.type) {
        failures.push(`${where}: Content-Type ${JSON.stringify(seen.content_type)}, expected ${ex.type}`);
    }
    for (const [name, value] of Object.entries(ex.headers || {})) {
        const got = response.headers.get(name);
        if (got !== value) failures.push(`${where}: header ${name} ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
    if (ex.empty && text !== "") {
        failures.push(`${where}: expected no body, got ${JSON.stringify(text.slice(0, 200))}`);
    }
    if (ex.text !== undefined && text !== ex.text) {
        failures.push(`${where}: body ${JSON.stringify(text.slice(0, 200))}, expected ${JSON.stringify(ex.text)}`);
    }
    if (ex.bytes_b64 !== undefined) {
        // what an app does with a binary item: decode the base64 string
        const decoded = Buffer.from(text, "base64").toString("base64");
        if (text !== ex.bytes_b64 || decoded !== ex.bytes_b64) {
            failures.push(`${where}: binary body ${JSON.stringify(text.slice(0, 80))}, expected ${ex.bytes_b64.slice(0, 40)}... (${ex.bytes_b64.length} chars)`);
        }
    }
    if (ex.json !== undefined) {
        let body;
        try {
            body = JSON.parse(text);   // what `await response.json()` does
        } catch (e) {
            failures.push(`${where}: body is not JSON (${e.message}): ${JSON.stringify(text.slice(0, 200))}`);
            return seen;
        }
        const ok = typeof ex.json === "function" ? ex.json(body) : isDeepStrictEqual(body, ex.json);
        if (!ok) {
            failures.push(`${where}: body ${JSON.stringify(body).slice(0, 400)} does not match`
                + (typeof ex.json === "function" ? ` ${ex.json.toString().slice(0, 300)}` : ` ${JSON.stringify(ex.json)}`));
        }
    }
    return seen;
}

async function runBatch(spec) {
    const failures = [];
    const batch = new BatchRequestContent(spec.steps.map((s) => ({
        id: s.id, request: s.request, ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
    })));
    const payload = await batch.getContent();
    const result = { name: spec.name, path: spec.path, payload, responses: [], failures };

    // The SDK's own HTTP client: baseUrl + version + path.
    const client = Client.init({
        authProvider: (done) => done(null, "dummy-token"),
        baseUrl: `http://127.0.0.1:${port}`,
        defaultVersion: "v1.0",
    });
    const req = spec.path === "/v1.0/$batch"
        ? client.api("/$batch")                       // -> /v1.0/$batch
        : client.api(spec.path).version("");          // -> /batch
    let raw;
    try {
        raw = await req.header("X-Test-Name", testName).responseType("raw").post(payload);
    } catch (e) {
        failures.push(`batch POST failed: ${e && (e.stack || e.message || JSON.stringify(e))}`);
        return result;
    }
    result.http_status = raw.status;
    result.http_content_type = raw.headers.get("Content-Type");
    const bodyText = await raw.text();
    if (raw.status !== 200) failures.push(`batch status ${raw.status}, expected 200: ${bodyText.slice(0, 500)}`);
    if (mediaType(result.http_content_type) !== "application/json") {
        failures.push(`batch Content-Type ${result.http_content_type}, expected application/json`);
    }
    let json;
    try {
        json = JSON.parse(bodyText);
    } catch (e) {
        failures.push(`batch body is not JSON: ${e.message}: ${bodyText.slice(0, 500)}`);
        return result;
    }
    result.raw_ids = Array.isArray(json.responses) ? json.responses.map((r) => r.id) : null;
    const want = spec.steps.map((s) => s.id);
    if (!isDeepStrictEqual(result.raw_ids, want)) {
        failures.push(`responses ids ${JSON.stringify(result.raw_ids)}, expected ${JSON.stringify(want)} (request order)`);
    }
    // The raw item headers must carry the media type under the exact key
    // "Content-Type" (BatchResponseContent looks it up case-sensitively).
    for (const r of json.responses || []) {
        const keys = Object.keys(r.headers || {});
        const ct = keys.filter((k) => k.toLowerCase() === "content-type");
        if (ct.length && !(ct.length === 1 && ct[0] === "Content-Type")) {
            failures.push(`item ${JSON.stringify(r.id)}: media type under header key(s) ${JSON.stringify(ct)}, expected exactly "Content-Type"`);
        }
    }
    let content;
    try {
        content = new BatchResponseContent(json);
    } catch (e) {
        failures.push(`BatchResponseContent refused the answer: ${e.message}`);
        return result;
    }
    const rawById = new Map((json.responses || []).map((r) => [r.id, r]));
    for (const step of spec.steps) {
        try {
            const seen = await checkResponse(step, content.getResponseById(step.id), failures);
            seen.raw_headers = (rawById.get(step.id) || {}).headers;
            result.responses.push(seen);
        } catch (e) {
            failures.push(`item ${JSON.stringify(step.id)}: ${e.message}`);
        }
    }
    return result;
}

async function main() {
    const summary = { sdk: SDK_VERSION, node: process.version, port, batches: [], ok: true };
    for (const spec of BATCHES) {
        const r = await runBatch(spec);
        summary.batches.push(r);
        if (r.failures.length) summary.ok = false;
    }
    process.stdout.write(JSON.stringify(summary, null, 1) + "\n");
    process.exit(summary.ok ? 0 : 1);
}

main().catch((e) => {
    process.stdout.write(JSON.stringify({ ok: false, exception: String(e && (e.stack || e)) }) + "\n");
    process.exit(2);
});
