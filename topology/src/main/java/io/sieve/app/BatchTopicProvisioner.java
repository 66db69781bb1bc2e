package io.sieve.app;

import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates each declared trainer's batch topic. {@code trainer put} creates it before writing the
 * spec; this watcher of the trainers topic covers specs written by other means.
 */
final class BatchTopicProvisioner implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BatchTopicProvisioner.class);
  private static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private final SieveConfig config;
  private final Topics topics;
  private final Thread thread;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile boolean running = true;

  BatchTopicProvisioner(SieveConfig config, Topics topics) {
    this.config = config;
    this.topics = topics;
    this.thread = new Thread(this::run, "sieve-batch-topics");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** The trainers watcher's settings: the pass-through (security included) and the brokers. */
  static Map<String, Object> consumerProperties(SieveConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return props;
  }

  private void run() {
    Map<String, Object> props = consumerProperties(config);
    Set<String> done = new HashSet<>();
    try (KafkaConsumer<String, byte[]> c =
            new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        TopicAdmin admin = new TopicAdmin(config)) {
      consumer = c;
      if (!running) {
        return;
      }
      List<PartitionInfo> parts = c.partitionsFor(topics.trainers().name(), Duration.ofMinutes(1));
      c.assign(parts.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList());
      c.seekToBeginning(c.assignment());
      while (running) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofSeconds(1))) {
          String id = r.key();
          if (r.value() != null && id != null && VALID_ID.matcher(id).matches() && done.add(id)) {
            admin.ensureBatchTopic(id);
            LOG.info("batch topic {} ready", config.batchTopic(id));
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("batch topic provisioning stopped", e);
    }
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
