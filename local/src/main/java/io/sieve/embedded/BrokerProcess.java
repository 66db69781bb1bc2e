package io.sieve.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The embedded KRaft broker in a child JVM of its own, so that a measurement of Sieve in this
 * process does not also count the broker's CPU, heap and garbage collection. The child runs {@link
 * #main} on this process's class path and lives as long as its standard input stays open: when this
 * process dies, however it dies, the broker stops with it.
 */
public final class BrokerProcess implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Process process;
  private final OutputStream lifeline;
  private final String bootstrapServers;

  private BrokerProcess(Process process, String bootstrapServers) {
    this.process = process;
    this.lifeline = process.getOutputStream();
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts a broker with its data under {@code dir}, its log in {@code dir/broker.log}. */
  public static BrokerProcess start(Path dir, String maxHeap) throws IOException {
    Files.createDirectories(dir);
    Path ready = dir.resolve("bootstrap.txt");
    Files.deleteIfExists(ready);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + maxHeap);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BrokerProcess.class.getName());
    command.add(dir.resolve("data").toString());
    command.add(ready.toString());
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()))
            .start();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!Files.exists(ready)) {
      if (!process.isAlive()) {
        throw new IOException(
            "the broker process exited at start (code "
                + process.exitValue()
                + "); see "
                + dir.resolve("broker.log"));
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IOException("the broker process did not start within " + READY_TIMEOUT);
      }
      sleep(50);
    }
    String bootstrap = Files.readString(ready, StandardCharsets.UTF_8).trim();
    return new BrokerProcess(process, bootstrap);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The broker process's id, for CPU accounting by the caller. */
  public long pid() {
    return process.pid();
  }

  /** Creates a topic (left alone when it exists). */
  public void createTopic(String name, int partitions, Map<String, String> configs)
      throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(name)) {
        return;
      }
      NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs);
      admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
      // a producer that writes before every partition has its leader may see its first batch
      // refused and the next one out of sequence; wait until the leaders are known
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        if (leadersKnown(admin, name, partitions)) {
          return;
        }
        Thread.sleep(20);
      }
    }
  }

  /**
   * Whether every partition of a new topic has a leader; false while the topic is not yet known.
   */
  private static boolean leadersKnown(Admin admin, String name, int partitions) throws Exception {
    TopicDescription d;
    try {
      d = admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw e;
    }
    return d.partitions().size() == partitions
        && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
  }

  @Override
  public void close() {
    try {
      lifeline.close();
    } catch (IOException e) {
      // the child is gone already
    }
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The child: starts the broker on {@code args[0]}, writes its bootstrap address to {@code
   * args[1]} once it serves, and stops when standard input reaches its end.
   */
  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    Path ready = Path.of(args[1]);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data, Map.of())) {
      Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
      Files.writeString(tmp, kafka.bootstrapServers(), StandardCharsets.UTF_8);
      Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE);
      while (System.in.read() >= 0) {
        // wait for the parent to close the lifeline
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
