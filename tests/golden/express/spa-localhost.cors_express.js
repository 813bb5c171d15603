// corsc 0.1.0 from spa-localhost.cors for target express; policy sha256:dcfb148455badded; generated — edit the policy, not this file
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
      [
        "^(?:https://localhost:3000)$",
        0
      ]
    ],
    "deny": null,
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
          "DELETE",
          "OPTIONS"
        ],
        "preflightMethods": [
          "GET",
          "HEAD",
          "POST",
          "PUT",
          "DELETE",
          "OPTIONS"
        ],
        "headers": [
          "Content-Type",
          "Accept",
          "Origin",
          "X-Requested-With"
        ],
        "headerKeys": [
          "accept",
          "content-type",
          "origin",
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
    allow: policy.allow.map(([source, grant]) => [new RegExp(source), grant]),
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
    for (const [pattern, grant] of policy.allow) {
      if (pattern.test(origin)) return grant;
    }
    return null;
  }

  function granted(grant, req) {
    const method = req.headers["access-control-request-method"];
    if (grant.methods !== null && !grant.preflightMethods.includes(method)) return false;
    if (grant.headerKeys === null) return true;
    const requested = String(req.headers["access-control-request-headers"] || "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== "");
    return requested.every((name) => grant.headerKeys.includes(name));
  }

  function echo(origin, callback) {
    callback(null, origin);
  }

  // A plain OPTIONS request is no preflight: cors writes its headers and passes it on.
  function handler(index, number, req, preflight) {
    const policy = compiled[index];
    const grant = policy.grants[number];
    const options = {
      // Handlers are shared between requests: the Origin (checked above) is given to cors
      // per request, never kept in the options.
      origin: policy.static === null ? echo : policy.static,
      methods:
        grant.methods === null
          ? req.headers["access-control-request-method"] || ""
          : grant.methods.join(", "),
      credentials: grant.credentials,
      preflightContinue: !preflight,
      optionsSuccessStatus: policy.preflightStatus,
    };
    // An empty array, not "": cors would reflect the requested headers for a falsy value.
    if (grant.headers !== null) {
      options.allowedHeaders = grant.headers.length > 0 ? grant.headers.join(", ") : [];
    }
    if (grant.expose !== null) options.exposedHeaders = grant.expose;
    if (grant.maxAge !== null) options.maxAge = grant.maxAge;
    if (grant.methods === null) return cors(options);
    const key = `${index} ${number} ${preflight}`;
    if (!handlers.has(key)) handlers.set(key, cors(options));
    return handlers.get(key);
  }

  return function corscCors(req, res, next) {
    const index = policyOf(req.originalUrl || req.url);
    if (index === "ambiguous") {
      res.statusCode = 400;
      res.setHeader("Content-Length", "0");
      res.end();
      return;
    }
    if (index === null) return next();
    const policy = compiled[index];
    const origin = req.headers.origin;
    const asked = req.headers["access-control-request-method"];
    const preflight = req.method === "OPTIONS" && origin !== undefined && asked !== undefined;
    const number = origin === undefined ? null : grantOf(policy, origin);
    if (preflight) {
      const grant = number === null ? null : policy.grants[number];
      if (grant === null || !granted(grant, req)) return refuse(res, 403, policy.vary);
      const members = [...policy.vary];
      if (grant.methods === null) members.push("Access-Control-Request-Method");
      if (grant.headers === null) members.push("Access-Control-Request-Headers");
      vary(res, members);
      const network = req.headers["access-control-request-private-network"];
      if (grant.privateNetwork && network === "true") {
        res.setHeader("Access-Control-Allow-Private-Network", "true");
      }
      return handler(index, number, req, true)(req, res, next);
    }
    if (policy.static !== null) return handler(index, 0, req, false)(req, res, next);
    vary(res, policy.vary);
    if (number === null) {
      if (origin !== undefined && policy.reject) return refuse(res, 403, []);
      return next();
    }
    return handler(index, number, req, false)(req, res, next);
  };
}

module.exports = { corsMiddleware, POLICIES };
