package io.sieve.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node, in-process Kafka KRaft broker (combined broker and controller) for the demo and
 * integration tests.
 *
 * <p>Every listener is bound to {@code 127.0.0.1} only, on free ports picked at start. The node is
 * configured for single-node use (replication factor 1 for the internal topics), so transactions
 * and exactly-once processing work on it. Topics are never auto-created; use {@link
 * #createTopic(String, int, Map)}.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  /** The only address any listener of the embedded broker binds to. */
  public static final String HOST = "127.0.0.1";

  private static final int NODE_ID = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final int START_ATTEMPTS = 3;

  private KafkaRaftServer server;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final String bootstrapServers;
  private final int controllerPort;
  private boolean closed;

  private EmbeddedKafka(
      KafkaRaftServer server,
      Path dataDir,
      boolean ownsDataDir,
      String bootstrapServers,
      int controllerPort) {
    this.server = server;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.bootstrapServers = bootstrapServers;
    this.controllerPort = controllerPort;
  }

  /**
   * Starts a single-node KRaft broker; dataDir null means a fresh temp dir deleted on close.
   * overrides are extra broker properties.
   */
  public static EmbeddedKafka start(Path dataDir, Map<String, String> overrides) throws Exception {
    return start(dataDir, overrides, 0, 0);
  }

  /**
   * As {@link #start(Path, Map)}, on the given broker and controller ports when both are free, else
   * on free ones: a broker started again on its data dir keeps its address when it can, so that
   * clients configured for it need no change. 0 means any free port.
   */
  public static EmbeddedKafka start(
      Path dataDir, Map<String, String> overrides, int brokerPort, int controllerPort)
      throws Exception {
    boolean ownsDataDir = dataDir == null;
    Path dir = ownsDataDir ? Files.createTempDirectory("sieve-kafka-") : dataDir;
    Files.createDirectories(dir);
    Map<String, String> extra = overrides == null ? Map.of() : overrides;
    try {
      Exception last = null;
      // The free ports are picked before the broker binds them, so another process may take one in
      // between; retry with fresh ports in that (rare) case.
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        try {
          boolean preferred =
              attempt == 1
                  && brokerPort > 0
                  && controllerPort > 0
                  && brokerPort != controllerPort
                  && isFree(brokerPort)
                  && isFree(controllerPort);
          return preferred
              ? startOnce(dir, ownsDataDir, extra, brokerPort, controllerPort)
              : startOnce(dir, ownsDataDir, extra, 0, 0);
        } catch (PortInUseException e) {
          last = e;
          LOG.warn("Embedded Kafka port clash on attempt {}; retrying with new ports", attempt);
        }
      }
      throw last;
    } catch (Exception | Error e) {
      if (ownsDataDir) {
        deleteQuietly(dir);
      }
      throw e;
    }
  }

  private static EmbeddedKafka startOnce(
      Path dir,
      boolean ownsDataDir,
      Map<String, String> extra,
      int fixedBroker,
      int fixedController)
      throws Exception {
    long startNanos = System.nanoTime();
    int brokerPort = fixedBroker > 0 ? fixedBroker : freePort();
    int controllerPort = fixedController > 0 ? fixedController : freePort();
    while (controllerPort == brokerPort) {
      controllerPort = freePort();
    }
    Properties props = brokerProperties(dir, brokerPort, controllerPort, extra);
    Path configFile = dir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(configFile)) {
      props.store(out, "Sieve embedded Kafka broker");
    }

    format(configFile, clusterId(dir));

    KafkaConfig config = KafkaConfig.fromProps(props, false);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      server.startup();
    } catch (Throwable t) {
      shutdownQuietly(server);
      if (isBindFailure(t)) {
        throw new PortInUseException(t);
      }
      throw t;
    }

    String bootstrap = HOST + ":" + brokerPort;
    EmbeddedKafka kafka = new EmbeddedKafka(server, dir, ownsDataDir, bootstrap, controllerPort);
    try {
      kafka.awaitReady();
    } catch (Exception | Error e) {
      shutdownQuietly(server);
      throw e;
    }
    LOG.info(
        "Embedded Kafka started on {} in {} ms (data dir {})",
        bootstrap,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
        dir);
    return kafka;
  }

  static Properties brokerProperties(
      Path dir, int brokerPort, int controllerPort, Map<String, String> overrides) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.resolve("logs").toAbsolutePath().toString());

    // single-node settings
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("share.coordinator.state.topic.num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");

    // keep the thread count modest; this is a test/demo broker
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("num.recovery.threads.per.data.dir", "1");
    p.put("log.cleaner.threads", "1");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));

    p.putAll(overrides);
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }

  /**
   * The cluster id to format with: the one already recorded in the log dir when the data dir is
   * being reused (the formatter rejects a mismatch even with --ignore-formatted), else a new one.
   */
  private static String clusterId(Path dir) throws IOException {
    Path meta = dir.resolve("logs").resolve("meta.properties");
    if (Files.isRegularFile(meta)) {
      Properties existing = new Properties();
      try (InputStream in = Files.newInputStream(meta)) {
        existing.load(in);
      }
      String id = existing.getProperty("cluster.id");
      if (id != null && !id.isBlank()) {
        return id.trim();
      }
    }
    return Uuid.randomUuid().toString();
  }

  /** Formats the storage directories (a no-op for directories that are already formatted). */
  private static void format(Path configFile, String clusterId) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int rc;
    try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      rc =
          StorageTool.execute(
              new String[] {
                "format",
                "--cluster-id",
                clusterId,
                "--config",
                configFile.toAbsolutePath().toString(),
                "--ignore-formatted"
              },
              out);
    }
    String output = buffer.toString(StandardCharsets.UTF_8).trim();
    if (rc != 0) {
      throw new IllegalStateException(
          "Formatting the embedded Kafka storage failed (exit code " + rc + "): " + output);
    }
    LOG.debug("Embedded Kafka storage format: {}", output);
  }

  private void awaitReady() throws Exception {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Exception lastError = null;
    try (Admin admin = newAdmin()) {
      while (System.nanoTime() < deadline) {
        try {
          Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          if (!nodes.isEmpty()) {
            return;
          }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          lastError = e;
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException(
        "Embedded Kafka broker at "
            + bootstrapServers
            + " did not answer describeCluster within "
            + READY_TIMEOUT.toSeconds()
            + " s",
        lastError);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The port of the broker's client listener. */
  public int port() {
    return Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
  }

  /** The port of the controller listener (KRaft), which no client uses. */
  public int controllerPort() {
    return controllerPort;
  }

  /** The storage directory of this broker. */
  public Path dataDir() {
    return dataDir;
  }

  /** Creates topics (idempotent: existing topics are left alone) with the admin client. */
  public void createTopic(String name, int partitions, Map<String, String> configs)
      throws Exception {
    NewTopic topic = new NewTopic(name, partitions, (short) 1);
    if (configs != null && !configs.isEmpty()) {
      topic.configs(configs);
    }
    try (Admin admin = newAdmin()) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      if (existing.contains(name)) {
        return;
      }
      try {
        admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  /** A new admin client for this broker; the caller closes it. */
  public Admin newAdmin() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    return Admin.create(config);
  }

  /**
   * Stops the broker and starts it again on the same ports and data, as a broker restart in
   * production would: clients keep their bootstrap address and reconnect.
   */
  public synchronized void restart(Duration down) throws Exception {
    if (closed) {
      throw new IllegalStateException("the broker is closed");
    }
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(dataDir.resolve("server.properties"))) {
      props.load(in);
    }
    shutdownQuietly(server);
    LOG.info("Embedded Kafka on {} stopped for a restart", bootstrapServers);
    Thread.sleep(down.toMillis());
    server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    awaitReady();
    LOG.info("Embedded Kafka on {} restarted", bootstrapServers);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long startNanos = System.nanoTime();
    shutdownQuietly(server);
    LOG.info(
        "Embedded Kafka on {} stopped in {} ms",
        bootstrapServers,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    if (ownsDataDir) {
      deleteQuietly(dataDir);
    }
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (Throwable t) {
      LOG.warn("Error while shutting down the embedded Kafka broker", t);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      Utils.delete(dir.toFile());
    } catch (IOException e) {
      LOG.warn("Could not delete embedded Kafka data dir {}", dir, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static boolean isFree(int port) {
    // as the broker binds: with SO_REUSEADDR, so that connections of its last run in TIME_WAIT
    // do not count as the port being taken
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isBindFailure(Throwable t) {
    List<Throwable> seen = new ArrayList<>();
    for (Throwable c = t; c != null && !seen.contains(c); c = c.getCause()) {
      seen.add(c);
      if (c instanceof java.net.BindException) {
        return true;
      }
      String message = c.getMessage();
      if (message != null && message.contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  private static final class PortInUseException extends Exception {
    private static final long serialVersionUID = 1L;

    PortInUseException(Throwable cause) {
      super("An embedded Kafka port was already in use", cause);
    }
  }
}
