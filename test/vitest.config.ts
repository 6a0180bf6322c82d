import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/**/*.test.ts"],
    // Limits guard against hangs only: a loaded two-core machine runs some files 5x slower.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Three on two cores: the end-to-end tiers wait on apt, sshd and booting machines (with two
    // workers the cores were idle a third of the run); measured 268 s with two, 250 s with three.
    maxWorkers: 3,
    expect: {
      // A test that asserts nothing fails.
      requireAssertions: true,
      // expect.poll waits for an event, not for a duration: its limit only guards a hang,
      // so it is far beyond what a loaded two-core machine needs.
      poll: { timeout: 60_000 },
    },
  },
});
