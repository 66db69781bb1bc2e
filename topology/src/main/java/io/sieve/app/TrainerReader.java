package io.sieve.app;

import io.sieve.avro.TrainerSpec;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the compacted trainers topic from its start to its current end: the latest spec per trainer
 * id, tombstones removing. Joins no consumer group.
 */
public final class TrainerReader {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final SieveConfig config;
  private final Topics topics;

  public TrainerReader(SieveConfig config, Topics topics) {
    this.config = config;
    this.topics = topics;
  }

  /** The live specs by trainer id. */
  public SortedMap<String, TrainerSpec> live() {
    String topic = topics.trainers().name();
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    SortedMap<String, TrainerSpec> live = new TreeMap<>();
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> parts = c.partitionsFor(topic, TIMEOUT);
      if (parts == null || parts.isEmpty()) {
        return live;
      }
      List<TopicPartition> assigned =
          parts.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(assigned);
      c.seekToBeginning(assigned);
      Map<TopicPartition, Long> end = c.endOffsets(assigned, TIMEOUT);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (!reachedEnd(c, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot read " + topic + " to its end in " + TIMEOUT);
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          TrainerSpec spec =
              topics.trainers().valueSerde().deserializer().deserialize(topic, r.value());
          if (spec == null) {
            live.remove(r.key());
          } else {
            live.put(r.key(), spec);
          }
        }
      }
    }
    return live;
  }

  private static boolean reachedEnd(
      KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey(), TIMEOUT) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
