package io.sieve.config;

import io.sieve.avro.BatchManifest;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.serde.AvroSerdes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;

/** The topics of the service, built once from the configuration. */
public record Topics(
    Topic<String, TrainingExample> examples,
    Topic<String, TrainerSpec> trainers,
    Topic<String, TrainerFeedback> feedback,
    Topic<String, TrainerControl> controls,
    Topic<Bytes, DeadLetter> deadLetters,
    Topic<String, CentroidModel> centroids,
    Topic<Integer, ClusterStats> clusterStats,
    Topic<String, BatchManifest> manifests,
    long manifestsRetentionMs,
    String batchesPrefix,
    Serde<TrainingBatch> batchSerde) {

  /** The single key of the centroid model on its compacted topic. */
  public static final String MODEL_KEY = "model";

  public static Topics from(SieveConfig config, AvroSerdes serdes) {
    Serde<String> strings = Serdes.String();
    return new Topics(
        new Topic<>(
            config.getString(SieveConfig.TOPIC_EXAMPLES_CONFIG),
            strings,
            serdes.forClass(TrainingExample.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_TRAINERS_CONFIG),
            strings,
            serdes.forClass(TrainerSpec.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_FEEDBACK_CONFIG),
            strings,
            serdes.forClass(TrainerFeedback.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG),
            strings,
            serdes.forClass(TrainerControl.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG),
            Serdes.Bytes(),
            serdes.forClass(DeadLetter.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_CENTROIDS_CONFIG),
            strings,
            serdes.forClass(CentroidModel.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG),
            Serdes.Integer(),
            serdes.forClass(ClusterStats.class, false)),
        new Topic<>(
            config.getString(SieveConfig.TOPIC_MANIFESTS_CONFIG),
            strings,
            serdes.forClass(BatchManifest.class, false)),
        config.getLong(SieveConfig.MANIFESTS_RETENTION_CONFIG),
        config.getString(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG),
        serdes.forClass(TrainingBatch.class, false));
  }

  public String batchTopic(String trainerId) {
    return batchesPrefix + trainerId;
  }

  /**
   * Topics that must have one partition count: the planner reads a trainer's spec, its feedback and
   * its operators' controls in one task, chosen by the key's partition, so a trainer's records must
   * land on the same partition number of each.
   */
  public List<List<String>> coPartitioned() {
    return List.of(List.of(trainers.name(), feedback.name(), controls.name()));
  }

  /** A topic the service creates at start-up, with its partitions and topic configs. */
  public record Spec(String name, int partitions, Map<String, String> configs) {}

  /**
   * The topics Sieve needs before its topology starts. Trainers, feedback and controls must be
   * co-partitioned (the planner reads them together), so they share one partition count; the model
   * topic has one partition, since one owner writes it.
   */
  public List<Spec> required(int partitions) {
    return required(partitions, -1);
  }

  /**
   * As {@link #required(int)}, with the centroid topic's {@code max.message.bytes} set to {@code
   * maxRecordBytes} (the model is one record that grows with {@code cluster.k.max}); a negative
   * value leaves the broker's default. The manifests topic gets the same limit (a manifest is never
   * larger than its batch) and deletes by {@code manifests.retention.ms}: keyed by trainer id, a
   * compacted topic would keep only each trainer's last manifest.
   */
  public List<Spec> required(int partitions, int maxRecordBytes) {
    Map<String, String> compact =
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    Map<String, String> model =
        maxRecordBytes < 0
            ? compact
            : Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                Integer.toString(maxRecordBytes));
    return List.of(
        new Spec(examples.name(), partitions, Map.of()),
        new Spec(trainers.name(), partitions, compact),
        new Spec(feedback.name(), partitions, Map.of()),
        // kept for good: controls are few and small, and a replay must see every one
        new Spec(controls.name(), partitions, Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")),
        new Spec(deadLetters.name(), partitions, Map.of()),
        new Spec(centroids.name(), 1, model),
        new Spec(clusterStats.name(), partitions, compact),
        new Spec(manifests.name(), partitions, manifestConfigs(maxRecordBytes)));
  }

  private Map<String, String> manifestConfigs(int maxRecordBytes) {
    Map<String, String> out = new TreeMap<>();
    out.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    out.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(manifestsRetentionMs));
    if (maxRecordBytes >= 0) {
      out.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxRecordBytes));
    }
    return out;
  }
}
