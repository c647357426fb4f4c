#!/usr/bin/env node
'use strict';
// The `loadlens` command; the CLI lives in the bundled dist/cli.js (built by `npm run build`).
require('../dist/cli.js');
