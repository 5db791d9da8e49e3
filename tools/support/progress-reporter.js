// A jest reporter that never leaves the output silent for long: when nothing
// has finished for HEARTBEAT_MS, it says which test files are still running
// and for how long (long end-to-end or Helm suites otherwise look like a hang),
// and it prints each test that took more than SLOW_MS as it finishes.
const HEARTBEAT_MS = 15_000;
const SLOW_MS = 5_000;

class ProgressReporter {
  constructor() {
    /** @type {Map<string, number>} test file → start time */
    this.running = new Map();
    this.last = Date.now();
    this.timer = undefined;
  }

  /** @param {string} line */
  say(line) {
    this.last = Date.now();
    process.stderr.write(`${line}\n`);
  }

  onRunStart() {
    this.timer = setInterval(() => {
      if (Date.now() - this.last < HEARTBEAT_MS || this.running.size === 0) return;
      const now = Date.now();
      const files = [...this.running].map(
        ([file, since]) =>
          `${file.replace(`${process.cwd()}/`, '')} (${Math.round((now - since) / 1000)} s)`,
      );
      this.say(`… still running: ${files.join(', ')}`);
    }, 1_000);
    this.timer.unref();
  }

  onTestFileStart(test) {
    this.running.set(test.path, Date.now());
  }

  onTestCaseResult(test, result) {
    if ((result.duration ?? 0) < SLOW_MS) return;
    const mark = result.status === 'passed' ? '✓' : result.status === 'failed' ? '✕' : '○';
    this.say(`  ${mark} ${result.fullName} (${(result.duration / 1000).toFixed(1)} s)`);
  }

  onTestFileResult(test) {
    this.running.delete(test.path);
    this.last = Date.now();
  }

  onRunComplete() {
    clearInterval(this.timer);
  }
}

module.exports = ProgressReporter;
