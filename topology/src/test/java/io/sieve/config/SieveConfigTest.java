package io.sieve.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class SieveConfigTest {

  private static final String SECRET = "alice:s3cr3t-Pa55";

  private static Map<String, Object> required() {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", "broker:9092");
    props.put("schema.registry.url", "http://registry:8081");
    return props;
  }

  @Test
  void everyDefaultIsPinned() {
    // Given the defaults the service documents
    Map<String, Object> expected = new TreeMap<>();
    expected.put("application.id", "sieve");
    expected.put("schema.registry.basic.auth.user.info", null);
    expected.put("state.dir", System.getProperty("java.io.tmpdir") + "/sieve-state");
    expected.put("topic.examples", "sieve.examples");
    expected.put("topic.trainers", "sieve.trainers");
    expected.put("topic.feedback", "sieve.feedback");
    expected.put("topic.trainer.controls", "sieve.trainer-controls");
    expected.put("topic.dead.letters", "sieve.dead-letters");
    expected.put("topic.centroids", "sieve.centroids");
    expected.put("topic.cluster.stats", "sieve.cluster-stats");
    expected.put("topic.manifests", "sieve.manifests");
    expected.put("manifests.retention.ms", 2_592_000_000L);
    expected.put("topic.batches.prefix", "sieve.batches.");
    expected.put("topic.partitions", 3);
    expected.put("topic.replication.factor", (short) 1);
    expected.put("embedding.dimension", 384);
    expected.put("dedup.enabled", true);
    expected.put("dedup.retention.ms", 604_800_000L);
    expected.put("dedup.scope", "global");
    expected.put("cluster.k.init", 16);
    expected.put("cluster.bootstrap.size", 512);
    expected.put("cluster.half.life", 100_000.0);
    expected.put("cluster.update.interval.ms", 1000L);
    expected.put("cluster.seed", 42L);
    expected.put("pool.capacity.per.cluster", 10_000);
    expected.put("planner.interval.ms", 200L);
    expected.put("batch.assembly.timeout.ms", 30_000L);
    expected.put("batch.lease.ms", 900_000L);
    expected.put("batch.stage", -1);
    expected.put("batch.max.bytes", 8 * 1024 * 1024);
    expected.put("stats.publish.interval.ms", 500L);
    expected.put("processing.guarantee", "exactly_once_v2");
    expected.put("num.standby.replicas", 0);
    expected.put("num.stream.threads", 0);
    expected.put("rocksdb.memory.bytes", 256L * 1024 * 1024);
    expected.put("rest.enabled", false);
    expected.put("rest.host", "127.0.0.1");
    expected.put("rest.port", 7070);
    expected.put("rest.token", null);
    expected.put("rest.query.timeout.ms", 2000L);
    expected.put("trainer.recent.batches", 20);
    expected.put("cluster.spawn.distance", 0.9);
    expected.put("cluster.k.max", 256);
    expected.put("cluster.model.max.bytes", 8 * 1024 * 1024);
    expected.put("dedup.near.epsilon", 0.01);
    expected.put("dedup.near.epsilon.text", null);
    expected.put("dedup.near.policy", "drop");
    expected.put("dedup.near.window", 256);
    expected.put("pool.eviction", "reservoir");
    expected.put("embedder", "hashing");
    expected.put("decode.max.collection.items", 4_194_304);
    expected.put("example.max.id.length", 256);
    expected.put("example.max.text.bytes", 1_048_576);
    expected.put("example.max.groups", 32);
    expected.put("example.max.group.key.length", 64);
    expected.put("example.max.group.value.length", 256);
    expected.put("feedback.max.abs.loss", 1e6);
    expected.put("rest.probe.port", -1);
    expected.put("rest.read.timeout.ms", 10_000L);
    expected.put("health.thread.failures", 3);
    expected.put("health.window.ms", 300_000L);
    expected.put("health.stall.ms", 60_000L);

    // When the definition is read
    Map<String, Object> actual = new TreeMap<>();
    for (ConfigDef.ConfigKey key : SieveConfig.configDef().configKeys().values()) {
      if (key.hasDefault()) {
        actual.put(key.name, key.defaultValue);
      }
    }

    // Then every key with a default has exactly the documented one
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
    // and a parsed config without overrides carries the same values
    SieveConfig config = new SieveConfig(required());
    expected.forEach(
        (name, value) -> {
          if (value != null) {
            assertThat(config.values().get(name)).as(name).isEqualTo(value);
          }
        });
  }

  @Test
  void sizesStreamThreadsToTheMachineAndBoundsRocksDb() {
    // Given no thread count and no RocksDB budget
    SieveConfig defaults = new SieveConfig(required());

    // Then there is one stream thread per available processor, and every store shares the
    // bounded RocksDB memory of the documented default
    java.util.Properties p = defaults.streamsProperties();
    assertThat(p.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG))
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(p.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(io.sieve.stream.BoundedRocksDbConfig.class);
    assertThat(p.get("rocksdb.memory.bytes")).isEqualTo(256L * 1024 * 1024);
    assertThat(new StreamsConfig(p).getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG))
        .isEqualTo(Runtime.getRuntime().availableProcessors());

    // and both can be set
    Map<String, Object> props = required();
    props.put("num.stream.threads", 3);
    props.put("rocksdb.memory.bytes", 64L * 1024 * 1024);
    java.util.Properties set = new SieveConfig(props).streamsProperties();
    assertThat(set.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(3);
    assertThat(set.get("rocksdb.memory.bytes")).isEqualTo(64L * 1024 * 1024);

    // and a budget below 1 MiB is refused
    props.put("rocksdb.memory.bytes", 1000L);
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rocksdb.memory.bytes");
  }

  @Test
  void refusesAKMaxWhoseModelWouldNotFitItsRecord() {
    // Given 384-dimensional embeddings and centroid models of at most 1 MiB
    Map<String, Object> props = required();
    props.put("embedding.dimension", 384);
    props.put("cluster.model.max.bytes", 1 << 20);

    // Then 640 clusters (about 1 MB of centres) are accepted, and records may take 8 MiB + 64 KiB
    props.put("cluster.k.max", 640);
    assertThat(new SieveConfig(props).maxRecordBytes()).isEqualTo(8 * 1024 * 1024 + 65_536);

    // and 1024 clusters (about 1.6 MB) are refused, saying why and what would do
    props.put("cluster.k.max", 1024);
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("centroid model of 1024 clusters of 384 floats")
        .hasMessageContaining("lower cluster.k.max to at most 672")
        .hasMessageContaining("raise cluster.model.max.bytes to at least 1597504");
  }

  @Test
  void sizesRecordsForTheModelWhenBatchesAreSmall() {
    // Given small batches but a model of 256 clusters of 1024 floats (about 1 MB)
    Map<String, Object> props = required();
    props.put("embedding.dimension", 1024);
    props.put("batch.max.bytes", 32 * 1024);

    // Then the producer and the topics take records as large as the model may be
    SieveConfig config = new SieveConfig(props);
    assertThat(config.maxRecordBytes()).isEqualTo(8 * 1024 * 1024 + 65_536);
    assertThat(config.streamsProperties().get(StreamsConfig.producerPrefix("max.request.size")))
        .isEqualTo(config.maxRecordBytes());
  }

  @Test
  void onlyTheConnectionSettingsAreRequired() {
    // When the definition is read
    List<String> withoutDefault =
        SieveConfig.configDef().configKeys().values().stream()
            .filter(k -> !k.hasDefault())
            .map(k -> k.name)
            .sorted()
            .toList();

    // Then only the broker and registry addresses must be given
    assertThat(withoutDefault).containsExactly("bootstrap.servers", "schema.registry.url");
  }

  @Test
  void failsFastWithoutBootstrapServers() {
    // Given settings without bootstrap.servers
    Map<String, Object> props = required();
    props.remove("bootstrap.servers");

    // Then the config is refused, naming the key
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bootstrap.servers");
  }

  @Test
  void failsFastOnBlankBootstrapServers() {
    // Given a blank bootstrap.servers
    Map<String, Object> props = required();
    props.put("bootstrap.servers", "  ");

    // Then the config is refused, naming the key
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bootstrap.servers");
  }

  @Test
  void failsFastOnOutOfRangePartitions() {
    // Given zero partitions
    Map<String, Object> props = required();
    props.put("topic.partitions", "0");

    // Then the config is refused, naming the key
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("topic.partitions");
  }

  @Test
  void failsFastOnUnknownProcessingGuarantee() {
    // Given a guarantee Sieve does not support
    Map<String, Object> props = required();
    props.put("processing.guarantee", "exactly_once");

    // Then the config is refused, naming the key
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("processing.guarantee");
  }

  @Test
  void failsFastOnMiniLmWithAnotherDimension() {
    // Given the MiniLM embedder with a dimension other than the model's 384
    Map<String, Object> props = required();
    props.put("embedder", "minilm");
    props.put("embedding.dimension", "256");

    // Then the config is refused, naming the key and the required value
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("embedding.dimension")
        .hasMessageContaining("must be 384 when embedder=minilm");
  }

  @Test
  void acceptsMiniLmWithItsDimension() {
    // Given the MiniLM embedder with the default dimension
    Map<String, Object> props = required();
    props.put("embedder", "minilm");

    // Then the config is accepted as it is
    SieveConfig config = new SieveConfig(props);
    assertThat(config.getString("embedder")).isEqualTo("minilm");
    assertThat(config.dimension()).isEqualTo(384);
  }

  @Test
  void textNearEpsilonIsTheSuppliedOneUnlessSetOrCalibrated() {
    Map<String, Object> props = required();
    assertThat(io.sieve.embed.Embedders.nearEpsilon(new SieveConfig(props))).isEqualTo(0.01);

    props.put("dedup.near.epsilon.text", "calibrated");
    assertThat(io.sieve.embed.Embedders.nearEpsilon(new SieveConfig(props)))
        .isEqualTo(io.sieve.embed.HashingEmbedder.NEAR_EPSILON);

    props.put("dedup.near.epsilon.text", "0.2");
    assertThat(io.sieve.embed.Embedders.nearEpsilon(new SieveConfig(props))).isEqualTo(0.2);

    props.put("dedup.near.epsilon.text", "loose");
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.near.epsilon.text");
    props.put("dedup.near.epsilon.text", "3");
    assertThatThrownBy(() -> new SieveConfig(props)).isInstanceOf(ConfigException.class);
  }

  @Test
  void failsFastOnUnknownEmbedder() {
    // Given an embedder Sieve does not have
    Map<String, Object> props = required();
    props.put("embedder", "word2vec");

    // Then the config is refused, naming the key
    assertThatThrownBy(() -> new SieveConfig(props))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("embedder");
  }

  @Test
  void streamProducersRetryAConcurrentTransactionSoonUnlessTold() {
    // Given the defaults
    String backoff = StreamsConfig.producerPrefix("retry.backoff.ms");

    // Then the stream threads' producers retry after 10 ms, not the client's 100 ms (a
    // transaction refused as concurrent right after a commit would wait that long)
    assertThat(
            new StreamsConfig(new SieveConfig(required()).streamsProperties())
                .getProducerConfigs("client"))
        .containsEntry("retry.backoff.ms", 10);

    // and a streams.-prefixed setting overrides it
    Map<String, Object> props = required();
    props.put("streams." + backoff, 100);
    assertThat(new SieveConfig(props).streamsProperties()).containsEntry(backoff, 100);
  }

  @Test
  void streamThreadsPollFewRecordsAtOnceUnlessTold() {
    // Given the defaults
    // Then the stream threads' main consumers return 50 records a poll, not Kafka Streams' 1,000
    // (a trainer's credit would wait behind the processing of all of them)
    assertThat(
            new StreamsConfig(new SieveConfig(required()).streamsProperties())
                .getMainConsumerConfigs("group", "client", 0))
        .containsEntry("max.poll.records", 50);

    // and a streams.-prefixed setting overrides it
    Map<String, Object> props = required();
    props.put("streams.main.consumer.max.poll.records", 500);
    assertThat(
            new StreamsConfig(new SieveConfig(props).streamsProperties())
                .getMainConsumerConfigs("group", "client", 0))
        .containsEntry("max.poll.records", 500);
  }

  @Test
  void acceptsAtLeastOnce() {
    // Given at_least_once
    Map<String, Object> props = required();
    props.put("processing.guarantee", "at_least_once");

    // Then it reaches the Kafka Streams properties
    assertThat(new SieveConfig(props).streamsProperties())
        .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "at_least_once");
  }

  @Test
  void registrySecretIsUsableButNeverPrinted() {
    // Given a config with basic-auth credentials, and every log line captured
    Map<String, Object> props = required();
    props.put("schema.registry.basic.auth.user.info", SECRET);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger kafka = (Logger) LoggerFactory.getLogger("org.apache.kafka");
    Level kafkaLevel = kafka.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    kafka.setLevel(Level.INFO);
    SieveConfig config;
    try {
      // When it is parsed and handed to Kafka Streams, which logs its values
      config = new SieveConfig(props);
      new StreamsConfig(config.streamsProperties());
    } finally {
      root.detachAppender(logs);
      kafka.setLevel(kafkaLevel);
    }

    // Then the secret is available to the registry client
    assertThat(config.schemaRegistryAuth().value()).isEqualTo(SECRET);
    // but neither the config nor its values print it
    assertThat(config.toString()).doesNotContain(SECRET);
    assertThat(config.values().toString()).doesNotContain(SECRET);
    assertThat(String.valueOf(config.schemaRegistryAuth())).doesNotContain(SECRET);
    // and no log line carries it, though the values were logged
    assertThat(logs.list)
        .as("Kafka Streams logs its configuration at INFO")
        .anyMatch(e -> e.getFormattedMessage().contains("StreamsConfig values"));
    assertThat(logs.list)
        .allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotContain(SECRET));
  }

  @Test
  void producerBatchesNeverExceedWhatTheInternalTopicsAccept() {
    // a producer batch over the topics' max.message.bytes would be split into batches of
    // batch.size again and again: each batch.max.bytes must give batch.size <= that limit
    for (int maxBytes : new int[] {1024, 32 * 1024, 8 * 1024 * 1024}) {
      Map<String, Object> props = required();
      props.put(SieveConfig.BATCH_MAX_BYTES_CONFIG, maxBytes);
      java.util.Properties p = new SieveConfig(props).streamsProperties();
      int batchSize = (Integer) p.get(StreamsConfig.producerPrefix("batch.size"));
      int topicLimit = (Integer) p.get(StreamsConfig.topicPrefix("max.message.bytes"));
      assertThat(batchSize).as("batch.size at batch.max.bytes=%d", maxBytes).isPositive();
      assertThat(batchSize).isLessThanOrEqualTo(topicLimit);
      assertThat(p.get(StreamsConfig.producerPrefix("max.request.size"))).isEqualTo(topicLimit);
    }
  }
}
