import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The end-to-end files take 1.5–2.5 minutes each, on about one core: they start first. Vitest
 * orders by the durations it cached, else by file size, and boot-debian12.test.ts is four lines:
 * a fresh clone (CI) ran it last and took ~20 s longer than a warm run.
 */
const FIRST = ["test/e2e/boot-debian12.test.ts", "test/e2e/azure.test.ts", "test/e2e/boot-debian13.test.ts"];
class EndToEndFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? FIRST.length : i;
    };
    // Array sort is stable: the rest keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

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
    sequence: { sequencer: EndToEndFirst },
    expect: {
      // A test that asserts nothing fails.
      requireAssertions: true,
      // expect.poll waits for an event, not for a duration: its limit only guards a hang,
      // so it is far beyond what a loaded two-core machine needs.
      poll: { timeout: 60_000 },
    },
  },
});
