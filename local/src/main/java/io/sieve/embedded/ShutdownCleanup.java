package io.sieve.embedded;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a local stack's parts, last added first, when it is closed or when the JVM is stopped
 * (SIGTERM, Ctrl-C). A stopped JVM runs shutdown hooks but not the {@code finally} blocks of its
 * running threads: without this, a demo stopped with SIGTERM would leave its registry process
 * running and its work directory (broker logs, state stores: gigabytes) behind.
 */
public final class ShutdownCleanup implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ShutdownCleanup.class);

  private final Deque<AutoCloseable> parts = new ArrayDeque<>();
  private final Thread hook;
  private boolean closed;

  private ShutdownCleanup(String name) {
    this.hook = new Thread(this::closeAll, name);
  }

  /** A cleanup whose parts are also closed if the JVM is stopped first. */
  public static ShutdownCleanup install(String name) {
    ShutdownCleanup cleanup = new ShutdownCleanup(name);
    Runtime.getRuntime().addShutdownHook(cleanup.hook);
    return cleanup;
  }

  /** Adds a part, to be closed before every part added earlier; returns it. */
  public synchronized <T extends AutoCloseable> T add(T part) {
    if (closed) {
      closeQuietly(part);
      throw new IllegalStateException("shutting down");
    }
    parts.push(part);
    return part;
  }

  @Override
  public void close() {
    closeAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook has run or is running
    }
  }

  private synchronized void closeAll() {
    if (closed) {
      return;
    }
    closed = true;
    while (!parts.isEmpty()) {
      closeQuietly(parts.pop());
    }
  }

  private static void closeQuietly(AutoCloseable part) {
    try {
      part.close();
    } catch (Exception e) {
      LOG.warn("could not close {}", part, e);
    }
  }
}
