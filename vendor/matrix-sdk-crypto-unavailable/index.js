"use strict";
// matrix-bot-sdk 0.8 requires the native crypto package at import time, and that
// package downloads its binary from GitHub in a postinstall, which cannot run here.
// This stand-in lets the SDK load; anything that actually tries to use end-to-end
// encryption gets a clear error instead of a missing-binary crash.
const message = "end-to-end encryption is not available in this meshpilot build";

function unavailable() {
  throw new Error(message);
}

const handler = {
  get(_target, prop) {
    if (prop === "__esModule") return false;
    if (prop === "then") return undefined;
    return new Proxy(unavailable, { construct: unavailable, apply: unavailable, get: handler.get });
  },
};

module.exports = new Proxy({}, handler);
