package io.sieve.it;

import io.sieve.avro.ClusterStats;
import io.sieve.serde.AvroSerdes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Producers and consumers for integration tests. Values stay raw bytes so that a test
 * (de)serializes them itself, with the registry it means. Consumers read committed records only,
 * from the earliest offset, as the service's own trainers would.
 */
final class ItClients {

  private ItClients() {}

  /** A producer that waits for every in-sync replica. */
  static KafkaProducer<String, byte[]> producer(String bootstrapServers) {
    return new KafkaProducer<>(
        producerProps(bootstrapServers), new StringSerializer(), new ByteArraySerializer());
  }

  /** The properties of {@link #producer}, for a test that adds its own. */
  static Properties producerProps(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return p;
  }

  /** A consumer in a fresh group of its own, which so sees a topic from its start. */
  static <K> KafkaConsumer<K, byte[]> consumer(String bootstrapServers, Deserializer<K> keys) {
    return new KafkaConsumer<>(
        consumerProps(bootstrapServers, "it-" + UUID.randomUUID()),
        keys,
        new ByteArrayDeserializer());
  }

  /** A consumer of a trainer's batches in the given group (one group per trainer). */
  static KafkaConsumer<String, byte[]> batchConsumer(String bootstrapServers, String groupId) {
    return new KafkaConsumer<>(
        consumerProps(bootstrapServers, groupId),
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  /**
   * Reads the compacted cluster-stats topic from its start and keeps the latest statistics per
   * cluster, until they satisfy {@code done} or {@code timeout} has passed; the caller asserts on
   * what it got.
   */
  static Map<Integer, ClusterStats> awaitClusterStats(
      String bootstrapServers,
      AvroSerdes serdes,
      String topic,
      Predicate<Map<Integer, ClusterStats>> done,
      Duration timeout) {
    Map<Integer, ClusterStats> latest = new TreeMap<>();
    try (KafkaConsumer<Integer, byte[]> c = consumer(bootstrapServers, new IntegerDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(latest) && System.nanoTime() < deadline) {
        for (ConsumerRecord<Integer, byte[]> r : c.poll(Duration.ofMillis(200))) {
          latest.put(r.key(), serdes.deserialize(topic, r.value(), ClusterStats.class));
        }
      }
    }
    return latest;
  }

  /** Pool size per cluster from {@link #awaitClusterStats}, once they add up to {@code total}. */
  static Map<Integer, Long> awaitPoolSizes(
      String bootstrapServers, AvroSerdes serdes, String topic, long total, Duration timeout) {
    Map<Integer, Long> sizes = new TreeMap<>();
    awaitClusterStats(
            bootstrapServers,
            serdes,
            topic,
            m -> m.values().stream().mapToLong(ClusterStats::getSize).sum() >= total,
            timeout)
        .forEach((cluster, stats) -> sizes.put(cluster, stats.getSize()));
    return sizes;
  }

  private static Properties consumerProps(String bootstrapServers, String groupId) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return c;
  }
}
