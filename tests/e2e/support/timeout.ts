// Jest 29 ignores testTimeout inside a project; this is how the e2e project gets its 2 min
// (real processes on a machine that may be busy), hooks included, not the default 5 s.
jest.setTimeout(120_000);
