// corsc 0.1.0 from spa-localhost.cors for target express; policy sha256:a60bce05d53f0955; generated — edit the policy, not this file
// Express/Connect: app.use(require("./cors_express").corsMiddleware());
"use strict";

const cors = require("cors");

const MAX_ORIGIN_LENGTH = 267;

const POLICIES = [
  {
    "name": "spa",
    "prefixes": [],
    "static": "https://localhost:3000",
    "allow": [
      {
        "exact": [
          [
            "https://localhost:3000",
            0
          ]
        ]
      }
    ],
    "deny": null,
    "staticPreflight": [
      [
        "Access-Control-Allow-Origin",
        "https://localhost:3000"
      ],
      [
        "Access-Control-Allow-Credentials",
        "true"
      ]
    ],
    "staticActual": [
      [
        "Access-Control-Allow-Origin",
        "https://localhost:3000"
      ],
      [
        "Access-Control-Allow-Credentials",
        "true"
      ]
    ],
    "reject": false,
    "preflightStatus": 204,
    "vary": [],
    "grants": [
      {
        "methods": [
          "GET",
          "HEAD",
          "POST",
          "PUT",
          "DELETE"
        ],
        "preflightMethods": [
          "GET",
          "HEAD",
          "POST",
          "PUT",
          "DELETE"
        ],
        "headers": [
          "Content-Type",
          "Accept",
          "X-Requested-With"
        ],
        "headerKeys": [
          "accept",
          "content-type",
          "x-requested-with"
        ],
        "expose": null,
        "credentials": true,
        "maxAge": null,
        "privateNetwork": false
      }
    ]
  }
];

