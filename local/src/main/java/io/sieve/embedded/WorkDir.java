package io.sieve.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary directory for a local stack (broker data, registry log, state directories) that is
 * deleted with everything in it on {@link #close}: the demo, the benchmarks and the quality run
 * leave nothing behind.
 */
public final class WorkDir implements AutoCloseable {

  private final Path path;

  private WorkDir(Path path) {
    this.path = path;
  }

  /** A new directory under the system's temporary directory, its name starting with prefix. */
  public static WorkDir create(String prefix) throws IOException {
    return new WorkDir(Files.createTempDirectory(prefix));
  }

  public Path path() {
    return path;
  }

  public Path resolve(String other) {
    return path.resolve(other);
  }

  /** Deletes the tree, deepest first; best effort, since it is a temporary directory. */
  @Override
  public void close() {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(path)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // what is left is under the temporary directory
    }
  }
}
