package io.sieve.topology;

import io.sieve.assemble.AssembleProcessor;
import io.sieve.assemble.Manifests;
import io.sieve.assemble.RecentBatchesProcessor;
import io.sieve.assemble.Shards;
import io.sieve.assign.AssignProcessor;
import io.sieve.assign.ModelOwnerProcessor;
import io.sieve.avro.BatchComposition;
import io.sieve.avro.BatchExample;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.ModelUpdate;
import io.sieve.avro.PlanFragment;
import io.sieve.avro.ScoreUpdate;
import io.sieve.avro.Selection;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Assigned;
import io.sieve.config.BatchTopics;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.dedup.DedupProcessor;
import io.sieve.embed.Embedder;
import io.sieve.embed.Embedders;
import io.sieve.feedback.ScoreRouterProcessor;
import io.sieve.plan.Planned;
import io.sieve.plan.PlannerProcessor;
import io.sieve.plan.TrainerEvent;
import io.sieve.pool.FulfilProcessor;
import io.sieve.pool.PoolProcessor;
import io.sieve.pool.Redundancy;
import io.sieve.pool.ScoreUpdateProcessor;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.Outcome;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import io.sieve.validate.ValidateProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Sieve topology, a pure function of its configuration and serdes.
 *
 * <pre>
 * examples → validate ─┬→ dead letters
 *                      └→ key by content → [by-content] → dedup → assign ─┬→ [by-cluster] → pool → cluster stats
 *                                                                         └→ [model-updates] → model owner → centroids
 *   with dedup.scope=cluster: validate → assign → [by-cluster] → dedup → pool (one repartition)
 * trainers, feedback, controls → planner ─┬→ dead letters
 *                                         ├→ [plan-by-cluster] → fulfil (reads pool) → [selections-by-batch] → assemble → [staged-by-trainer] → planner-staged ─┐
 *                                         └→ release on credit, in sequence order ←───────────────────────────────────────────────────────────────────────────┘
 *                                              ├→ shards → sieve.batches.&lt;trainer&gt; (rank r → partition r)
 *                                              ├→ sieve.manifests (keyed by trainer)
 *                                              └→ [compositions-by-trainer] → recent batches
 * feedback with example losses → [feedback-by-batch] → score router (reads assembly) → [score-updates] → score update (writes the trainer's scores beside the pool)
 * </pre>
 *
 * Bracketed names are repartition topics. The centroid model and the cluster statistics come back
 * to every instance as global stores.
 */
public final class SieveTopology {

  private SieveTopology() {}

  public static Topology build(
      SieveConfig config, Topics topics, AvroSerdes serdes, SieveMetrics metrics) {
    return build(config, topics, serdes, metrics, BatchTopics.ALL_READY);
  }

  /**
   * The topology; {@code batchTopics} tells the planner which trainers' batch topics can be written
   * (the service's topic provisioner knows).
   */
  public static Topology build(
      SieveConfig config,
      Topics topics,
      AvroSerdes serdes,
      SieveMetrics metrics,
      BatchTopics batchTopics) {
    StreamsBuilder builder = new StreamsBuilder();
    Stores stores = new Stores(serdes);
    int partitions = config.partitions();

    Duration dedupRetention = Duration.ofMillis(config.getLong(SieveConfig.DEDUP_RETENTION_CONFIG));
    builder.addStateStore(stores.dedup(dedupRetention));
    builder.addStateStore(stores.awaitingModel());
    builder.addStateStore(stores.modelOwner());
    builder.addStateStore(stores.pool());
    builder.addStateStore(stores.poolStats());
    builder.addStateStore(stores.scores());
    builder.addStateStore(stores.poolIndex());
    builder.addStateStore(stores.served());
    builder.addStateStore(stores.nearWindow());
    builder.addStateStore(stores.trainers());
    builder.addStateStore(stores.stagedBatches());
    builder.addStateStore(stores.assembly());
    builder.addStateStore(stores.recentBatches());
    builder.addGlobalStore(
        stores.centroids(),
        topics.centroids().name(),
        topics.centroids().consumed("centroids"),
        () -> new GlobalStoreUpdater<>(Stores.CENTROIDS));
    builder.addGlobalStore(
        stores.clusterStats(),
        topics.clusterStats().name(),
        topics.clusterStats().consumed("cluster-stats"),
        () -> new GlobalStoreUpdater<>(Stores.CLUSTER_STATS));

    // validate and embed
    Embedder embedder = Embedders.fromConfig(config);
    Map<String, KStream<String, Outcome<TrainingExample>>> validated =
        builder.stream(topics.examples().name(), topics.examples().consumed("examples-source"))
            .peek((k, v) -> metrics.exampleIn(), Named.as("count-examples"))
            .process(
                () ->
                    new ValidateProcessor(
                        config.dimension(),
                        embedder,
                        topics.examples().valueSerde().serializer(),
                        topics.examples().name(),
                        ValidateProcessor.Limits.from(config)),
                Named.as("validate"))
            .split(Named.as("validated-"))
            .branch((k, v) -> v.isOk(), Branched.as("ok"))
            .defaultBranch(Branched.as("rejected"));
    deadLetters(validated.get("validated-rejected"), topics, metrics, "validate");

    // deduplicate by content (global scope), then assign to a cluster
    boolean dedupEnabled = config.getBoolean(SieveConfig.DEDUP_ENABLED_CONFIG);
    boolean dedupInPool =
        SieveConfig.DEDUP_SCOPE_CLUSTER.equals(config.getString(SieveConfig.DEDUP_SCOPE_CONFIG));
    KStream<String, TrainingExample> unique =
        validated.get("validated-ok").mapValues(Outcome::value, Named.as("unwrap-valid"));
    if (!dedupInPool) {
      unique =
          unique
              .selectKey((k, v) -> DedupProcessor.contentHash(v), Named.as("key-by-content"))
              .repartition(
                  Repartitioned.with(Serdes.String(), serdes.internal(TrainingExample.class))
                      .withName("by-content")
                      .withNumberOfPartitions(partitions));
      if (dedupEnabled) {
        unique =
            unique.process(
                () -> DedupProcessor.global(metrics, dedupRetention),
                Named.as("dedup"),
                Stores.DEDUP);
      }
    }
    Map<String, KStream<String, Assigned>> assigned =
        unique
            .process(
                () ->
                    new AssignProcessor(
                        config.getInt(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG),
                        Duration.ofMillis(
                            config.getLong(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG)),
                        config.getDouble(SieveConfig.CLUSTER_SPAWN_DISTANCE_CONFIG),
                        config.getInt(SieveConfig.CLUSTER_K_MAX_CONFIG)),
                Named.as("assign"),
                Stores.AWAITING_MODEL)
            .split(Named.as("assigned-"))
            .branch((k, v) -> v instanceof Assigned.ToPool, Branched.as("to-pool"))
            .defaultBranch(Branched.as("to-owner"));

    // the model owner: one partition, one writer of the model
    assigned
        .get("assigned-to-owner")
        .mapValues(v -> ((Assigned.ToOwner) v).update(), Named.as("unwrap-model-update"))
        .repartition(
            Repartitioned.with(Serdes.String(), serdes.internal(ModelUpdate.class))
                .withName("model-updates")
                .withNumberOfPartitions(1))
        .process(
            () ->
                new ModelOwnerProcessor(
                    config.dimension(),
                    config.getInt(SieveConfig.CLUSTER_K_INIT_CONFIG),
                    config.getInt(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG),
                    Duration.ofSeconds(5),
                    config.getDouble(SieveConfig.CLUSTER_HALF_LIFE_CONFIG),
                    config.getLong(SieveConfig.CLUSTER_SEED_CONFIG),
                    config.getDouble(SieveConfig.CLUSTER_SPAWN_DISTANCE_CONFIG),
                    config.getInt(SieveConfig.CLUSTER_K_MAX_CONFIG)),
            Named.as("model-owner"),
            Stores.MODEL_OWNER)
        .to(topics.centroids().name(), topics.centroids().produced("centroids-sink"));

    // pool, keyed by cluster
    KStream<Integer, BatchExample> byCluster =
        assigned
            .get("assigned-to-pool")
            .map(
                (k, v) -> {
                  Assigned.ToPool p = (Assigned.ToPool) v;
                  return KeyValue.pair(p.clusterId(), p.example());
                },
                Named.as("key-by-cluster"))
            .repartition(
                Repartitioned.with(Serdes.Integer(), serdes.internal(BatchExample.class))
                    .withName("by-cluster")
                    .withNumberOfPartitions(partitions));
    if (dedupInPool && dedupEnabled) {
      byCluster =
          byCluster.process(
              () -> DedupProcessor.inPool(metrics, dedupRetention),
              Named.as("dedup"),
              Stores.DEDUP);
    }
    byCluster
        .process(
            () ->
                new PoolProcessor(
                    config.getInt(SieveConfig.POOL_CAPACITY_CONFIG),
                    config.getLong(SieveConfig.CLUSTER_SEED_CONFIG),
                    Duration.ofMillis(config.getLong(SieveConfig.STATS_INTERVAL_CONFIG)),
                    metrics,
                    Redundancy.from(config)),
            Named.as("pool"),
            Stores.POOL,
            Stores.POOL_STATS,
            Stores.NEAR_WINDOW,
            Stores.POOL_INDEX,
            Stores.SERVED)
        .to(topics.clusterStats().name(), topics.clusterStats().produced("cluster-stats-sink"));

    // plan → fulfil → assemble
    KStream<String, TrainerEvent> specs =
        builder.stream(topics.trainers().name(), topics.trainers().consumed("trainers-source"))
            .mapValues(
                v -> (TrainerEvent) new TrainerEvent.SpecChanged(v), Named.as("spec-events"));
    KStream<String, TrainerFeedback> feedbackRecords =
        builder.stream(topics.feedback().name(), topics.feedback().consumed("feedback-source"));
    KStream<String, TrainerEvent> feedback =
        feedbackRecords.mapValues(
            v -> (TrainerEvent) new TrainerEvent.Feedback(v), Named.as("feedback-events"));
    // operators' controls, co-partitioned with specs and feedback: one task sees them in order
    KStream<String, TrainerEvent> controls =
        builder.stream(
                topics.controls().name(), topics.controls().consumed("trainer-controls-source"))
            .mapValues(v -> (TrainerEvent) new TrainerEvent.Control(v), Named.as("control-events"));
    Map<String, KStream<String, Outcome<Planned>>> planned =
        specs
            .merge(feedback, Named.as("trainer-events"))
            .merge(controls, Named.as("trainer-and-control-events"))
            .process(
                () -> planner(config, metrics, batchTopics, false),
                Named.as("planner"),
                Stores.TRAINERS,
                Stores.STAGED_BATCHES)
            .split(Named.as("planned-"))
            .branch((k, v) -> !v.isOk(), Branched.as("rejected"))
            .branch((k, v) -> v.value() instanceof Planned.Fragment, Branched.as("fragments"))
            .defaultBranch(Branched.as("released"));
    deadLetters(planned.get("planned-rejected"), topics, metrics, "planner");

    Map<String, KStream<String, Outcome<TrainingBatch>>> assembled =
        planned
            .get("planned-fragments")
            .map(
                (k, v) -> {
                  PlanFragment f = ((Planned.Fragment) v.value()).fragment();
                  return KeyValue.pair(f.getClusterId(), f);
                },
                Named.as("key-fragment-by-cluster"))
            .repartition(
                Repartitioned.with(Serdes.Integer(), serdes.internal(PlanFragment.class))
                    .withName("plan-by-cluster")
                    .withNumberOfPartitions(partitions))
            .process(
                () -> new FulfilProcessor(config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG)),
                Named.as("fulfil"),
                Stores.POOL,
                Stores.SCORES,
                Stores.POOL_INDEX,
                Stores.SERVED)
            .repartition(
                Repartitioned.with(Serdes.String(), serdes.internal(Selection.class))
                    .withName("selections-by-batch")
                    .withNumberOfPartitions(partitions))
            .process(
                () ->
                    new AssembleProcessor(
                        Duration.ofMillis(config.getLong(SieveConfig.BATCH_TIMEOUT_CONFIG)),
                        config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG),
                        batchSizer(topics, serdes),
                        metrics),
                Named.as("assemble"),
                Stores.ASSEMBLY)
            .split(Named.as("assembled-"))
            .branch((k, v) -> v.isOk(), Branched.as("ok"))
            .defaultBranch(Branched.as("rejected"));
    deadLetters(assembled.get("assembled-rejected"), topics, metrics, "assembler");

    // assembled batches go back to their trainer's planner task (keyed by trainer, partitioned as
    // the trainers topic), which releases them on credit in sequence order. Kafka Streams' DSL has
    // no cycles, so a second node of the planner, sharing its stores (and so its task), takes them.
    Map<String, KStream<String, Outcome<Planned>>> releasedOnArrival =
        assembled
            .get("assembled-ok")
            .mapValues(Outcome::value, Named.as("unwrap-batch"))
            .repartition(
                Repartitioned.with(Serdes.String(), serdes.internal(TrainingBatch.class))
                    .withName("staged-by-trainer")
                    .withNumberOfPartitions(partitions))
            .mapValues(v -> (TrainerEvent) new TrainerEvent.Staged(v), Named.as("staged-events"))
            .process(
                () -> planner(config, metrics, batchTopics, true),
                Named.as("planner-staged"),
                Stores.TRAINERS,
                Stores.STAGED_BATCHES)
            .split(Named.as("staged-"))
            .branch((k, v) -> !v.isOk(), Branched.as("rejected"))
            .defaultBranch(Branched.as("released"));
    deadLetters(releasedOnArrival.get("staged-rejected"), topics, metrics, "planner-staged");

    KStream<String, TrainingBatch> written =
        planned
            .get("planned-released")
            .merge(releasedOnArrival.get("staged-released"), Named.as("released"))
            .mapValues(v -> ((Planned.Release) v.value()).batch(), Named.as("unwrap-release"));
    // one record per data-parallel rank, rank r's shard to partition r; the provisioner gave the
    // topic that many partitions before the planner planned for them. The partition count the
    // partitioner is told may be stale just after the topic grew: the producer refreshes its
    // metadata for a partition it does not know yet, so it is not consulted.
    written
        .flatMapValues(Shards::of, Named.as("batch-shards"))
        .to(
            (key, batch, ctx) -> topics.batchTopic(batch.getTrainerId()),
            org.apache.kafka.streams.kstream.Produced.with(Serdes.String(), topics.batchSerde())
                .withStreamPartitioner(
                    (String topic, String key, TrainingBatch batch, int known) ->
                        Optional.of(Set.of(batch.getRank())))
                .withName("batches-sink"));
    // each batch's manifest, in the same transaction as the batch (the same task writes both)
    written
        .mapValues(Manifests::of, Named.as("batch-manifest"))
        .to(topics.manifests().name(), topics.manifests().produced("manifests-sink"));

    // the last compositions per trainer, for the REST API
    written
        .mapValues(RecentBatchesProcessor::composition, Named.as("batch-composition"))
        .repartition(
            Repartitioned.with(Serdes.String(), serdes.internal(BatchComposition.class))
                .withName("compositions-by-trainer")
                .withNumberOfPartitions(partitions))
        .process(
            () -> new RecentBatchesProcessor(config.getInt(SieveConfig.RECENT_BATCHES_CONFIG)),
            Named.as("recent-batches"),
            Stores.RECENT_BATCHES);

    // per-example losses → the assembler's index of the batch → score updates in the pool
    feedbackRecords
        .filter(
            (k, v) -> v != null && !v.getExampleLosses().isEmpty(),
            Named.as("feedback-with-example-losses"))
        .selectKey((k, v) -> v.getBatchId(), Named.as("key-feedback-by-batch"))
        .repartition(
            Repartitioned.with(Serdes.String(), serdes.internal(TrainerFeedback.class))
                .withName("feedback-by-batch")
                .withNumberOfPartitions(partitions))
        .process(
            () ->
                new ScoreRouterProcessor(
                    config.getDouble(SieveConfig.FEEDBACK_MAX_ABS_LOSS_CONFIG)),
            Named.as("score-router"),
            Stores.ASSEMBLY)
        .repartition(
            Repartitioned.with(Serdes.Integer(), serdes.internal(ScoreUpdate.class))
                .withName("score-updates")
                .withNumberOfPartitions(partitions))
        .process(
            () -> new ScoreUpdateProcessor(metrics),
            Named.as("score-update"),
            Stores.POOL,
            Stores.SCORES);

    return builder.build();
  }

  private static PlannerProcessor planner(
      SieveConfig config, SieveMetrics metrics, BatchTopics batchTopics, boolean stagedInput) {
    return new PlannerProcessor(
        config.dimension(),
        config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG),
        Duration.ofMillis(config.getLong(SieveConfig.PLANNER_INTERVAL_CONFIG)),
        Duration.ofMillis(config.getLong(SieveConfig.BATCH_LEASE_CONFIG)),
        config.getInt(SieveConfig.BATCH_STAGE_CONFIG),
        metrics,
        batchTopics,
        config.getDouble(SieveConfig.FEEDBACK_MAX_ABS_LOSS_CONFIG),
        stagedInput);
  }

  private static <K, V> void deadLetters(
      KStream<K, Outcome<V>> rejected, Topics topics, SieveMetrics metrics, String from) {
    rejected
        .map(
            (k, v) -> {
              DeadLetter letter = v.deadLetter();
              metrics.deadLetter(letter.getReason());
              String id = letter.getRecordId();
              Bytes key = id == null ? null : Bytes.wrap(id.getBytes(StandardCharsets.UTF_8));
              return KeyValue.pair(key, letter);
            },
            Named.as(from + "-dead-letters"))
        .to(topics.deadLetters().name(), topics.deadLetters().produced(from + "-dead-letter-sink"));
  }

  /** Copies a global topic into its global store; tombstones delete. */
  static final class GlobalStoreUpdater<K, V> implements Processor<K, V, Void, Void> {
    private final String storeName;
    private KeyValueStore<K, V> store;

    GlobalStoreUpdater(String storeName) {
      this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<K, V> record) {
      if (record.value() == null) {
        store.delete(record.key());
      } else {
        store.put(record.key(), record.value());
      }
    }
  }

  /** A batch's size as its sink writes it: the serialized record for its trainer's topic. */
  private static ToIntFunction<TrainingBatch> batchSizer(Topics topics, AvroSerdes serdes) {
    Serializer<TrainingBatch> serializer = serdes.forClass(TrainingBatch.class, false).serializer();
    return batch -> serializer.serialize(topics.batchTopic(batch.getTrainerId()), batch).length;
  }
}
