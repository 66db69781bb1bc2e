package io.sieve.demo;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import io.sieve.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A stand-in trainer: reads its batch topic in the Confluent wire format, "trains" for a moment,
 * and acknowledges each batch with feedback carrying per-cluster losses. It keeps what a person
 * would want to see: batches, examples, repeats within a cycle, and the composition of recent
 * batches.
 */
public final class SimulatedTrainer implements Runnable, AutoCloseable {

  private final String trainerId;
  private final String batchTopic;
  private final String feedbackTopic;
  private final AvroSerdes serdes;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final Duration trainTime;
  private volatile boolean running = true;

  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong examples = new AtomicLong();
  private final AtomicLong incomplete = new AtomicLong();
  private final AtomicLong repeatsWithinCycle = new AtomicLong();
  private final Map<Long, Set<String>> seenByCycle = new HashMap<>();
  private final Set<String> distinct = new HashSet<>();
  private final Map<String, Long> clusterTotals = new TreeMap<>();
  private final Map<String, Long> groupTotals = new TreeMap<>();
  private final Map<String, Long> labelTotals = new TreeMap<>();
  private final Deque<TrainingBatch> recent = new ArrayDeque<>();
  private final Map<String, Long> topicSeen = new HashMap<>();
  private static final Map<String, Double> LANGUAGE_DIFFICULTY =
      Map.of("en", 1.0, "de", 1.3, "fr", 1.3, "ja", 1.8);

  public SimulatedTrainer(
      String bootstrap,
      String trainerId,
      String batchTopic,
      String feedbackTopic,
      AvroSerdes serdes,
      Duration trainTime) {
    this.trainerId = trainerId;
    this.batchTopic = batchTopic;
    this.feedbackTopic = feedbackTopic;
    this.serdes = serdes;
    this.trainTime = trainTime;
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "trainer-" + trainerId);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  @Override
  public void run() {
    consumer.subscribe(List.of(batchTopic));
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          TrainingBatch batch = serdes.deserialize(r.topic(), r.value(), TrainingBatch.class);
          record(batch);
          if (!trainTime.isZero()) {
            Thread.sleep(trainTime.toMillis());
          }
          acknowledge(batch);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close();
    }
  }

  private synchronized void record(TrainingBatch batch) {
    batches.incrementAndGet();
    examples.addAndGet(batch.getExamples().size());
    if (!batch.getComplete()) {
      incomplete.incrementAndGet();
    }
    for (BatchExample e : batch.getExamples()) {
      if (!seenByCycle.computeIfAbsent(e.getCycle(), k -> new HashSet<>()).add(e.getId())) {
        repeatsWithinCycle.incrementAndGet();
      }
      distinct.add(e.getId());
      clusterTotals.merge(Integer.toString(e.getClusterId()), 1L, Long::sum);
      if (e.getLabel() != null) {
        labelTotals.merge(e.getLabel(), 1L, Long::sum);
      }
      e.getGroups().forEach((a, v) -> groupTotals.merge(a + "=" + v, 1L, Long::sum));
    }
    recent.addLast(batch);
    while (recent.size() > 10) {
      recent.removeFirst();
    }
  }

  /**
   * A stand-in learning curve: the loss on a topic falls as the trainer sees more of it, and some
   * languages are harder. Rare topics therefore keep a high loss, which is what the adaptive
   * policies react to.
   */
  private void acknowledge(TrainingBatch batch) {
    Map<String, Double> exampleLosses = new TreeMap<>();
    Map<String, double[]> clusterSums = new TreeMap<>();
    Map<String, double[]> groupSums = new TreeMap<>();
    for (BatchExample e : batch.getExamples()) {
      String topic = e.getLabel() == null ? "?" : e.getLabel();
      double seen = topicSeen.merge(topic, 1L, Long::sum);
      double loss =
          LANGUAGE_DIFFICULTY.getOrDefault(e.getGroups().get("lang"), 1.0)
              / Math.sqrt(1 + seen / 50.0);
      exampleLosses.put(e.getId(), loss);
      add(clusterSums, Integer.toString(e.getClusterId()), loss);
      e.getGroups().forEach((a, v) -> add(groupSums, a + "=" + v, loss));
    }
    TrainerFeedback feedback =
        TrainerFeedback.newBuilder()
            .setTrainerId(trainerId)
            .setBatchId(batch.getBatchId())
            .setExampleLosses(exampleLosses)
            .setClusterLosses(means(clusterSums))
            .setGroupLosses(means(groupSums))
            .setSentAt(Instant.ofEpochMilli(System.currentTimeMillis()))
            .build();
    producer.send(
        new ProducerRecord<>(feedbackTopic, trainerId, serdes.serialize(feedbackTopic, feedback)));
  }

  private static void add(Map<String, double[]> sums, String key, double loss) {
    double[] s = sums.computeIfAbsent(key, k -> new double[2]);
    s[0] += loss;
    s[1] += 1;
  }

  private static Map<String, Double> means(Map<String, double[]> sums) {
    Map<String, Double> out = new TreeMap<>();
    sums.forEach((k, s) -> out.put(k, s[0] / s[1]));
    return out;
  }

  public long batches() {
    return batches.get();
  }

  public long examples() {
    return examples.get();
  }

  public long incomplete() {
    return incomplete.get();
  }

  public long repeatsWithinCycle() {
    return repeatsWithinCycle.get();
  }

  public synchronized long distinctExamples() {
    return distinct.size();
  }

  /** Share of each key among all examples received. */
  public synchronized Map<String, Double> clusterShares() {
    return shares(clusterTotals);
  }

  public synchronized Map<String, Double> groupShares() {
    return shares(groupTotals);
  }

  public synchronized Map<String, Double> labelShares() {
    return shares(labelTotals);
  }

  /** Cluster and group shares over the last ten batches. */
  public synchronized Map<String, Map<String, Double>> recentShares() {
    Map<String, Long> clusters = new TreeMap<>();
    Map<String, Long> groups = new TreeMap<>();
    for (TrainingBatch b : recent) {
      b.getClusterCounts().forEach((k, v) -> clusters.merge(k, (long) v, Long::sum));
      b.getGroupCounts().forEach((k, v) -> groups.merge(k, (long) v, Long::sum));
    }
    return Map.of("clusters", shares(clusters), "groups", shares(groups));
  }

  static Map<String, Double> shares(Map<String, Long> counts) {
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    Map<String, Double> out = new TreeMap<>();
    if (total > 0) {
      counts.forEach((k, v) -> out.put(k, v / (double) total));
    }
    return out;
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
  }

  /** Closes the feedback producer; call after the thread running {@link #run} has ended. */
  public void release() {
    producer.close();
  }
}
