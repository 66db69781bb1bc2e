package io.sieve.bench;

import io.sieve.embedded.BrokerProcess;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 */
final class HopFloor {

  private HopFloor() {}

  /**
   * Times {@code count} transactions of one {@code payloadBytes} record each on a fresh topic.
   *
   * @return p50 and p99 of the commit alone and of send → read, in milliseconds
   */
  static Map<String, Object> measure(BrokerProcess kafka, String topic, int count, int payloadBytes)
      throws Exception {
    kafka.createTopic(topic, 1, Map.of("max.message.bytes", Integer.toString(payloadBytes + 1024)));
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-probe");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, payloadBytes + 1024);
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-probe");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, payloadBytes + 1024);
    long[] commit = new long[count];
    long[] read = new long[count];
    byte[] payload = new byte[payloadBytes];
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        KafkaConsumer<String, byte[]> consumer =
            new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      producer.initTransactions();
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(50));
      }
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "k", payload));
        producer.commitTransaction();
        long committed = System.nanoTime();
        int got = 0;
        while (got == 0) {
          got = consumer.poll(Duration.ofMillis(100)).count();
        }
        long received = System.nanoTime();
        commit[i] = committed - start;
        read[i] = received - start;
      }
    }
    Arrays.sort(commit);
    Arrays.sort(read);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("transactions", count);
    m.put("payloadBytes", payloadBytes);
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
