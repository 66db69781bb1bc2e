package io.sieve.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A local Apicurio Registry running as a child JVM on a loopback port, serving the
 * Confluent-compatible schema registry API. Its storage is in memory, or an H2 database file when a
 * storage directory is given, so that schema ids outlive a restart (records on a persistent broker
 * carry those ids).
 *
 * <p>The server is the uber-jar built by the {@code registry-server} module ({@code
 * registry-server/target/sieve-registry-server-<version>-runner.jar}). Callers own the returned
 * instance and must {@link #close()} it; no shutdown hook is registered.
 */
public final class RegistryServer implements AutoCloseable {

  /** System property naming the directory that holds the server's runner jar. */
  public static final String DIR_PROPERTY = "sieve.registry.server.dir";

  /** Environment variable naming the directory that holds the server's runner jar. */
  public static final String DIR_ENV = "SIEVE_REGISTRY_SERVER_DIR";

  /** Path of the Confluent-compatible API under the server's root. */
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private static final String RUNNER_JAR_SUFFIX = "-runner.jar";
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final int LOG_TAIL_LINES = 30;
  private static final int START_ATTEMPTS = 3;
  private static final String PID_FILE = "server.pid";

  private final Process process;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RegistryServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts the registry built in {@code registry-server/} as a child JVM on a free 127.0.0.1 port,
   * waits until it is ready (bounded), and sets the global compatibility level to BACKWARD.
   *
   * @param serverDir the directory holding the server's {@code *-runner.jar}, e.g. {@link
   *     #locate()}
   * @param logFile where the child's stdout and stderr go (truncated first)
   * @throws IOException if the server cannot be launched, dies, or is not ready in time; the
   *     message includes the tail of the log file
   */
  public static RegistryServer start(Path serverDir, Path logFile)
      throws IOException, InterruptedException {
    return start(serverDir, logFile, 0);
  }

  /**
   * As {@link #start(Path, Path)}, on the given port (0: a free one). A fixed port lets a client
   * that was configured before the registry came up find it.
   */
  public static RegistryServer start(Path serverDir, Path logFile, int fixedPort)
      throws IOException, InterruptedException {
    return start(serverDir, logFile, fixedPort, null);
  }

  /**
   * As {@link #start(Path, Path, int)}, keeping the schemas in an H2 database file under storageDir
   * (null: in memory), so that a server started again on the same directory serves the same
   * subjects under the same ids.
   */
  public static RegistryServer start(Path serverDir, Path logFile, int fixedPort, Path storageDir)
      throws IOException, InterruptedException {
    Path jar = runnerJar(serverDir);
    if (jar == null) {
      throw new IOException(
          "No *"
              + RUNNER_JAR_SUFFIX
              + " in "
              + serverDir.toAbsolutePath()
              + "; run `mvn -pl registry-server package` first");
    }
    Path log = logFile.toAbsolutePath();
    if (log.getParent() != null) {
      Files.createDirectories(log.getParent());
    }
    Files.write(log, new byte[0]);

    if (storageDir != null) {
      stopOrphan(storageDir);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    for (int attempt = 1; ; attempt++) {
      int port = fixedPort > 0 ? fixedPort : freePort();
      Process process = launch(jar, port, log, storageDir);
      if (storageDir != null) {
        Files.writeString(storageDir.resolve(PID_FILE), Long.toString(process.pid()));
      }
      RegistryServer server = new RegistryServer(process, port);
      try {
        server.awaitReady(http, log);
        server.setGlobalCompatibility(http, "BACKWARD");
        return server;
      } catch (PortTakenException e) {
        // Another process grabbed the port between probing and binding: try another one.
        server.close();
        if (fixedPort > 0 || attempt >= START_ATTEMPTS) {
          throw new IOException(e.getMessage(), e);
        }
      } catch (IOException | InterruptedException | RuntimeException | Error e) {
        server.close();
        throw e;
      }
    }
  }

  /**
   * Finds the server build: the system property {@value #DIR_PROPERTY}, else the environment
   * variable {@value #DIR_ENV}, else {@code ./registry-server/target} and then {@code
   * ../registry-server/target} relative to the working directory. A directory qualifies if it holds
   * a {@code *-runner.jar}.
   *
   * @throws IllegalStateException naming the paths tried, if none qualifies
   */
  public static Path locate() {
    List<Path> candidates = new ArrayList<>();
    String property = System.getProperty(DIR_PROPERTY);
    String env = System.getenv(DIR_ENV);
    if (property != null && !property.isBlank()) {
      candidates.add(Path.of(property));
    } else if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    } else {
      candidates.add(Path.of("registry-server", "target"));
      candidates.add(Path.of("..", "registry-server", "target"));
    }
    List<String> tried = new ArrayList<>();
    for (Path candidate : candidates) {
      Path dir = candidate.toAbsolutePath().normalize();
      tried.add(dir.toString());
      try {
        if (runnerJar(dir) != null) {
          return dir;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot list " + dir, e);
      }
    }
    throw new IllegalStateException(
        "No schema registry server build (*"
            + RUNNER_JAR_SUFFIX
            + ") found; tried "
            + String.join(", ", tried)
            + " (set -D"
            + DIR_PROPERTY
            + " or "
            + DIR_ENV
            + " to choose another directory). Run `mvn -pl registry-server package` to build it.");
  }

  /** The Confluent-compatible API base, e.g. {@code http://127.0.0.1:PORT/apis/ccompat/v7}. */
  public String url() {
    return "http://127.0.0.1:" + port + CCOMPAT_PATH;
  }

  /** The loopback port the server listens on. */
  public int port() {
    return port;
  }

  /** The child process's id. */
  public long pid() {
    return process.pid();
  }

  /** Stops the server: asks it to terminate, waits up to 20 s, then kills it. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops a server left running on this storage by a parent that was killed (SIGKILL leaves no time
   * to stop the child): it would hold the database file, and the new server could not open it. Only
   * a process whose command line names this storage is stopped.
   */
  public static void stopOrphan(Path storageDir) throws IOException, InterruptedException {
    Path pidFile = storageDir.resolve(PID_FILE);
    if (!Files.isRegularFile(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).trim());
    } catch (NumberFormatException e) {
      return;
    }
    String marker = "jdbc:h2:file:" + storageDir.toAbsolutePath().resolve("registry");
    ProcessHandle orphan = ProcessHandle.of(pid).orElse(null);
    if (orphan == null
        || !orphan.isAlive()
        || !orphan.info().commandLine().map(c -> c.contains(marker)).orElse(false)) {
      return;
    }
    orphan.destroy();
    try {
      orphan.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      orphan.destroyForcibly();
    }
  }

  private static Path runnerJar(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> jars =
          files
              .filter(p -> p.getFileName().toString().endsWith(RUNNER_JAR_SUFFIX))
              .filter(Files::isRegularFile)
              .sorted()
              .toList();
      if (jars.size() > 1) {
        throw new IOException("More than one *" + RUNNER_JAR_SUFFIX + " in " + dir + ": " + jars);
      }
      return jars.isEmpty() ? null : jars.get(0);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    }
  }

  private static Process launch(Path jar, int port, Path log, Path storageDir) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            java.toString(),
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dquarkus.http.host=127.0.0.1",
            "-Dquarkus.http.port=" + port,
            "-Dquarkus.log.console.color=false"));
    if (storageDir != null) {
      Files.createDirectories(storageDir);
      // the registry's own SQL storage on a file instead of its default in-memory database; it
      // creates the tables on first start and finds them on the next
      command.add(
          "-Dquarkus.datasource.jdbc.url=jdbc:h2:file:"
              + storageDir.toAbsolutePath().resolve("registry"));
    }
    command.addAll(List.of("-jar", jar.toString()));
    return new ProcessBuilder(command)
        .directory(jar.getParent().toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .start();
  }

  private void awaitReady(HttpClient http, Path log) throws IOException, InterruptedException {
    URI ready = URI.create("http://127.0.0.1:" + port + "/health/ready");
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        String tail = tail(log);
        String message =
            "Schema registry exited with code "
                + process.exitValue()
                + " before it was ready on port "
                + port
                + "; last lines of "
                + log
                + ":\n"
                + tail;
        if (tail.contains("Port already bound") || tail.contains("Address already in use")) {
          throw new PortTakenException(message);
        }
        throw new IOException(message);
      }
      try {
        HttpResponse<Void> response =
            http.send(
                HttpRequest.newBuilder(ready).timeout(REQUEST_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "Schema registry (pid "
                + process.pid()
                + ") not ready on port "
                + port
                + " within "
                + READY_TIMEOUT.toSeconds()
                + " s; last lines of "
                + log
                + ":\n"
                + tail(log));
      }
      Thread.sleep(POLL_INTERVAL.toMillis());
    }
  }

  private void setGlobalCompatibility(HttpClient http, String level)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url() + "/config"))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", CONTENT_TYPE)
            .header("Accept", CONTENT_TYPE)
            .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}"))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 || !response.body().contains(level)) {
      throw new IOException(
          "Setting global compatibility to "
              + level
              + " failed: HTTP "
              + response.statusCode()
              + " "
              + response.body());
    }
  }

  private static String tail(Path log) {
    String text;
    try {
      // decoded leniently: a log may hold bytes that are not UTF-8
      text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
    Deque<String> lines = new ArrayDeque<>();
    text.lines()
        .forEach(
            line -> {
              lines.addLast(line);
              if (lines.size() > LOG_TAIL_LINES) {
                lines.removeFirst();
              }
            });
    return String.join("\n", lines);
  }

  /** The child could not bind its port: another process took it after it was probed free. */
  private static final class PortTakenException extends IOException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String message) {
      super(message);
    }
  }
}
