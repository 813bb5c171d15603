// The test application: one Express app per compiled module named on the command line, each
// on an ephemeral port on 127.0.0.1, corsc's middleware first. The application answers every
// request 200 "{}" (or the status an X-App-Status header asks for, or throws for X-App-Throw,
// to test error responses).
// Prints the ports as one JSON line, then serves until it is killed.
"use strict";

const express = require("express");

const modules = process.argv.slice(2);
// The browser tests' application headers (a JSON list of [name, value]), when given.
const appHeaders = JSON.parse(process.env.CORSC_APP_HEADERS || "null");
const ports = new Array(modules.length);
let listening = 0;
modules.forEach((path, index) => {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use(require(path).corsMiddleware());
  app.all("*", (req, res) => {
    // Express's own error handler answers a thrown error (500).
    if (req.headers["x-app-throw"] !== undefined) throw new Error("the application failed");
    res.status(Number(req.headers["x-app-status"] || 200));
    if (appHeaders === null) return res.type("application/json").send("{}");
    for (const [name, value] of appHeaders) res.append(name, value);
    return res.end("{}");
  });
  const server = app.listen(0, "127.0.0.1", () => {
    ports[index] = server.address().port;
    listening += 1;
    if (listening === modules.length) console.log(JSON.stringify(ports));
  });
});
