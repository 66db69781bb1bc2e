package io.sieve.it;

import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real broker (in-process KRaft on 127.0.0.1) and a real schema registry (child process) for one
 * integration test class, started together and closed together (registry first).
 */
public final class ItStack implements AutoCloseable {

  private final EmbeddedKafka kafka;
  private final RegistryServer registry;

  private ItStack(EmbeddedKafka kafka, RegistryServer registry) {
    this.kafka = kafka;
    this.registry = registry;
  }

  /**
   * Starts both; the broker's data in {@code kafkaDir} (null: a temporary directory), the
   * registry's output in {@code registryLog}. If the registry fails to start, the broker is closed
   * again so that no class leaves a broker running behind it.
   */
  public static ItStack start(Path kafkaDir, Path registryLog) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir, Map.of());
    try {
      return new ItStack(kafka, RegistryServer.start(RegistryServer.locate(), registryLog));
    } catch (Exception | Error e) {
      kafka.close();
      throw e;
    }
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public RegistryServer registry() {
    return registry;
  }

  /** Closes a stack that may not have started (an {@code @AfterAll} after a failed start). */
  public static void close(ItStack stack) {
    if (stack != null) {
      stack.close();
    }
  }

  @Override
  public void close() {
    registry.close();
    kafka.close();
  }
}
