const express = require("express");
const app = express();
app.use(require(process.argv[2]).corsMiddleware());
app.all("*", (req, res) => res.status(req.path.includes("err") ? 500 : 200).send("ok"));
const s = app.listen(0, "127.0.0.1", () => console.log(s.address().port));
