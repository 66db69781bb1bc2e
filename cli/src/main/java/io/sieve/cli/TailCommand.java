package io.sieve.cli;

import io.sieve.avro.TrainingBatch;
import io.sieve.config.SieveConfig;
import io.sieve.serde.AvroSerdes;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sieve tail}: follows a trainer's batch topic and prints one line per batch. It reads
 * without a consumer group (assigned partitions, no commits), so it never takes batches from the
 * trainer or moves its offsets.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the batches Sieve writes for a trainer, one line each: sequence, size/requested,"
          + " complete or not, cycle, policy, the largest clusters' shares and the group shares.",
      "Reads committed records only and joins no consumer group, so the trainer is not disturbed."
    })
final class TailCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ConnectionOptions connection;

  @Option(
      names = "--trainer",
      required = true,
      paramLabel = "ID",
      description = "Trainer id: reads <topic.batches.prefix><ID>.")
  String trainerId;

  @Option(
      names = "--from-beginning",
      description = "Start at the oldest batch still on the topic instead of the next new one.")
  boolean fromBeginning;

  @Option(
      names = "--max",
      paramLabel = "N",
      defaultValue = "0",
      description = "Stop after N batches (default: follow until interrupted).")
  long max;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Stop after this long (for example 30s), however many batches came.")
  Duration timeout;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SieveConfig config = connection.sieveConfig();
    AvroSerdes serdes = ConnectionOptions.serdes(config);
    String topic = config.batchTopic(trainerId);

    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG) + 65_536);
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    long printed = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      Thread hook = new Thread(consumer::wakeup, "sieve-tail-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (partitions == null || partitions.isEmpty()) {
          err.println("no topic " + topic + " (is trainer " + trainerId + " declared?)");
          return 1;
        }
        List<TopicPartition> assigned =
            partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(assigned);
        if (fromBeginning) {
          consumer.seekToBeginning(assigned);
        } else {
          consumer.seekToEnd(assigned);
        }
        while ((max <= 0 || printed < max) && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            TrainingBatch batch = serdes.deserialize(topic, r.value(), TrainingBatch.class);
            if (batch == null) {
              continue;
            }
            out.println(BatchLine.format(batch));
            out.flush();
            printed++;
            if (max > 0 && printed >= max) {
              break;
            }
          }
        }
      } catch (WakeupException e) {
        // interrupted: stop quietly after what was printed
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running: the JVM is exiting anyway
        }
      }
    }
    return 0;
  }
}
