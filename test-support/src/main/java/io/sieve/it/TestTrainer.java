package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import io.sieve.config.Topics;
import io.sieve.serde.AvroSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A trainer for integration tests: reads its batches (in its own consumer group) and acknowledges
 * each with feedback that names the batch and nothing else.
 */
public final class TestTrainer implements AutoCloseable {
  final String topic;

  /** Every batch as it came off the topic, in the wire format. */
  final List<byte[]> rawValues = new ArrayList<>();

  private final AvroSerdes serdes;
  private final String trainerId;
  private final String feedbackTopic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;

  TestTrainer(
      String bootstrapServers,
      AvroSerdes serdes,
      String applicationId,
      Topics topics,
      String trainerId) {
    this.serdes = serdes;
    this.trainerId = trainerId;
    this.topic = topics.batchTopic(trainerId);
    this.feedbackTopic = topics.feedback().name();
    this.producer = ItClients.producer(bootstrapServers);
    this.consumer = ItClients.batchConsumer(bootstrapServers, applicationId + "-" + trainerId);
    consumer.subscribe(List.of(topic));
  }

  /** Reads and acknowledges at least {@code n} batches, failing if they do not come in time. */
  public List<TrainingBatch> consume(int n, Duration timeout) {
    List<TrainingBatch> out = poll(n, timeout);
    assertThat(out).as("batches received within %s", timeout).hasSizeGreaterThanOrEqualTo(n);
    return out;
  }

  /** Reads and acknowledges batches until there are {@code n} or time runs out. */
  List<TrainingBatch> poll(int n, Duration timeout) {
    List<TrainingBatch> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < n && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        rawValues.add(r.value());
        TrainingBatch b = serdes.deserialize(topic, r.value(), TrainingBatch.class);
        out.add(b);
        TrainerFeedback fb =
            TrainerFeedback.newBuilder().setTrainerId(trainerId).setBatchId(b.getBatchId()).build();
        producer.send(
            new ProducerRecord<>(feedbackTopic, trainerId, serdes.serialize(feedbackTopic, fb)));
      }
      consumer.commitSync();
    }
    producer.flush();
    return out;
  }

  @Override
  public void close() {
    consumer.close();
    producer.close();
  }
}
