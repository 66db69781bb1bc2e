package io.sieve.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sieve.avro.BatchManifest;
import io.sieve.avro.ManifestExample;
import io.sieve.config.SieveConfig;
import io.sieve.serde.AvroSerdes;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sieve manifest}: prints the manifest of one batch of a trainer as JSON. Manifests are
 * keyed by trainer id, so a trainer's manifests are all on the partition its id hashes to (as the
 * producer's default partitioner places them); only that partition is read, from its oldest record
 * to its end when the command started. It joins no consumer group.
 */
@Command(
    name = "manifest",
    mixinStandardHelpOptions = true,
    description = {
      "Prints, as JSON, the manifest of one batch of a trainer: its policy, state version and"
          + " seed, and per example the id, cluster, cycle, groups, sampling weight and score.",
      "Reads committed records of the trainer's partition of topic.manifests; exits 1 when"
          + " there is no such manifest (never written, or older than manifests.retention.ms)."
    })
final class ManifestCommand implements Callable<Integer> {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;

  @Mixin ConnectionOptions connection;

  @Option(names = "--trainer", required = true, paramLabel = "ID", description = "Trainer id.")
  String trainerId;

  @Option(
      names = "--batch",
      required = true,
      paramLabel = "N",
      description = "The batch's sequence number (TrainingBatch.sequence, from 0).")
  long sequence;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      description = "Give up reading the topic after this long (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws JsonProcessingException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SieveConfig config = connection.sieveConfig();
    AvroSerdes serdes = ConnectionOptions.serdes(config);
    String topic = config.getString(SieveConfig.TOPIC_MANIFESTS_CONFIG);

    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG) + 65_536);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
      if (partitions == null || partitions.isEmpty()) {
        err.println("no topic " + topic + " (has this Sieve written any batch yet?)");
        return 1;
      }
      TopicPartition partition =
          new TopicPartition(topic, partitionOf(trainerId, partitions.size()));
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      BatchManifest found = null;
      long scanned = 0;
      long unreadable = 0;
      while (consumer.position(partition) < end) {
        if (System.nanoTime() > deadline) {
          err.printf(
              "gave up after %s: read %d of the manifests on %s, up to offset %d of %d; try a"
                  + " longer --timeout%n",
              timeout, scanned, partition, consumer.position(partition), end);
          return 1;
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          scanned++;
          if (!trainerId.equals(r.key()) || r.offset() >= end) {
            continue;
          }
          BatchManifest m;
          try {
            m = serdes.deserialize(topic, r.value(), BatchManifest.class);
          } catch (SerializationException e) {
            // not Sieve's record: it cannot be the manifest asked for; say so at the end
            unreadable++;
            continue;
          }
          // a trainer deleted and declared again starts its sequence over: the newest wins
          if (m != null && m.getSequence() == sequence) {
            found = m;
          }
        }
      }
      if (unreadable > 0) {
        err.printf(
            "skipped %d record(s) keyed %s on %s that are not manifests%n",
            unreadable, trainerId, partition);
      }
      if (found == null) {
        err.printf(
            "no manifest of batch %d of trainer %s on %s (%d records read): the batch was not"
                + " written, or its manifest is older than the topic's retention%n",
            sequence, trainerId, partition, scanned);
        return 1;
      }
      out.println(json(found));
      out.flush();
      return 0;
    }
  }

  /** The partition the producer's default partitioner gives a record keyed {@code trainerId}. */
  static int partitionOf(String trainerId, int partitions) {
    return Utils.toPositive(Utils.murmur2(trainerId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The manifest as JSON: times as ISO-8601, a missing score as null. */
  static String json(BatchManifest m) throws JsonProcessingException {
    ObjectNode root = JSON.createObjectNode();
    root.put("trainerId", m.getTrainerId());
    root.put("sequence", m.getSequence());
    root.put("batchId", m.getBatchId());
    root.put("round", m.getRound());
    root.put("cycle", m.getCycle());
    root.put("policy", m.getPolicy());
    root.put("policyStateVersion", m.getPolicyStateVersion());
    root.put("seed", m.getSeed());
    root.put("modelVersion", m.getModelVersion());
    root.put("requested", m.getRequested());
    root.put("size", m.getExamples().size());
    root.put("complete", m.getComplete());
    root.put("plannedAt", m.getPlannedAt().toString());
    root.put("createdAt", m.getCreatedAt().toString());
    ArrayNode examples = root.putArray("examples");
    for (ManifestExample e : m.getExamples()) {
      ObjectNode x = examples.addObject();
      x.put("id", e.getId());
      x.put("clusterId", e.getClusterId());
      x.put("cycle", e.getCycle());
      ObjectNode groups = x.putObject("groups");
      new TreeMap<>(e.getGroups()).forEach(groups::put);
      x.put("weight", e.getWeight());
      if (e.getScore() == null) {
        x.putNull("score");
      } else {
        x.put("score", e.getScore());
      }
    }
    return JSON.writeValueAsString(root);
  }
}
