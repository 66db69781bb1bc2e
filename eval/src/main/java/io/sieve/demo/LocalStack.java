package io.sieve.demo;

import io.sieve.app.SieveService;
import io.sieve.config.SieveConfig;
import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker, a schema registry and a Sieve service on loopback, all kept under one directory: what
 * {@code sieve demo} runs on a temporary directory and {@code sieve local} on a persistent one.
 *
 * <p>Layout: {@code kafka/} (the broker's log dirs), {@code state/} (Kafka Streams state), {@code
 * registry/} (the registry's database, when persistent) and {@code logs/registry.log}. Started
 * again on the same directory, the broker and the registry find their data (the same topics,
 * offsets and schema ids) and the service restores its stores from state and changelogs.
 */
public final class LocalStack implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

  /** Where the ports of the last start are kept, to ask for the same ones next time. */
  public static final String PORTS_FILE = "ports.properties";

  /** Loopback ports of the stack; 0 means any free port. */
  public record Ports(int broker, int controller, int registry, int rest) {

    public static final Ports ANY = new Ports(0, 0, 0, 0);

    /** The ports saved in dir by {@link #save}, or {@link #ANY} when there are none. */
    public static Ports load(Path dir) throws IOException {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(dir.resolve(PORTS_FILE))) {
        p.load(in);
      } catch (NoSuchFileException e) {
        return ANY;
      }
      return new Ports(
          port(p, "broker"), port(p, "controller"), port(p, "registry"), port(p, "rest"));
    }

    private static int port(Properties p, String key) {
      try {
        int port = Integer.parseInt(p.getProperty(key, "0").trim());
        return port > 0 && port < 65536 ? port : 0;
      } catch (NumberFormatException e) {
        // a hand-edited file: any free port will do
        return 0;
      }
    }

    public void save(Path dir) throws IOException {
      Properties p = new Properties();
      p.setProperty("broker", Integer.toString(broker));
      p.setProperty("controller", Integer.toString(controller));
      p.setProperty("registry", Integer.toString(registry));
      p.setProperty("rest", Integer.toString(rest));
      try (OutputStream out = Files.newOutputStream(dir.resolve(PORTS_FILE))) {
        p.store(
            out, "ports of the last `sieve local` on this directory, asked for again next time");
      }
    }
  }

  private final EmbeddedKafka kafka;
  private final RegistryServer registry;
  private final SieveService service;

  private LocalStack(EmbeddedKafka kafka, RegistryServer registry, SieveService service) {
    this.kafka = kafka;
    this.registry = registry;
    this.service = service;
  }

  /**
   * Starts the broker, the registry and the service under dir and waits until the service runs.
   *
   * @param persistent keep the registry's schemas in a database file under dir (else in memory)
   * @param preferred ports to ask for (taken only when free)
   * @param settings Sieve settings; the addresses, the state directory and the REST port are the
   *     stack's own
   */
  public static LocalStack start(
      Path dir,
      boolean persistent,
      Ports preferred,
      Map<String, Object> settings,
      Duration runningTimeout)
      throws Exception {
    EmbeddedKafka kafka =
        EmbeddedKafka.start(
            dir.resolve("kafka"), Map.of(), preferred.broker(), preferred.controller());
    RegistryServer registry = null;
    SieveService service = null;
    try {
      Path registryLog = dir.resolve("logs").resolve("registry.log");
      if (persistent) {
        // a registry left by a killed run holds its old port and the database: stop it first
        RegistryServer.stopOrphan(dir.resolve("registry"));
      }
      int registryPort =
          preferred.registry() > 0 && isFree(preferred.registry()) ? preferred.registry() : 0;
      registry =
          RegistryServer.start(
              RegistryServer.locate(),
              registryLog,
              registryPort,
              persistent ? dir.resolve("registry") : null);
      Map<String, Object> props = new LinkedHashMap<>(settings);
      props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
      props.put(SieveConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
      props.put(SieveConfig.REST_ENABLED_CONFIG, true);
      props.put(
          SieveConfig.REST_PORT_CONFIG,
          preferred.rest() > 0 && isFree(preferred.rest()) ? preferred.rest() : 0);
      service = new SieveService(new SieveConfig(props)).start();
      if (!service.awaitRunning(runningTimeout)) {
        throw new IllegalStateException(
            "Sieve did not reach RUNNING within " + runningTimeout.toSeconds() + " s");
      }
      return new LocalStack(kafka, registry, service);
    } catch (Exception | Error e) {
      closeAll(service, registry, kafka);
      throw e;
    }
  }

  private static boolean isFree(int port) {
    // as the servers bind: with SO_REUSEADDR, so that connections of the last run in TIME_WAIT
    // do not count as the port being taken
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return socket.isBound();
    } catch (IOException e) {
      return false;
    }
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public RegistryServer registry() {
    return registry;
  }

  public SieveService service() {
    return service;
  }

  /** The ports the stack runs on now. */
  public Ports ports() {
    return new Ports(
        kafka.port(),
        kafka.controllerPort(),
        registry.port(),
        service.restUrl() == null ? 0 : service.restUrl().getPort());
  }

  /** Stops the service first (it commits its offsets and flushes its state), then the rest. */
  @Override
  public void close() {
    closeAll(service, registry, kafka);
  }

  private static void closeAll(SieveService service, RegistryServer registry, EmbeddedKafka kafka) {
    for (AutoCloseable c : new AutoCloseable[] {service, registry, kafka}) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception | Error e) {
        // one part failing to stop must not leave the others running
        LOG.warn("stopping {} failed", c.getClass().getSimpleName(), e);
      }
    }
  }
}
