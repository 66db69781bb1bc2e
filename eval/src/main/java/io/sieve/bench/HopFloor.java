package io.sieve.bench;

import io.sieve.embedded.BrokerProcess;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The floor under any exactly-once hop on this broker and machine, without Kafka Streams: one
 * record written and committed in its own transaction, timed until a {@code read_committed}
 * consumer has it. A release is at least one such hop (the trainer's feedback read, the batch
 * written, the transaction committed, the trainer's fetch), so no configuration of Sieve gives a
 * trainer its batch faster than this.
 *
 * <p>With an input ({@code consumeProduce}), the hop is the whole of what a release does: a small
 * record (the credit) sent to an input topic, read by a consumer of a group, the payload written
 * and the consumer's offset added to the transaction ({@code sendOffsetsToTransaction}, as every
 * exactly-once Kafka Streams commit does), the transaction committed, and the payload read; timed
 * from the credit's send. Such a transaction begun just after the last one committed is often
 * refused as concurrent when its offsets are added, and the producer retries after {@code
 * retry.backoff.ms}: with the client's default (100 ms) that is the p99 of the hop; Sieve's stream
 * threads retry after {@link io.sieve.config.SieveConfig#PRODUCER_RETRY_BACKOFF_MS}.
 */
final class HopFloor {

  private HopFloor() {}

  /**
   * Times {@code count} transactions of one {@code payloadBytes} record each on a fresh topic.
   *
   * @param consumeProduce whether each transaction is the hop of a consumed record (see above)
   * @param retryBackoffMs the producer's {@code retry.backoff.ms}, or 0 for the client's default
   * @return p50 and p99 of the commit alone and of send → read, in milliseconds
   */
  static Map<String, Object> measure(
      BrokerProcess kafka,
      String topic,
      int count,
      int payloadBytes,
      boolean consumeProduce,
      int retryBackoffMs)
      throws Exception {
    kafka.createTopic(topic, 1, Map.of("max.message.bytes", Integer.toString(payloadBytes + 1024)));
    String input = topic + ".in";
    if (consumeProduce) {
      kafka.createTopic(input, 1, Map.of());
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-probe");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, payloadBytes + 1024);
    if (retryBackoffMs > 0) {
      p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, retryBackoffMs);
    }
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-probe");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, payloadBytes + 1024);
    Properties in = new Properties();
    in.putAll(c);
    in.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-hop");
    in.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Properties credits = new Properties();
    credits.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    credits.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    long[] commit = new long[count];
    long[] read = new long[count];
    byte[] payload = new byte[payloadBytes];
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        KafkaConsumer<String, byte[]> consumer =
            new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        // the credit's writer and reader only for a consumed hop (a null resource is not closed)
        KafkaProducer<String, byte[]> creditProducer =
            consumeProduce
                ? new KafkaProducer<>(credits, new StringSerializer(), new ByteArraySerializer())
                : null;
        KafkaConsumer<String, byte[]> hop =
            consumeProduce
                ? new KafkaConsumer<>(in, new StringDeserializer(), new ByteArrayDeserializer())
                : null) {
      producer.initTransactions();
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(50));
      }
      if (consumeProduce) {
        hop.subscribe(List.of(input));
        while (hop.assignment().isEmpty() && System.nanoTime() < deadline) {
          hop.poll(Duration.ofMillis(50));
        }
      }
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(2);
        if (consumeProduce) {
          creditProducer.send(new ProducerRecord<>(input, "k", new byte[100]));
          while (offsets.isEmpty()) {
            for (ConsumerRecord<String, byte[]> r : hop.poll(Duration.ofMillis(100))) {
              offsets.put(
                  new TopicPartition(r.topic(), r.partition()),
                  new OffsetAndMetadata(r.offset() + 1));
            }
          }
        }
        long begin = System.nanoTime();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "k", payload));
        if (consumeProduce) {
          producer.sendOffsetsToTransaction(offsets, hop.groupMetadata());
        }
        producer.commitTransaction();
        long committed = System.nanoTime();
        int got = 0;
        while (got == 0) {
          got = consumer.poll(Duration.ofMillis(100)).count();
        }
        long received = System.nanoTime();
        commit[i] = committed - begin;
        read[i] = received - start;
      }
    }
    Arrays.sort(commit);
    Arrays.sort(read);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("transactions", count);
    m.put("payloadBytes", payloadBytes);
    m.put("consumeProduce", consumeProduce);
    m.put("retryBackoffMs", retryBackoffMs > 0 ? retryBackoffMs : null);
    m.put("commitP50Ms", ms(commit, 0.50));
    m.put("commitP99Ms", ms(commit, 0.99));
    m.put("sendToReadP50Ms", ms(read, 0.50));
    m.put("sendToReadP99Ms", ms(read, 0.99));
    return m;
  }

  private static double ms(long[] sorted, double q) {
    int i = Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1);
    return Math.round(sorted[Math.max(0, i)] / 1e5) / 10.0;
  }
}
