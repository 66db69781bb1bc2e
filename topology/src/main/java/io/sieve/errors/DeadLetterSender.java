package io.sieve.errors;

import io.sieve.avro.DeadLetter;
import io.sieve.config.SieveConfig;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the dead letters of Kafka Streams' error handlers, which run outside any processor and so
 * cannot forward.
 *
 * <p>A handler of a stream task hands its dead letter back in its response ({@link #record}): Kafka
 * Streams writes it with the task's own producer, inside the task's transaction under exactly-once,
 * so the dead letter and the skip of its record commit or abort together. The global thread has no
 * task producer (Kafka Streams cannot write a handler's dead letters from it); for its records the
 * sender writes with its own idempotent producer and waits ({@link #send}): a record is only
 * skipped once its dead letter is durable, and a crash in the same instant can repeat a dead
 * letter, never lose one.
 */
public final class DeadLetterSender implements AutoCloseable {

  /** Streams config key under which the handlers find the service's sender. */
  public static final String SENDER_CONFIG = "sieve.dead.letter.sender";

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSender.class);

  private final SieveConfig config;
  private final String topic;
  private final AvroSerdes serdes;
  private final SieveMetrics metrics;
  private KafkaProducer<byte[], byte[]> producer;

  public DeadLetterSender(SieveConfig config, AvroSerdes serdes, SieveMetrics metrics) {
    this.config = config;
    this.topic = config.getString(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG);
    this.serdes = serdes;
    this.metrics = metrics;
  }

  /** The sender a handler was configured with; handlers only run inside a Sieve service. */
  static DeadLetterSender from(Map<String, ?> configs) {
    Object sender = configs.get(SENDER_CONFIG);
    if (sender instanceof DeadLetterSender s) {
      return s;
    }
    throw new IllegalStateException(
        SENDER_CONFIG
            + " is not set: Sieve's error handlers need the service's dead-letter sender");
  }

  /** The producer's settings: the pass-through (security included), brokers, idempotence. */
  public static Map<String, Object> producerProperties(SieveConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    // each send is awaited before the record is skipped: do not wait for company
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // a stream thread waits on each send: a missing dead-letter topic must fail it soon (and show
    // in /health), not hold it for the producer's default minute
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, config.applicationId() + "-dead-letters");
    return props;
  }

  private synchronized KafkaProducer<byte[], byte[]> producer() {
    if (producer == null) {
      producer =
          new KafkaProducer<>(
              producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  /**
   * Sends a dead letter about a record read outside Kafka Streams (the topic provisioner's) and
   * waits; false when it could not be written.
   */
  public boolean send(
      String stage,
      String reason,
      String error,
      String topic,
      int partition,
      long offset,
      String recordId,
      byte[] key) {
    DeadLetter letter =
        Originals.attach(
                DeadLetter.newBuilder()
                    .setStage(stage)
                    .setReason(reason)
                    .setError(Originals.error(error))
                    .setTopic(topic)
                    .setPartition(partition)
                    .setOffset(offset)
                    .setRecordId(recordId)
                    .setFailedAt(Instant.ofEpochMilli(System.currentTimeMillis())),
                key,
                null)
            .build();
    try {
      write(Originals.cut(key, Originals.MAX_KEY_BYTES), letter);
      metrics.deadLetter(reason);
      return true;
    } catch (Exception e) {
      LOG.error("could not write a dead letter for {}-{}@{}", topic, partition, offset, e);
      return false;
    }
  }

  /** Whether {@code topic} is a trainer's batch topic. */
  boolean isBatchTopic(String topic) {
    return topic != null && topic.startsWith(config.batchTopic(""));
  }

  /**
   * Whether a handler runs on the global thread: its records (the global stores' topics) belong to
   * no task, so Kafka Streams has no producer to write a dead letter handed back in a response.
   */
  static boolean onGlobalThread(ErrorHandlerContext context) {
    TaskId task = context.taskId();
    return task == null || task.subtopology() < 0;
  }

  /** Sends and waits; false when the dead letter could not be written. */
  boolean send(
      ErrorHandlerContext context,
      String stage,
      String reason,
      Exception error,
      byte[] key,
      byte[] value) {
    ProducerRecord<byte[], byte[]> record;
    try {
      record = record(context, stage, reason, error, key, value);
    } catch (RuntimeException e) {
      LOG.error(
          "could not make a dead letter for {}-{}@{}",
          context.topic(),
          context.partition(),
          context.offset(),
          e);
      return false;
    }
    try {
      producer().send(record).get(30, TimeUnit.SECONDS);
      metrics.deadLetter(reason);
      LOG.debug(
          "dead-lettered {}-{}@{} at {}: {}",
          context.topic(),
          context.partition(),
          context.offset(),
          stage,
          reason);
      return true;
    } catch (Exception e) {
      LOG.error(
          "could not write a dead letter for {}-{}@{}",
          context.topic(),
          context.partition(),
          context.offset(),
          e);
      return false;
    }
  }

  /**
   * The dead letter of a failed record, serialized for the dead-letter topic, for a handler to hand
   * back to Kafka Streams; counted as handed over (a transaction that aborts replays the record,
   * and its dead letter is counted again).
   *
   * @throws RuntimeException when the dead letter cannot be serialized (the registry failing, say)
   */
  ProducerRecord<byte[], byte[]> deadLetter(
      ErrorHandlerContext context,
      String stage,
      String reason,
      Exception error,
      byte[] key,
      byte[] value) {
    ProducerRecord<byte[], byte[]> record = record(context, stage, reason, error, key, value);
    metrics.deadLetter(reason);
    LOG.debug(
        "dead-lettering {}-{}@{} at {}: {}",
        context.topic(),
        context.partition(),
        context.offset(),
        stage,
        reason);
    return record;
  }

  /** The dead-letter topic: a dead letter that cannot be written is never dead-lettered again. */
  String topic() {
    return topic;
  }

  private ProducerRecord<byte[], byte[]> record(
      ErrorHandlerContext context,
      String stage,
      String reason,
      Exception error,
      byte[] key,
      byte[] value) {
    DeadLetter letter =
        Originals.attach(
                DeadLetter.newBuilder()
                    .setStage(stage)
                    .setReason(reason)
                    .setError(Originals.error(describe(error)))
                    .setTopic(context.topic())
                    .setPartition(context.partition())
                    .setOffset(context.offset())
                    .setFailedAt(Instant.ofEpochMilli(System.currentTimeMillis())),
                key,
                value)
            .build();
    return new ProducerRecord<>(
        topic, Originals.cut(key, Originals.MAX_KEY_BYTES), serdes.serialize(topic, letter));
  }

  private void write(byte[] key, DeadLetter letter) throws Exception {
    producer()
        .send(new ProducerRecord<>(topic, key, serdes.serialize(topic, letter)))
        .get(30, TimeUnit.SECONDS);
  }

  static String describe(Exception error) {
    StringBuilder sb = new StringBuilder();
    Throwable t = error;
    while (t != null && sb.length() < 2000) {
      if (sb.length() > 0) {
        sb.append(" <- ");
      }
      sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
      t = t.getCause() == t ? null : t.getCause();
    }
    return sb.toString();
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close();
      producer = null;
    }
  }
}
