package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sieve.avro.BatchExample;
import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.OutstandingBatch;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.diversity.BatchDiversity;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SieveMetricsTest {

  private final SieveMetrics metrics = new SieveMetrics();
  private final MeterRegistry registry = metrics.registry();

  private static TrainingBatch batch(
      String trainer,
      Map<String, Integer> clusters,
      Map<String, Integer> groups,
      long plannedAt,
      long assembledAt) {
    List<BatchExample> examples = new ArrayList<>();
    int n = clusters.values().stream().mapToInt(Integer::intValue).sum();
    for (int i = 0; i < n; i++) {
      examples.add(BatchExample.newBuilder().setId("e" + i).setClusterId(0).setCycle(0).build());
    }
    return TrainingBatch.newBuilder()
        .setBatchId(trainer + "-0")
        .setTrainerId(trainer)
        .setSequence(0)
        .setRound(0)
        .setCycle(0)
        .setPolicy("uniform")
        .setPolicyStateVersion(1)
        .setSeed(1)
        .setModelVersion(1)
        .setExamples(examples)
        .setClusterCounts(clusters)
        .setGroupCounts(groups)
        .setRequested(n)
        .setComplete(true)
        .setPlannedAt(Instant.ofEpochMilli(plannedAt))
        .setAssembledAt(Instant.ofEpochMilli(assembledAt))
        .build();
  }

  private void written(TrainingBatch b) {
    metrics.batchWritten(b, BatchDiversity.of(b.getClusterCounts(), b.getGroupCounts()));
  }

  @Test
  void countsHowLongATrainerWaitsForTheBatchAfterTheOneItAcknowledged() {
    // Given batches 0 and 1 written at 1,000 and 1,050 ms (window 2)
    written(sequenced(batch("t", Map.of("0", 4), Map.of(), 900, 1_000), 0));
    written(sequenced(batch("t", Map.of("0", 4), Map.of(), 900, 1_050), 1));

    // When the trainer acknowledges batch 0 at 1,100 (batch 1 is there: no wait), then batch 1 at
    // 1,200, and batch 2 is written only at 1,450
    metrics.trainerReady("t", 1, 1_100);
    metrics.trainerReady("t", 2, 1_200);
    written(sequenced(batch("t", Map.of("0", 4), Map.of(), 1_100, 1_450), 2));

    // Then two batches were waited for, one of them for 250 ms
    assertThat(metrics.trainerReadyCount("t")).isEqualTo(2);
    assertThat(metrics.trainerStallMillis("t")).isEqualTo(250.0);
    assertThat(metrics.trainerStallMillis("other")).isZero();

    // and a trainer whose spec was removed starts afresh: its next readiness is not matched with
    // a batch written before
    metrics.trainerGone("t");
    metrics.trainerReady("t", 3, 2_000);
    written(sequenced(batch("t", Map.of("0", 4), Map.of(), 2_000, 2_040), 3));
    assertThat(metrics.trainerStallMillis("t")).isEqualTo(290.0);
  }

  private static TrainingBatch sequenced(TrainingBatch b, long sequence) {
    return TrainingBatch.newBuilder(b)
        .setSequence(sequence)
        .setBatchId(b.getTrainerId() + "-" + sequence)
        .build();
  }

  @Test
  void existingProgressFiguresStillCount() {
    // Given examples, duplicates, pooled examples, dead letters and batches recorded
    metrics.exampleIn();
    metrics.exampleIn();
    metrics.duplicateDropped();
    metrics.pooled();
    metrics.deadLetter("missing-id");
    metrics.deadLetter("missing-id");
    metrics.deadLetter("wrong-dimension");
    metrics.batchWritten(8, false);
    written(batch("t1", Map.of("0", 4), Map.of(), 0, 10));

    // Then the demo's figures read them back
    assertThat(metrics.examplesIn()).isEqualTo(2);
    assertThat(metrics.duplicates()).isEqualTo(1);
    assertThat(metrics.pooledCount()).isEqualTo(1);
    assertThat(metrics.deadLettersByReason())
        .isEqualTo(Map.of("missing-id", 2L, "wrong-dimension", 1L));
    assertThat(metrics.batches()).isEqualTo(2);
    assertThat(metrics.incompleteBatches()).isEqualTo(1);
    assertThat(metrics.batchedExamples()).isEqualTo(12);
  }

  @Test
  void batchLatencyIsFromPlanningToAssembly() {
    // Given a batch planned at t=1000 ms and assembled at t=1750 ms
    written(batch("t1", Map.of("0", 2), Map.of(), 1000, 1750));

    // Then the trainer's latency timer has one 750 ms observation
    Timer timer = registry.get(SieveMetrics.BATCH_LATENCY).tag("trainer", "t1").timer();
    assertThat(timer.count()).isEqualTo(1);
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(750.0);
  }

  @Test
  void sharesFollowTheLatestBatchAndDropToZeroForAbsentKeys() {
    // Given a batch with clusters 0 and 1, then one with cluster 2 only
    written(batch("t1", Map.of("0", 3, "1", 1), Map.of("lang=en", 4), 0, 1));
    double first = share("t1", "cluster", "0");
    written(batch("t1", Map.of("2", 4), Map.of("lang=de", 4), 0, 1));

    // Then the shares are those of the latest batch, and the earlier clusters show 0
    assertThat(first).isEqualTo(0.75);
    assertThat(share("t1", "cluster", "2")).isEqualTo(1.0);
    assertThat(share("t1", "cluster", "0")).isEqualTo(0.0);
    assertThat(share("t1", "group", "lang=en")).isEqualTo(0.0);
    assertThat(share("t1", "group", "lang=de")).isEqualTo(1.0);
    // and the windowed counters keep every example
    assertThat(
            registry
                .get(SieveMetrics.BATCH_SELECTED)
                .tags("trainer", "t1", "kind", "cluster", "key", "0")
                .counter()
                .count())
        .isEqualTo(3.0);
  }

  @Test
  void entropiesOfEachBatchAreRecorded() {
    // Given a batch spread evenly over 4 clusters and 2 languages
    written(
        batch(
            "t1",
            Map.of("0", 2, "1", 2, "2", 2, "3", 2),
            Map.of("lang=en", 4, "lang=de", 4),
            0,
            1));

    // Then its cluster entropy is 2 bits and its language entropy 1 bit
    assertThat(
            registry
                .get(SieveMetrics.BATCH_CLUSTER_ENTROPY)
                .tag("trainer", "t1")
                .summary()
                .totalAmount())
        .isEqualTo(2.0);
    assertThat(
            registry
                .get(SieveMetrics.BATCH_GROUP_ENTROPY)
                .tags("trainer", "t1", "attribute", "lang")
                .summary()
                .totalAmount())
        .isEqualTo(1.0);
  }

  @Test
  void clusterGaugesFollowTheStoresAndForgetRetiredClusters() {
    // Given a model of two clusters with pool statistics
    CentroidModel model = model(7, 1, 2);
    metrics.clusters(model, List.of(stats(1, 10, 12), stats(2, 5, 5)));
    assertThat(gauge(SieveMetrics.POOL_SIZE, "cluster", "2")).isEqualTo(5.0);

    // When cluster 2 is gone from the statistics
    metrics.clusters(model(8, 1), List.of(stats(1, 11, 13)));

    // Then the gauges show the new figures and cluster 2 no longer has any
    assertThat(registry.get(SieveMetrics.CLUSTERS).gauge().value()).isEqualTo(1.0);
    assertThat(registry.get(SieveMetrics.MODEL_VERSION).gauge().value()).isEqualTo(8.0);
    assertThat(gauge(SieveMetrics.POOL_SIZE, "cluster", "1")).isEqualTo(11.0);
    assertThat(gauge(SieveMetrics.POOL_SEEN, "cluster", "1")).isEqualTo(13.0);
    assertThat(registry.find(SieveMetrics.POOL_SIZE).tag("cluster", "2").gauge()).isNull();
  }

  @Test
  void aRetiredClustersBatchSeriesAreRemovedAndOthersStay() {
    // Given batches of trainer t1 drawn from clusters 1 and 2, and a target share for cluster 2
    written(batch("t1", Map.of("1", 2, "2", 2), Map.of("lang=en", 4), 0, 20));
    metrics.shareTarget("t1", SieveMetrics.CLUSTER, "2", 0.5);
    assertThat(share("t1", SieveMetrics.CLUSTER, "2")).isEqualTo(0.5);

    // When the model retires cluster 2 (next id 10, 2 no longer listed) and a scrape reads it
    metrics.clusters(model(9, 1, 3), List.of(stats(1, 4, 4)));

    // Then every series of cluster 2 is gone, and cluster 1's and the group's stay
    assertThat(registry.find(SieveMetrics.BATCH_SELECTED).tag("key", "2").counters()).isEmpty();
    assertThat(registry.find(SieveMetrics.BATCH_SHARE).tag("key", "2").gauges()).isEmpty();
    assertThat(registry.find(SieveMetrics.BATCH_SHARE_TARGET).tag("key", "2").gauges()).isEmpty();
    assertThat(share("t1", SieveMetrics.CLUSTER, "1")).isEqualTo(0.5);
    assertThat(share("t1", SieveMetrics.GROUP, "lang=en")).isEqualTo(1.0);
    // and the next batch does not bring a stale zero share of cluster 2 back
    written(batch("t1", Map.of("1", 4), Map.of("lang=en", 4), 0, 20));
    assertThat(registry.find(SieveMetrics.BATCH_SHARE).tag("key", "2").gauges()).isEmpty();
    assertThat(share("t1", SieveMetrics.CLUSTER, "1")).isEqualTo(1.0);
  }

  @Test
  void policyStateBecomesGaugesPerTrainerAndLeavesWithTheTrainer() {
    // Given two trainers, one with policy weights
    TrainerState a =
        TrainerState.newBuilder()
            .setTrainerId("a")
            .setPolicyState(Map.of("w.0", 0.7, "w.1", 0.3))
            .setOutstanding(
                List.of(OutstandingBatch.newBuilder().setBatchId("a-0").setPlannedAt(0).build()))
            .build();
    TrainerState b = TrainerState.newBuilder().setTrainerId("b").build();
    metrics.trainers(List.of(a, b));
    assertThat(gauge(SieveMetrics.POLICY_STATE, "key", "w.0")).isEqualTo(0.7);
    assertThat(gauge(SieveMetrics.TRAINER_OUTSTANDING, "trainer", "a")).isEqualTo(1.0);

    // When trainer a moves to another instance
    metrics.trainers(List.of(b));

    // Then its gauges are gone here
    assertThat(registry.find(SieveMetrics.POLICY_STATE).tag("trainer", "a").gauges()).isEmpty();
    assertThat(registry.find(SieveMetrics.TRAINER_OUTSTANDING).tag("trainer", "a").gauge())
        .isNull();
    assertThat(gauge(SieveMetrics.TRAINER_OUTSTANDING, "trainer", "b")).isEqualTo(0.0);
  }

  @Test
  void shareTargetsSitBesideSharesAndCanBeCleared() {
    // Given a target for a group value
    metrics.shareTarget("t1", SieveMetrics.GROUP, "lang=de", 0.4);
    assertThat(gauge(SieveMetrics.BATCH_SHARE_TARGET, "key", "lang=de")).isEqualTo(0.4);

    // When it is cleared
    metrics.shareTarget("t1", SieveMetrics.GROUP, "lang=de", Double.NaN);

    // Then the gauge is gone
    assertThat(registry.find(SieveMetrics.BATCH_SHARE_TARGET).gauges()).isEmpty();
  }

  @Test
  void theScrapeUsesPrometheusNames() {
    // Given some traffic
    metrics.exampleIn();
    metrics.deadLetter("no-content");
    written(batch("t1", Map.of("0", 1), Map.of("lang=en", 1), 0, 20));

    // When scraped
    String scrape = metrics.scrape();

    // Then the names are the documented ones
    assertThat(scrape)
        .contains("sieve_examples_in_total 1.0")
        .contains("sieve_dead_letters_total{reason=\"no-content\"} 1.0")
        .contains("sieve_batches_total{complete=\"true\",trainer=\"t1\"} 1.0")
        .contains("sieve_batch_latency_seconds_count{trainer=\"t1\"} 1")
        .contains("sieve_batch_latency_seconds_bucket{trainer=\"t1\",le=\"0.05\"} 1")
        .contains("sieve_batch_share{key=\"lang=en\",kind=\"group\",trainer=\"t1\"} 1.0")
        .contains("sieve_batch_cluster_entropy_bits_count{trainer=\"t1\"} 1")
        .contains("sieve_clusters 0.0");
  }

  private double share(String trainer, String kind, String key) {
    return registry
        .get(SieveMetrics.BATCH_SHARE)
        .tags("trainer", trainer, "kind", kind, "key", key)
        .gauge()
        .value();
  }

  private double gauge(String name, String tag, String value) {
    return registry.get(name).tag(tag, value).gauge().value();
  }

  private static CentroidModel model(long version, int... ids) {
    List<Centroid> clusters = new ArrayList<>();
    for (int id : ids) {
      clusters.add(
          Centroid.newBuilder().setId(id).setWeight(1.0).setCenter(ByteBuffer.allocate(8)).build());
    }
    return CentroidModel.newBuilder()
        .setVersion(version)
        .setDimension(2)
        .setNextClusterId(10)
        .setClusters(clusters)
        .setUpdatedAt(Instant.EPOCH)
        .build();
  }

  private static ClusterStats stats(int id, long size, long seen) {
    return ClusterStats.newBuilder()
        .setClusterId(id)
        .setSize(size)
        .setSeen(seen)
        .setUpdatedAt(Instant.EPOCH)
        .build();
  }
}