function corsMiddleware() {
  const compiled = POLICIES.map((policy) => ({
    ...policy,
    // A Map, never an object: no origin can be mistaken for a property such as __proto__.
    allow: policy.allow.map((run) =>
      "exact" in run
        ? { exact: new Map([...run.exact].reverse()) }
        : { regex: new RegExp(run.regex), grant: run.grant },
    ),
    deny: policy.deny === null ? null : new RegExp(policy.deny),
  }));
  const handlers = new Map();

  function vary(res, members) {
    const present = new Set(
      String(res.getHeader("Vary") || "")
        .split(",")
        .map((member) => member.trim().toLowerCase())
        .filter((member) => member !== ""),
    );
    if (present.has("*")) return;
    const added = members.filter((member) => !present.has(member.toLowerCase()));
    if (added.length === 0) return;
    const old = res.getHeader("Vary");
    res.setHeader("Vary", old ? `${old}, ${added.join(", ")}` : added.join(", "));
  }

  function refuse(res, status, members) {
    vary(res, members);
    res.statusCode = status;
    res.setHeader("Content-Length", "0");
    res.end();
  }

  // Decoded once as UTF-8, an encoded slash kept as data; null when not UTF-8.
  function decoded(raw, slashes) {
    try {
      const text = slashes ? raw : raw.replace(/%2f/gi, "%252F");
      return decodeURIComponent(text);
    } catch (error) {
      return null;
    }
  }

  function withoutDots(path) {
    const out = [];
    for (const segment of path.split("/").slice(1)) {
      if (segment === "..") out.pop();
      else if (segment !== ".") out.push(segment);
    }
    const last = path.split("/").pop();
    return "/" + out.join("/") + (last === "." || last === ".." ? "/" : "");
  }

  function select(path) {
    let best = null;
    let length = -1;
    let fallback = null;
    compiled.forEach((policy, index) => {
      if (policy.prefixes.length === 0 && fallback === null) fallback = index;
      for (const prefix of policy.prefixes) {
        const matches = prefix === "/" || path === prefix || path.startsWith(prefix + "/");
        if (matches && prefix.length > length) {
          best = index;
          length = prefix.length;
        }
      }
    });
    return best === null ? fallback : best;
  }

  // The policy of a request's path, or "ambiguous" when a router's decoding would differ.
  function policyOf(url) {
    const raw = url.split("?")[0].split("#")[0];
    const path = decoded(raw, false);
    if (path === null) return "ambiguous";
    const chosen = select(withoutDots(path));
    const slashes = decoded(raw, true);
    for (const form of [slashes, slashes && slashes.replace(/\/{2,}/g, "/")]) {
      if (form === null) return "ambiguous";
      for (const candidate of [form, withoutDots(form)]) {
        if (select(candidate) !== chosen) return "ambiguous";
      }
    }
    return chosen;
  }

  function undotted(origin) {
    const match = /^([a-z][a-z0-9+.-]*:\/\/[^/:]*)\.(:[0-9]+)?$/.exec(origin);
    return match ? match[1] + (match[2] || "") : null;
  }

  function grantOf(policy, origin) {
    if (origin.length > MAX_ORIGIN_LENGTH) return null;
    if (policy.deny !== null) {
      const plain = undotted(origin);
      if (policy.deny.test(origin) || (plain !== null && policy.deny.test(plain))) return null;
    }
    for (const run of policy.allow) {
      if (run.exact !== undefined) {
        const grant = run.exact.get(origin);
        if (grant !== undefined) return grant;
      } else if (run.regex.test(origin)) {
        return run.grant;
      }
    }
    return null;
  }

  const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

  function trimmed(value) {
    return String(value).replace(/^[ \t]+|[ \t]+$/g, "");
  }

  function send(res, status, headers, members) {
    for (const [name, value] of headers) res.setHeader(name, value);
    refuse(res, status, members);
  }

  // The preflight answer is corsc's: cors would accept every OPTIONS request, write
  // Expose-Headers on it and reflect request headers unchecked.
  function preflight(policy, grant, origin, req, res) {
    const refused = () => send(res, 403, policy.staticPreflight, policy.vary);
    if (grant === null) return refused();
    const method = trimmed(req.headers["access-control-request-method"]);
    if (!TOKEN.test(method)) return refused();
    if (grant.methods !== null && !grant.preflightMethods.includes(method)) return refused();
    const asked = String(req.headers["access-control-request-headers"] || "")
      .split(",")
      .map(trimmed)
      .filter((name) => name !== "");
    for (const name of asked) {
      if (!TOKEN.test(name)) return refused();
      if (grant.headerKeys !== null && !grant.headerKeys.includes(name.toLowerCase())) {
        return refused();
      }
    }
    const headers = [...policy.staticPreflight];
    if (policy.static === null) {
      headers.push(["Access-Control-Allow-Origin", origin]);
      if (grant.credentials) headers.push(["Access-Control-Allow-Credentials", "true"]);
    }
    const methods = grant.methods === null ? method : grant.methods.join(", ");
    headers.push(["Access-Control-Allow-Methods", methods]);
    if (asked.length > 0) {
      const names = grant.headers === null ? asked : grant.headers;
      headers.push(["Access-Control-Allow-Headers", names.join(", ")]);
    }
    if (grant.maxAge !== null) headers.push(["Access-Control-Max-Age", String(grant.maxAge)]);
    const network = req.headers["access-control-request-private-network"];
    if (grant.privateNetwork && network !== undefined && trimmed(network) === "true") {
      headers.push(["Access-Control-Allow-Private-Network", "true"]);
    }
    const members = [...policy.vary];
    if (grant.methods === null) members.push("Access-Control-Request-Method");
    if (grant.headers === null) members.push("Access-Control-Request-Headers");
    return send(res, policy.preflightStatus, headers, members);
  }

  function echo(origin, callback) {
    callback(null, origin);
  }

  // cors writes an allowed actual request's headers: the Origin (checked above) echoed,
  // credentials and Expose-Headers. Handlers are shared, so the Origin is never kept in them.
  function handler(index, number) {
    const key = `${index} ${number}`;
    if (!handlers.has(key)) {
      const grant = compiled[index].grants[number];
      const options = { origin: echo, credentials: grant.credentials };
      if (grant.expose !== null) options.exposedHeaders = grant.expose;
      handlers.set(key, cors(options));
    }
    return handlers.get(key);
  }

  return function corscCors(req, res, next) {
    const index = policyOf(req.originalUrl || req.url);
    if (index === "ambiguous") return refuse(res, 400, []);
    if (index === null) return next();
    const policy = compiled[index];
    const origin = req.headers.origin;
    const number = origin === undefined ? null : grantOf(policy, origin);
    const grant = number === null ? null : policy.grants[number];
    if (
      req.method === "OPTIONS" &&
      origin !== undefined &&
      req.headers["access-control-request-method"] !== undefined
    ) {
      return preflight(policy, grant, origin, req, res);
    }
    if (policy.static !== null) {
      for (const [name, value] of policy.staticActual) res.setHeader(name, value);
      return next();
    }
    vary(res, policy.vary);
    if (grant === null) {
      if (origin !== undefined && policy.reject) return refuse(res, 403, []);
      return next();
    }
    if (req.method !== "OPTIONS") return handler(index, number)(req, res, next);
    // cors takes every OPTIONS request for a preflight: a plain one gets its headers here.
    res.setHeader("Access-Control-Allow-Origin", origin);
    if (grant.credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
    if (grant.expose !== null) res.setHeader("Access-Control-Expose-Headers", grant.expose);
    return next();
  };
}

module.exports = { corsMiddleware, POLICIES };
