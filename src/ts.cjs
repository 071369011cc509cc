// The compiler API, as ts-morph bundles it. ts-morph is CommonJS without a "type" field: imported
// from an ES module, Node first scans and lexes its 950 KB bundle (120-180 ms of every run);
// required from this CommonJS module, it loads directly. Types: ts.d.cts.
'use strict';
module.exports = require('ts-morph').ts;
