package io.sieve.topology;

import io.sieve.avro.TrainingBatch;
import io.sieve.config.BatchTopics;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topic;
import io.sieve.config.Topics;
import io.sieve.errors.DeadLetterDeserializationHandler;
import io.sieve.errors.DeadLetterProcessingHandler;
import io.sieve.errors.DeadLetterProductionHandler;
import io.sieve.errors.DeadLetterSender;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The whole topology in a {@link TopologyTestDriver} with an in-memory schema registry, for the
 * topology tests: the configuration every such test shares, typed input and output topics, and a
 * {@link #settle()} that lets the wall-clock punctuations fire.
 */
final class DriverHarness implements AutoCloseable {

  /** The driver's start time: fixed so that runs are repeatable. */
  static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

  private final TopologyTestDriver driver;
  private final Topology topology;
  private final Topics topics;
  private final SieveMetrics metrics = new SieveMetrics();
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final DeadLetterSender sender;

  /**
   * Embedding {@code i} near axis {@code axis}: 1 there, a small deterministic noise (±0.05)
   * elsewhere, so examples near one axis form one clear cluster.
   */
  static List<Float> nearAxis(int axis, int i, int dimension) {
    List<Float> embedding = new ArrayList<>(dimension);
    for (int j = 0; j < dimension; j++) {
      float noise = 0.05f * (((i * 31 + j * 17) % 7) - 3) / 3f;
      embedding.add(j == axis ? 1f : noise);
    }
    return embedding;
  }

  /**
   * The settings every driver test needs (no broker or registry is reached; one partition; at least
   * once, since the driver has no transactions), to which a test adds its own.
   */
  static Map<String, Object> props(String applicationId, Path stateDir) {
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://unused");
    props.put(SieveConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(SieveConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(SieveConfig.TOPIC_PARTITIONS_CONFIG, 1);
    props.put(SieveConfig.PROCESSING_GUARANTEE_CONFIG, "at_least_once");
    return props;
  }

  DriverHarness(Map<String, Object> props) {
    this(props, BatchTopics.ALL_READY, false);
  }

  DriverHarness(Map<String, Object> props, BatchTopics batchTopics) {
    this(props, batchTopics, false);
  }

  DriverHarness(Map<String, Object> props, boolean deadLetterHandlers) {
    this(props, BatchTopics.ALL_READY, deadLetterHandlers);
  }

  /**
   * @param batchTopics which trainers' batch topics the planner may write
   * @param deadLetterHandlers whether Sieve's error handlers are installed, as the service does
   */
  DriverHarness(Map<String, Object> props, BatchTopics batchTopics, boolean deadLetterHandlers) {
    SieveConfig config = new SieveConfig(props);
    AvroSerdes serdes = new AvroSerdes(registry);
    topics = Topics.from(config, serdes);
    Properties streams = config.streamsProperties();
    if (deadLetterHandlers) {
      sender = new DeadLetterSender(config, serdes, metrics);
      streams.put(
          StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
          DeadLetterDeserializationHandler.class);
      streams.put(
          StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
          DeadLetterProcessingHandler.class);
      streams.put(
          StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
          DeadLetterProductionHandler.class);
      streams.put(DeadLetterSender.SENDER_CONFIG, sender);
    } else {
      sender = null;
    }
    topology = SieveTopology.build(config, topics, serdes, metrics, batchTopics);
    driver = new TopologyTestDriver(topology, streams, START);
  }

  /** The registry the harness's serdes register their schemas in. */
  InMemorySchemaRegistry registry() {
    return registry;
  }

  /** The topology the driver runs. */
  Topology topology() {
    return topology;
  }

  TopologyTestDriver driver() {
    return driver;
  }

  Topics topics() {
    return topics;
  }

  SieveMetrics metrics() {
    return metrics;
  }

  <K, V> TestInputTopic<K, V> input(Topic<K, V> topic) {
    return driver.createInputTopic(
        topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
  }

  <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
    return driver.createOutputTopic(
        topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
  }

  /** The batch topic of one trainer. */
  TestOutputTopic<String, TrainingBatch> batches(String trainerId) {
    return driver.createOutputTopic(
        topics.batchTopic(trainerId),
        Serdes.String().deserializer(),
        topics.batchSerde().deserializer());
  }

  /**
   * Lets the wall-clock punctuations run for a while (40 steps of 250 ms): sample flush, bootstrap,
   * model refresh, pool statistics and planning all fire several times.
   */
  void settle() {
    for (int step = 0; step < 40; step++) {
      driver.advanceWallClockTime(Duration.ofMillis(250));
    }
  }

  @Override
  public void close() {
    driver.close();
    if (sender != null) {
      sender.close();
    }
  }
}
