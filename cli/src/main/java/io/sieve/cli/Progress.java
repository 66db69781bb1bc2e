package io.sieve.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, a plain count line
 * now and then otherwise (so logs and CI output stay readable).
 */
final class Progress {

  private static final int WIDTH = 30;
  private static final long TERMINAL_EVERY_NANOS = 100_000_000L;
  private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

  private final PrintWriter err;
  private final boolean terminal;
  private final long total;
  private long lastDraw = System.nanoTime();

  /**
   * @param total the number of items expected, or 0 when unknown
   */
  Progress(PrintWriter err, boolean terminal, long total) {
    this.err = err;
    this.terminal = terminal;
    this.total = total;
  }

  /**
   * Whether the command runs on a terminal. Java 17 has no test for stderr alone; {@code
   * System.console()} is null as soon as stdin or stdout is redirected, which covers pipes, files
   * and CI.
   */
  static boolean onTerminal() {
    return System.console() != null;
  }

  void update(long done, long rejected) {
    long now = System.nanoTime();
    if (now - lastDraw < (terminal ? TERMINAL_EVERY_NANOS : PLAIN_EVERY_NANOS)) {
      return;
    }
    lastDraw = now;
    draw(done, rejected);
  }

  void finish(long done, long rejected) {
    draw(done, rejected);
    if (terminal) {
      err.print('\n');
      err.flush();
    }
  }

  private void draw(long done, long rejected) {
    if (terminal && total > 0) {
      int filled = (int) Math.min(WIDTH, WIDTH * done / total);
      err.printf(
          Locale.ROOT,
          "\r[%s%s] %3d%% %,d/%,d lines, %,d rejected",
          "#".repeat(filled),
          " ".repeat(WIDTH - filled),
          100 * done / total,
          done,
          total,
          rejected);
    } else if (terminal) {
      err.printf(Locale.ROOT, "\r%,d lines, %,d rejected", done, rejected);
    } else {
      err.printf(Locale.ROOT, "%d lines read, %d rejected%n", done, rejected);
    }
    err.flush();
  }
}
