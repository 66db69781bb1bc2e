package io.sieve.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A JVM stopped with SIGTERM closes what its cleanup holds: child processes, work directories. */
class ShutdownCleanupTest {

  @TempDir Path parent;

  /** The JVM under test: a work directory with a file, and a child process; then it waits. */
  public static void main(String[] args) throws Exception {
    ShutdownCleanup cleanup = ShutdownCleanup.install("test-cleanup");
    WorkDir dir = cleanup.add(new WorkDirIn(Path.of(args[0])).create());
    Files.writeString(dir.resolve("data.bin"), "x".repeat(10_000));
    Process child = new ProcessBuilder("sleep", "600").start();
    cleanup.add(child::destroyForcibly);
    System.out.println(child.pid() + " " + dir.path());
    System.out.flush();
    Thread.sleep(600_000);
  }

  /** WorkDir.create under a given parent, so the test sees exactly what was made. */
  private record WorkDirIn(Path parent) {
    WorkDir create() throws Exception {
      String old = System.getProperty("java.io.tmpdir");
      System.setProperty("java.io.tmpdir", parent.toString());
      try {
        return WorkDir.create("cleanup-");
      } finally {
        System.setProperty("java.io.tmpdir", old);
      }
    }
  }

  @Test
  void shouldRemoveTheWorkDirectoryAndStopTheChildOnSigterm() throws Exception {
    // Given a JVM holding a work directory and a child process
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process jvm =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    System.getProperty("java.class.path"),
                    ShutdownCleanupTest.class.getName(),
                    parent.toString()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String line;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
      line = in.readLine();
    }
    assertThat(line).isNotNull();
    long childPid = Long.parseLong(line.substring(0, line.indexOf(' ')));
    Path dir = Path.of(line.substring(line.indexOf(' ') + 1));
    assertThat(dir).exists();
    assertThat(ProcessHandle.of(childPid).map(ProcessHandle::isAlive)).contains(true);

    // When it is stopped with SIGTERM
    jvm.destroy();
    assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();

    // Then its work directory is gone and its child has stopped
    assertThat(dir).doesNotExist();
    ProcessHandle child = ProcessHandle.of(childPid).orElse(null);
    if (child != null) {
      child.onExit().get(30, TimeUnit.SECONDS);
    }
    assertThat(ProcessHandle.of(childPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }
}
