package io.sieve.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** A Sieve instance in a child JVM ({@code sieve run --config FILE}), to be killed or stopped. */
final class SieveProcess implements AutoCloseable {

  private final Process process;
  final Path log;

  private SieveProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static SieveProcess start(Map<String, Object> config, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path configFile = dir.resolve(name + ".properties");
    Properties props = new Properties();
    config.forEach((k, v) -> props.setProperty(k, String.valueOf(v)));
    try (OutputStream out = Files.newOutputStream(configFile)) {
      props.store(out, "Sieve instance " + name);
    }
    Path log = dir.resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.sieve.cli.SieveCli");
    command.add("run");
    command.add("--config");
    command.add(configFile.toString());
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    SieveProcess sieve = new SieveProcess(p, log);
    if (!"false".equals(String.valueOf(config.get("rest.enabled")))) {
      sieve.awaitListening(Duration.ofSeconds(90));
    }
    return sieve;
  }

  /**
   * Waits until the instance serves its REST API (it binds before it starts Kafka Streams), so a
   * process that dies at start (a port taken, a bad setting) fails the test at once, with its log.
   */
  private void awaitListening(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (logText().contains("REST API on")) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Sieve instance exited at start with " + process.exitValue() + ":\n" + logText());
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + log, e);
      }
    }
    throw new IllegalStateException(
        "Sieve instance not listening after " + timeout + ":\n" + logText());
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no commit, no clean close. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the shutdown hook closes Kafka Streams cleanly. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Resident set size in KiB, from /proc. */
  long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** The REST API's base URL, as the instance logged it when it started listening. */
  java.net.URI restUrl() throws IOException {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("REST API on (http://\\S+)").matcher(logText());
    if (!m.find()) {
      throw new IllegalStateException("no REST API line in " + log);
    }
    return java.net.URI.create(m.group(1));
  }

  String logText() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
