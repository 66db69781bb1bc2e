package io.sieve.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.sieve.avro.TrainerSpec;
import io.sieve.config.BatchTopics;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.errors.DeadLetterSender;
import io.sieve.plan.TrainerSpecs;
import io.sieve.stream.SieveMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each valid trainer's batch topic in place and tells the planner which are ready. {@code
 * trainer put} creates the topic before writing the spec; this watcher of the whole trainers topic
 * covers specs written by other means, topics an operator deleted, and collisions.
 *
 * <p>A spec the planner would reject gets no topic. A spec whose topic name collides with a live
 * trainer's existing topic (ids that differ only in '.' and '_': Kafka refuses the second) is
 * dead-lettered ({@code batch-topic-collision}) and never ready, so it is never planned for. A
 * ready topic that disappears is dead-lettered ({@code batch-topic-missing}), its trainer paused
 * and the topic created again. A topic has a partition per data-parallel rank of its spec: created
 * so, or grown when a spec asks for more ranks, and only then ready for that many ({@link
 * #ready(String, int)}); it is never shrunk. The watcher never stops for good: any failure is
 * logged and the watch starts over after a pause.
 */
final class BatchTopicProvisioner implements BatchTopics, AutoCloseable {

  static final String STAGE = "provision";
  private static final Logger LOG = LoggerFactory.getLogger(BatchTopicProvisioner.class);
  private static final Duration CHECK_INTERVAL = Duration.ofSeconds(2);
  private static final Duration RETRY_PAUSE = Duration.ofSeconds(2);

  /** Where a live spec was read, for its dead letters, and the ranks it asks for. */
  private record Origin(int partition, long offset, int ranks) {}

  private final SieveConfig config;
  private final Topics topics;
  private final DeadLetterSender deadLetters;
  private final Thread thread;

  /** Ready trainers and their batch topic's partition count, as last seen. */
  private final Map<String, Integer> ready = new ConcurrentHashMap<>();

  private final Map<String, Origin> live = new TreeMap<>();
  private final Set<String> collided = new HashSet<>();
  private final Counter recreated;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile boolean running = true;
  private volatile int paused;

  BatchTopicProvisioner(
      SieveConfig config, Topics topics, DeadLetterSender deadLetters, SieveMetrics metrics) {
    this.config = config;
    this.topics = topics;
    this.deadLetters = deadLetters;
    this.thread = new Thread(this::run, "sieve-batch-topics");
    this.thread.setDaemon(true);
    Gauge.builder("sieve.trainers.paused", () -> paused)
        .description("Valid trainers not planned for: their batch topic is missing or collides")
        .register(metrics.registry());
    this.recreated =
        Counter.builder("sieve.batch.topics.recreated")
            .description("Batch topics created again after they disappeared")
            .register(metrics.registry());
  }

  void start() {
    thread.start();
  }

  @Override
  public boolean ready(String trainerId) {
    return ready.containsKey(trainerId);
  }

  /** Ready with a partition per rank: a spec with more ranks waits until the topic has grown. */
  @Override
  public boolean ready(String trainerId, int ranks) {
    Integer partitions = ready.get(trainerId);
    return partitions != null && partitions >= ranks;
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
    while (running) {
      try {
        watch();
      } catch (WakeupException e) {
        // closing, or woken for no reason: the loop decides
      } catch (RuntimeException e) {
        LOG.error(
            "batch topic provisioning failed; starting over in {} s", RETRY_PAUSE.toSeconds(), e);
        pause();
      }
    }
  }

  private void pause() {
    try {
      Thread.sleep(RETRY_PAUSE.toMillis());
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Reads the trainers topic from its start and keeps the topics in line, until closed. */
  private void watch() {
    try (KafkaConsumer<String, byte[]> c =
            new KafkaConsumer<>(
                consumerProperties(config), new StringDeserializer(), new ByteArrayDeserializer());
        TopicAdmin admin = new TopicAdmin(config)) {
      consumer = c;
      if (!running) {
        return;
      }
      List<PartitionInfo> parts = c.partitionsFor(topics.trainers().name(), Duration.ofMinutes(1));
      c.assign(parts.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList());
      c.seekToBeginning(c.assignment());
      live.clear();
      long nextCheck = 0;
      while (running) {
        boolean changed = false;
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          changed |= read(r);
        }
        if (changed || System.nanoTime() >= nextCheck) {
          reconcile(admin);
          nextCheck = System.nanoTime() + CHECK_INTERVAL.toNanos();
        }
      }
    } finally {
      consumer = null;
    }
  }

  /** Takes in one trainers record; true when the set of live valid specs changed. */
  private boolean read(ConsumerRecord<String, byte[]> r) {
    String id = r.key();
    if (id == null) {
      return false;
    }
    TrainerSpec spec = null;
    if (r.value() != null) {
      try {
        spec = topics.trainers().valueSerde().deserializer().deserialize(r.topic(), r.value());
      } catch (RuntimeException e) {
        // the stream dead-letters it; this watcher only needs to know it gets no topic
        spec = null;
      }
    }
    boolean valid =
        spec != null
            && TrainerSpecs.check(
                    id, spec, config.dimension(), config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG))
                == null;
    if (valid) {
      Origin before = live.put(id, new Origin(r.partition(), r.offset(), spec.getRanks()));
      return before == null || before.ranks() != spec.getRanks();
    }
    ready.remove(id);
    collided.remove(id);
    return live.remove(id) != null;
  }

  /**
   * Ready: the live specs whose own topic exists; created now: those whose topic is missing and
   * free; dead-lettered once: those whose name collides with an existing topic.
   */
  private void reconcile(TopicAdmin admin) {
    Set<String> existing = new HashSet<>(admin.listTopics());
    Map<String, String> byCollisionKey = new HashMap<>();
    for (String t : existing) {
      byCollisionKey.put(BatchTopics.collisionKey(t), t);
    }
    int notReady = 0;
    for (Map.Entry<String, Origin> e : live.entrySet()) {
      String id = e.getKey();
      String topic = config.batchTopic(id);
      int ranks = e.getValue().ranks();
      if (existing.contains(topic)) {
        Integer partitions = ready.get(id);
        if (partitions == null || partitions < ranks) {
          // grown before the planner plans a shard for a partition it lacks; never shrunk
          try {
            ready.put(id, admin.ensureBatchTopic(id, ranks));
          } catch (RuntimeException ex) {
            notReady++;
            LOG.warn(
                "cannot give batch topic {} {} partitions yet; trainer {} waits",
                topic,
                ranks,
                id,
                ex);
          }
        }
        continue;
      }
      String other = byCollisionKey.get(BatchTopics.collisionKey(topic));
      if (other != null) {
        ready.remove(id);
        notReady++;
        if (collided.add(id)) {
          collision(id, topic, other, e.getValue());
        }
        continue;
      }
      boolean wasReady = ready.remove(id) != null;
      if (wasReady) {
        LOG.warn(
            "batch topic {} of trainer {} disappeared; pausing it and creating it again",
            topic,
            id);
        deadLetters.send(
            STAGE,
            "batch-topic-missing",
            "batch topic "
                + topic
                + " of trainer "
                + id
                + " was deleted; the trainer is paused until it is created again",
            topics.trainers().name(),
            e.getValue().partition(),
            e.getValue().offset(),
            id,
            id.getBytes(StandardCharsets.UTF_8));
      }
      try {
        int partitions = admin.ensureBatchTopic(id, ranks);
        existing.add(topic);
        byCollisionKey.put(BatchTopics.collisionKey(topic), topic);
        ready.put(id, partitions);
        if (wasReady) {
          recreated.increment();
        }
        LOG.info("batch topic {} ready", topic);
      } catch (RuntimeException ex) {
        notReady++;
        if (ex.getCause() instanceof InvalidTopicException) {
          if (collided.add(id)) {
            collision(id, topic, ex.getCause().getMessage(), e.getValue());
          }
        } else {
          LOG.warn("cannot create batch topic {} yet; trainer {} waits", topic, id, ex);
        }
      }
    }
    ready.keySet().retainAll(live.keySet());
    collided.retainAll(live.keySet());
    paused = notReady;
  }

  private void collision(String id, String topic, String other, Origin origin) {
    LOG.error(
        "trainer {} is rejected: its batch topic {} collides with {} (topic names may not differ"
            + " only in '.' and '_')",
        id,
        topic,
        other);
    deadLetters.send(
        STAGE,
        "batch-topic-collision",
        "batch topic "
            + topic
            + " of trainer "
            + id
            + " collides with "
            + other
            + ": Kafka refuses topic names that differ only in '.' and '_'; choose another id",
        topics.trainers().name(),
        origin.partition(),
        origin.offset(),
        id,
        id.getBytes(StandardCharsets.UTF_8));
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
