package io.sieve.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaIT {

  @Test
  void transactionalWritesAreReadBackByReadCommittedConsumer() throws Exception {
    try (EmbeddedKafka kafka = timedStart()) {
      kafka.createTopic("tx-test", 2, Map.of("cleanup.policy", "delete"));
      // idempotent: a second call leaves the existing topic alone
      kafka.createTopic("tx-test", 2, Map.of());

      int count = 20;
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  kafka.bootstrapServers(),
                  ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                  "embedded-kafka-it",
                  ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                  true),
              new StringSerializer(),
              new StringSerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        for (int i = 0; i < count; i++) {
          producer.send(new ProducerRecord<>("tx-test", "k" + i, "v" + i));
        }
        producer.commitTransaction();

        // an aborted transaction must stay invisible to read_committed consumers
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("tx-test", "aborted", "aborted"));
        producer.flush();
        producer.abortTransaction();
      }

      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                  ConsumerConfig.GROUP_ID_CONFIG, "embedded-kafka-it",
                  ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                  ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
              new StringDeserializer(),
              new StringDeserializer())) {
        consumer.subscribe(List.of("tx-test"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (values.size() < count && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            values.add(r.value());
          }
        }
        // drain a little longer to make sure the aborted record never shows up
        for (int i = 0; i < 3; i++) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            values.add(r.value());
          }
        }
      }
      assertThat(values).hasSize(count).doesNotContain("aborted");
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        expected.add("v" + i);
      }
      assertThat(values).containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    try (EmbeddedKafka kafka = timedStart();
        Admin admin = kafka.newAdmin()) {
      assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");
      Collection<Node> nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
      assertThat(nodes).hasSize(1);
      Node node = nodes.iterator().next();
      assertThat(node.host()).isEqualTo("127.0.0.1");
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + node.port());

      // nothing answers on the broker port at any non-loopback address of this machine
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
            continue;
          }
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, node.port()), 1000);
            throw new AssertionError("broker port reachable on " + address);
          } catch (IOException expected) {
            // refused or unreachable: not bound there
          }
        }
      }
    }
  }

  @Test
  void startCloseAndStartAgainInTheSameJvm() throws Exception {
    EmbeddedKafka first = timedStart();
    Path firstDir = first.dataDir();
    String firstBootstrap = first.bootstrapServers();
    assertThat(firstDir).isDirectory();
    first.createTopic("restart-test", 1, Map.of());
    first.close();
    first.close(); // idempotent
    assertThat(Files.exists(firstDir)).isFalse();

    try (EmbeddedKafka second = timedStart()) {
      assertThat(second.dataDir()).isNotEqualTo(firstDir);
      second.createTopic("restart-test", 1, Map.of());
      try (Admin admin = second.newAdmin()) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("restart-test");
      }
      System.out.printf(
          "EmbeddedKafkaIT: restarted broker, first %s, second %s%n",
          firstBootstrap, second.bootstrapServers());
    }
  }

  @Test
  void keepsAGivenDataDirAcrossRestarts(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, Map.of())) {
      kafka.createTopic("persisted", 1, Map.of());
    }
    assertThat(dir).isDirectory();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, Map.of());
        Admin admin = kafka.newAdmin()) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("persisted");
    }
  }

  private static EmbeddedKafka timedStart() throws Exception {
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start(null, Map.of());
    System.out.printf(
        "EmbeddedKafkaIT: broker started on %s in %d ms%n",
        kafka.bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    return kafka;
  }
}
