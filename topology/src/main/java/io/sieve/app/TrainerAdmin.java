package io.sieve.app;

import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerSpec;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.plan.TrainerSpecs;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Declares and removes trainers on the compacted trainers topic, and writes operators' controls of
 * them on the trainer-controls topic.
 */
public final class TrainerAdmin {

  private final SieveConfig config;
  private final Topics topics;

  public TrainerAdmin(SieveConfig config, Topics topics) {
    this.config = config;
    this.topics = topics;
  }

  /**
   * Creates the trainer's batch topic (and Sieve's own topics, in case Sieve has never run), then
   * writes the spec and waits for the write. A spec Sieve will reject gets no topic: it is written
   * all the same, and dead-lettered with its reason.
   */
  public void put(TrainerSpec spec) {
    boolean valid =
        TrainerSpecs.check(
                spec.getTrainerId(),
                spec,
                config.dimension(),
                config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG))
            == null;
    try (TopicAdmin admin = new TopicAdmin(config)) {
      admin.ensureRequired(topics);
      if (valid) {
        admin.ensureBatchTopic(spec.getTrainerId(), spec.getRanks());
      }
    }
    write(spec.getTrainerId(), spec);
  }

  /** Writes a tombstone: the trainer gets no more batches. Its batch topic stays. */
  public void delete(String trainerId) {
    write(trainerId, null);
  }

  /**
   * Writes an operator's control (keyed by its trainer id, so it lands on the trainer's partition)
   * and waits for the write; the planner applies it, or dead-letters it with its reason. Returns
   * where it was written.
   */
  public RecordMetadata control(TrainerControl control) {
    try (KafkaProducer<String, TrainerControl> producer =
        new KafkaProducer<>(
            producerProperties(config),
            new StringSerializer(),
            topics.controls().valueSerde().serializer())) {
      return producer
          .send(new ProducerRecord<>(topics.controls().name(), control.getTrainerId(), control))
          .get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted writing a control of " + control.getTrainerId());
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot write control " + control.getAction() + " of trainer " + control.getTrainerId(),
          e);
    }
  }

  /** The spec producer's settings: the pass-through (security included) and the brokers. */
  public static Map<String, Object> producerProperties(SieveConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return props;
  }

  private void write(String trainerId, TrainerSpec spec) {
    try (KafkaProducer<String, TrainerSpec> producer =
        new KafkaProducer<>(
            producerProperties(config),
            new StringSerializer(),
            topics.trainers().valueSerde().serializer())) {
      producer
          .send(new ProducerRecord<>(topics.trainers().name(), trainerId, spec))
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot write trainer " + trainerId, e);
    }
  }
}
