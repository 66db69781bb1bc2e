package io.sieve.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.diversity.BatchDiversity;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The one place where this instance's figures are recorded, backed by a Micrometer {@link
 * MeterRegistry} (a Prometheus one unless another is given). Processors of all stream threads share
 * it. The names below are Micrometer's; Prometheus shows them with dots as underscores, counters
 * with {@code _total}, timers in {@code _seconds} (see README, Metrics).
 *
 * <p>Counters and timers are recorded as records flow. Gauges of state (clusters, pool sizes,
 * trainers' policy state) are set from the stores by whoever reads them, through {@link #clusters},
 * {@link #trainers} and {@link #shareTarget}; they are figures of this instance, and the durable
 * truth stays in the topics and stores.
 */
public final class SieveMetrics {

  public static final String EXAMPLES_IN = "sieve.examples.in";
  public static final String DUPLICATES = "sieve.duplicates.dropped";
  public static final String POOLED = "sieve.examples.pooled";
  public static final String DEAD_LETTERS = "sieve.dead.letters";
  public static final String BATCHES = "sieve.batches";
  public static final String BATCH_EXAMPLES = "sieve.batch.examples";
  public static final String BATCH_LATENCY = "sieve.batch.latency";
  public static final String TRAINER_STALL = "sieve.trainer.stall";
  public static final String BATCH_SELECTED = "sieve.batch.selected";
  public static final String BATCH_SHARE = "sieve.batch.share";
  public static final String BATCH_SHARE_TARGET = "sieve.batch.share.target";
  public static final String BATCH_CLUSTER_ENTROPY = "sieve.batch.cluster.entropy";
  public static final String BATCH_GROUP_ENTROPY = "sieve.batch.group.entropy";
  public static final String CLUSTERS = "sieve.clusters";
  public static final String MODEL_VERSION = "sieve.model.version";
  public static final String POOL_SIZE = "sieve.pool.size";
  public static final String POOL_SEEN = "sieve.pool.seen";
  public static final String POOL_VENDI = "sieve.pool.vendi";
  public static final String POLICY_STATE = "sieve.policy.state";
  public static final String TRAINER_OUTSTANDING = "sieve.trainer.outstanding";
  public static final String TRAINER_PAUSED = "sieve.trainer.paused";
  public static final String TRAINER_WAITING = "sieve.trainer.waiting.seconds";
  public static final String QUARANTINES = "sieve.quarantines";
  public static final String GROUP_SHORTFALLS = "sieve.group.shortfalls";
  public static final String BATCH_TRIMMED = "sieve.batch.trimmed.examples";
  public static final String LEASES_EXPIRED = "sieve.batch.leases.expired";
  public static final String BATCHES_DISCARDED = "sieve.batches.discarded";
  public static final String SCORES_UPDATED = "sieve.scores.updated";
  public static final String NEAR_DUPLICATES = "sieve.near.duplicates";
  public static final String BATCH_VENDI = "sieve.batch.vendi";
  public static final String POOL_RECLAIMED = "sieve.pool.reclaimed";

  /** Tag values of {@code reason} on {@link #POOL_RECLAIMED}. */
  public static final String RECLAIMED_RETIRED = "retired-cluster";

  public static final String RECLAIMED_LATE = "late-arrival";

  /** Tag values of {@code kind} on the share meters. */
  public static final String CLUSTER = "cluster";

  public static final String GROUP = "group";

  /** Batch latency buckets: planning to writing takes a few commit intervals when all is well. */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60)
  };

  private static final String UNKNOWN_TRAINER = "unknown";

  private final MeterRegistry registry;
  private final Counter examplesIn;
  private final Counter duplicates;
  private final Counter pooled;
  private final Gauges gauges;
  private final Map<String, Set<Tags>> sharesByTrainer = new ConcurrentHashMap<>();

  /** Figures in a Prometheus registry of their own. */
  public SieveMetrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public SieveMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.gauges = new Gauges(registry);
    this.examplesIn =
        Counter.builder(EXAMPLES_IN)
            .description("Records read from the examples topic")
            .register(registry);
    this.duplicates =
        Counter.builder(DUPLICATES)
            .description("Examples dropped as exact duplicates")
            .register(registry);
    this.pooled =
        Counter.builder(POOLED).description("Examples placed in a cluster pool").register(registry);
    gauges.set(CLUSTERS, Tags.empty(), 0);
    gauges.set(MODEL_VERSION, Tags.empty(), 0);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every meter; needs a Prometheus registry. */
  public String scrape() {
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      return prometheus.scrape();
    }
    throw new IllegalStateException("not a Prometheus registry: " + registry.getClass());
  }

  /** Binds Kafka Streams' own metrics; close the result when the app closes. */
  public KafkaStreamsMetrics bind(KafkaStreams streams) {
    KafkaStreamsMetrics binder = new KafkaStreamsMetrics(streams);
    binder.bindTo(registry);
    return binder;
  }

  // ---- recorded as records flow --------------------------------------------------------------

  public void exampleIn() {
    examplesIn.increment();
  }

  public void duplicateDropped() {
    duplicates.increment();
  }

  public void pooled() {
    pooled.increment();
  }

  public void deadLetter(String reason) {
    Counter.builder(DEAD_LETTERS)
        .description("Dead letters written, by reason")
        .tag("reason", reason == null ? "unknown" : reason)
        .register(registry)
        .increment();
  }

  /**
   * A batch written for a trainer not known here; prefer {@link #batchWritten(TrainingBatch,
   * BatchDiversity)}.
   */
  public void batchWritten(int examples, boolean complete) {
    batchCounters(UNKNOWN_TRAINER, examples, complete);
  }

  /**
   * A batch written: counts, latency from planning (the planner's {@code plannedAt}) to writing
   * ({@code assembledAt}), composition, shares and the diversity the assembler computed.
   */
  public void batchWritten(TrainingBatch batch, BatchDiversity diversity) {
    batchWritten(BatchFigures.of(batch), diversity);
  }

  /**
   * What the batch figures need of a batch, without its examples: small enough to hold until the
   * batch's transaction commits ({@link CommitGate}).
   */
  public record BatchFigures(
      String trainer,
      long sequence,
      int examples,
      boolean complete,
      long writtenAtMs,
      long latencyMs,
      Map<String, Integer> clusterCounts,
      Map<String, Integer> groupCounts) {

    public static BatchFigures of(TrainingBatch batch) {
      return of(batch, batch.getAssembledAt().toEpochMilli());
    }

    /** The batch's figures as written to its trainer's topic at {@code writtenAtMs}. */
    public static BatchFigures of(TrainingBatch batch, long writtenAtMs) {
      return new BatchFigures(
          batch.getTrainerId(),
          batch.getSequence(),
          batch.getExamples().size(),
          batch.getComplete(),
          writtenAtMs,
          Math.max(0, writtenAtMs - batch.getPlannedAt().toEpochMilli()),
          Map.copyOf(batch.getClusterCounts()),
          Map.copyOf(batch.getGroupCounts()));
    }
  }

  /**
   * A batch written, from its {@link BatchFigures}; see {@link #batchWritten(TrainingBatch,
   * BatchDiversity)}.
   */
  public void batchWritten(BatchFigures batch, BatchDiversity diversity) {
    String trainer = batch.trainer();
    batchCounters(trainer, batch.examples(), batch.complete());
    written(trainer, batch.sequence(), batch.writtenAtMs());
    Timer.builder(BATCH_LATENCY)
        .description("Time from planning a batch (credit available) to writing it")
        .tag("trainer", trainer)
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry)
        .record(Duration.ofMillis(batch.latencyMs()));
    Map<Tags, Double> shares = new HashMap<>();
    composition(trainer, CLUSTER, batch.clusterCounts(), shares);
    composition(trainer, GROUP, batch.groupCounts(), shares);
    // every share this trainer had before and not now is 0, so a dashboard does not show a stale
    // one
    Set<Tags> known = sharesByTrainer.computeIfAbsent(trainer, t -> ConcurrentHashMap.newKeySet());
    for (Tags tags : known) {
      shares.putIfAbsent(tags, 0.0);
    }
    shares.forEach((tags, share) -> gauges.set(BATCH_SHARE, tags, share));
    known.addAll(shares.keySet());
    DistributionSummary.builder(BATCH_CLUSTER_ENTROPY)
        .description("Shannon entropy of each batch's cluster distribution")
        .baseUnit("bits")
        .tag("trainer", trainer)
        .register(registry)
        .record(diversity.clusterEntropy());
    diversity
        .groupEntropy()
        .forEach(
            (attribute, h) ->
                DistributionSummary.builder(BATCH_GROUP_ENTROPY)
                    .description(
                        "Shannon entropy of each batch's distribution over a group attribute")
                    .baseUnit("bits")
                    .tags("trainer", trainer, "attribute", attribute)
                    .register(registry)
                    .record(h));
  }

  private void batchCounters(String trainer, int examples, boolean complete) {
    Counter.builder(BATCHES)
        .description("Batches written, by trainer and completeness")
        .tags("trainer", trainer, "complete", Boolean.toString(complete))
        .register(registry)
        .increment();
    Counter.builder(BATCH_EXAMPLES)
        .description("Examples written in batches, by trainer")
        .tag("trainer", trainer)
        .register(registry)
        .increment(examples);
  }

  private void composition(
      String trainer, String kind, Map<String, Integer> counts, Map<Tags, Double> shares) {
    long total = 0;
    for (int n : counts.values()) {
      total += n;
    }
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      Tags tags = Tags.of("trainer", trainer, "kind", kind, "key", e.getKey());
      Counter.builder(BATCH_SELECTED)
          .description("Examples written in batches, by trainer and cluster or group value")
          .tags(tags)
          .register(registry)
          .increment(e.getValue());
      shares.put(tags, total == 0 ? 0.0 : e.getValue() / (double) total);
    }
  }

  // ---- gauges of state, set by whoever reads the stores --------------------------------------

  /**
   * The cluster model and every cluster's pool figures, from the global stores: every instance sees
   * all clusters, so aggregate these with max, not sum. Clusters no longer listed are removed.
   */
  public synchronized void clusters(CentroidModel model, Collection<ClusterStats> stats) {
    gauges.set(CLUSTERS, Tags.empty(), model == null ? 0 : model.getClusters().size());
    gauges.set(MODEL_VERSION, Tags.empty(), model == null ? 0 : model.getVersion());
    if (model != null) {
      forgetRetiredClusters(model);
    }
    Set<String> present = new HashSet<>();
    for (ClusterStats s : stats) {
      String id = Integer.toString(s.getClusterId());
      present.add(id);
      gauges.set(POOL_SIZE, Tags.of(CLUSTER, id), s.getSize());
      gauges.set(POOL_SEEN, Tags.of(CLUSTER, id), s.getSeen());
      gauges.set(POOL_VENDI, Tags.of(CLUSTER, id), s.getVendi());
    }
    Predicate<Meter.Id> gone = id -> !present.contains(id.getTag(CLUSTER));
    gauges.remove(POOL_SIZE, gone);
    gauges.remove(POOL_SEEN, gone);
    gauges.remove(POOL_VENDI, gone);
  }

  /**
   * Removes the per-cluster series of trainers' batches ({@link #BATCH_SELECTED}, {@link
   * #BATCH_SHARE}, {@link #BATCH_SHARE_TARGET} with {@code kind=cluster}) of every cluster the
   * model retired (an id below its {@code nextClusterId} it no longer lists): ids are never reused,
   * so such a series would never move again, and on a lifelong feed they would pile up.
   */
  private void forgetRetiredClusters(CentroidModel model) {
    Set<String> live = new HashSet<>();
    model.getClusters().forEach(c -> live.add(Integer.toString(c.getId())));
    int next = model.getNextClusterId();
    Predicate<Meter.Id> retired =
        id -> {
          if (!CLUSTER.equals(id.getTag("kind"))) {
            return false;
          }
          String key = id.getTag("key");
          if (key == null || live.contains(key)) {
            return false;
          }
          try {
            int cluster = Integer.parseInt(key);
            return cluster >= 0 && cluster < next;
          } catch (NumberFormatException e) {
            return false;
          }
        };
    gauges.remove(BATCH_SHARE, retired);
    gauges.remove(BATCH_SHARE_TARGET, retired);
    for (Counter c : registry.find(BATCH_SELECTED).counters()) {
      if (retired.test(c.getId())) {
        registry.remove(c);
      }
    }
    for (Set<Tags> known : sharesByTrainer.values()) {
      known.removeIf(
          tags -> retired.test(new Meter.Id(BATCH_SHARE, tags, null, null, Meter.Type.GAUGE)));
    }
  }

  /**
   * Per trainer: the last batch sequence written, and the batch it waits for since when (or -1).
   * One entry per trainer this instance serves, dropped with the trainer.
   */
  private final Map<String, long[]> readiness = new HashMap<>();

  /**
   * The trainer acknowledged the batch before {@code next} at {@code atMs}: it is ready for batch
   * {@code next}. If that batch is written already, it does not wait ({@link #TRAINER_STALL}
   * records 0); else it waits from now until the batch is written.
   */
  public synchronized void trainerReady(String trainer, long next, long atMs) {
    long[] r = readiness.computeIfAbsent(trainer, t -> new long[] {-1, -1, 0});
    if (next <= r[0]) {
      stall(trainer, 0);
      r[1] = -1;
    } else {
      r[1] = next;
      r[2] = atMs;
    }
  }

  private synchronized void written(String trainer, long sequence, long atMs) {
    long[] r = readiness.computeIfAbsent(trainer, t -> new long[] {-1, -1, 0});
    r[0] = Math.max(r[0], sequence);
    if (r[1] >= 0 && sequence >= r[1]) {
      stall(trainer, Math.max(0, atMs - r[2]));
      r[1] = -1;
    }
  }

  private void stall(String trainer, long millis) {
    Timer.builder(TRAINER_STALL)
        .description(
            "Per batch, how long the trainer, having acknowledged the one before, waited for it to"
                + " be written (0 when it was written already)")
        .tag("trainer", trainer)
        .register(registry)
        .record(Duration.ofMillis(millis));
  }

  /** The trainer's spec was removed: forget its readiness. */
  public synchronized void trainerGone(String trainer) {
    readiness.remove(trainer);
  }

  /** Total time the trainer waited, in ms (for tests and progress displays). */
  public double trainerStallMillis(String trainer) {
    Timer t = registry.find(TRAINER_STALL).tag("trainer", trainer).timer();
    return t == null ? 0 : t.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Batches the trainer was ready for, whether it waited or not. */
  public long trainerReadyCount(String trainer) {
    Timer t = registry.find(TRAINER_STALL).tag("trainer", trainer).timer();
    return t == null ? 0 : t.count();
  }

  /** Examples let go from pools of retired clusters ({@code reason}, see the constants). */
  public void reclaimed(String reason, long examples) {
    Counter.builder(POOL_RECLAIMED)
        .description("Examples let go because their cluster was retired, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment(examples);
  }

  public long reclaimed() {
    return sum(POOL_RECLAIMED, c -> true);
  }

  /**
   * The trainers whose state this instance owns: their policy-state values, outstanding batches,
   * whether an operator paused them (1) or not (0), and their quarantines by kind. Trainers no
   * longer listed (removed, or moved to another instance) are removed.
   */
  public synchronized void trainers(Collection<TrainerState> states) {
    Set<String> present = new HashSet<>();
    Set<String> policyKeys = new HashSet<>();
    for (TrainerState s : states) {
      String trainer = s.getTrainerId();
      present.add(trainer);
      gauges.set(TRAINER_OUTSTANDING, Tags.of("trainer", trainer), s.getOutstanding().size());
      gauges.set(TRAINER_PAUSED, Tags.of("trainer", trainer), s.getPaused() ? 1 : 0);
      gauges.set(
          QUARANTINES,
          Tags.of("trainer", trainer, "kind", CLUSTER),
          s.getQuarantinedClusters().size());
      gauges.set(
          QUARANTINES, Tags.of("trainer", trainer, "kind", GROUP), s.getQuarantinedGroups().size());
      new TreeMap<>(s.getPolicyState())
          .forEach(
              (key, value) -> {
                policyKeys.add(trainer + "\u0000" + key);
                gauges.set(POLICY_STATE, Tags.of("trainer", trainer, "key", key), value);
              });
    }
    gauges.remove(TRAINER_OUTSTANDING, id -> !present.contains(id.getTag("trainer")));
    gauges.remove(TRAINER_PAUSED, id -> !present.contains(id.getTag("trainer")));
    gauges.remove(QUARANTINES, id -> !present.contains(id.getTag("trainer")));
    readiness.keySet().retainAll(present);
    gauges.remove(
        POLICY_STATE,
        id -> !policyKeys.contains(id.getTag("trainer") + "\u0000" + id.getTag("key")));
  }

  /**
   * How long each trainer this instance owns has waited for a batch the planner would plan (credit
   * and a pool holding a batch, none planned), in seconds; 0 for one that does not wait. Trainers
   * no longer listed are removed.
   *
   * @param trainers every trainer this instance owns
   * @param waitingSinceMs the waiting ones, since when (epoch ms)
   * @param nowMs now (epoch ms)
   */
  public synchronized void trainersWaiting(
      Collection<String> trainers, Map<String, Long> waitingSinceMs, long nowMs) {
    Set<String> present = new HashSet<>(trainers);
    for (String trainer : present) {
      Long since = waitingSinceMs.get(trainer);
      gauges.set(
          TRAINER_WAITING,
          Tags.of("trainer", trainer),
          since == null ? 0.0 : Math.max(0, nowMs - since) / 1000.0);
    }
    gauges.remove(TRAINER_WAITING, id -> !present.contains(id.getTag("trainer")));
  }

  /**
   * The hook for share targets: a trainer's target share of a cluster ({@link #CLUSTER}) or a group
   * value ({@link #GROUP}, key {@code attribute=value}), beside {@link #BATCH_SHARE} with the same
   * tags. A NaN target removes the gauge.
   */
  public synchronized void shareTarget(String trainer, String kind, String key, double target) {
    Tags tags = Tags.of("trainer", trainer, "kind", kind, "key", key);
    if (Double.isNaN(target)) {
      gauges.remove(BATCH_SHARE_TARGET, id -> Tags.of(id.getTags()).equals(tags));
    } else {
      gauges.set(BATCH_SHARE_TARGET, tags, target);
    }
  }

  // ---- figures for progress displays ---------------------------------------------------------

  public long examplesIn() {
    return (long) examplesIn.count();
  }

  public long duplicates() {
    return (long) duplicates.count();
  }

  public long pooledCount() {
    return (long) pooled.count();
  }

  public long batches() {
    return sum(BATCHES, c -> true);
  }

  public long incompleteBatches() {
    return sum(BATCHES, c -> "false".equals(c.getId().getTag("complete")));
  }

  public long batchedExamples() {
    return sum(BATCH_EXAMPLES, c -> true);
  }

  /** The Vendi score of a written batch, per trainer. */
  public void batchVendi(String trainer, double vendi) {
    io.micrometer.core.instrument.DistributionSummary.builder(BATCH_VENDI)
        .description("Vendi score of written batches (effective number of distinct directions)")
        .tag("trainer", trainer == null ? UNKNOWN_TRAINER : trainer)
        .register(registry)
        .record(vendi);
  }

  /** An example found to be a near duplicate of a pooled one (dropped or kept by policy). */
  public void nearDuplicate() {
    Counter.builder(NEAR_DUPLICATES)
        .description("Examples found to be near duplicates of a pooled example of their cluster")
        .register(registry)
        .increment();
  }

  public long nearDuplicates() {
    return sum(NEAR_DUPLICATES, c -> true);
  }

  /** Examples left out of a batch of {@code trainer} so that it fits {@code batch.max.bytes}. */
  public void batchTrimmed(String trainer, int examples) {
    Counter.builder(BATCH_TRIMMED)
        .description("Examples left out of batches that would not fit batch.max.bytes")
        .tag("trainer", trainer)
        .register(registry)
        .increment(examples);
  }

  /** A batch of {@code trainer} went unacknowledged past its lease; its credit came back. */
  /**
   * A staged batch (planned, not yet released) thrown away, never written: its spec changed, the
   * trainer was rewound, skipped, quarantined or deleted, or it never arrived ({@code reason}).
   */
  public void batchDiscarded(String reason) {
    Counter.builder(BATCHES_DISCARDED)
        .description("Staged batches thrown away before release, by reason; never written")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /** Staged batches discarded for {@code reason}. */
  public long batchesDiscarded(String reason) {
    Counter c = registry.find(BATCHES_DISCARDED).tag("reason", reason).counter();
    return c == null ? 0 : (long) c.count();
  }

  public void leaseExpired(String trainer) {
    Counter.builder(LEASES_EXPIRED)
        .description("Batches whose lease expired unacknowledged, so that their credit came back")
        .tag("trainer", trainer)
        .register(registry)
        .increment();
  }

  /** Batches whose lease expired, by trainer. */
  public Map<String, Long> leasesExpired() {
    Map<String, Long> out = new TreeMap<>();
    for (Counter c : registry.find(LEASES_EXPIRED).counters()) {
      out.merge(c.getId().getTag("trainer"), (long) c.count(), Long::sum);
    }
    return out;
  }

  /** A batch could not get its target of group {@code group} (attr=value) from the pool. */
  public void groupShortfall(String group) {
    Counter.builder(GROUP_SHORTFALLS)
        .description("Batches planned short of a group target, by group value")
        .tag("group", group)
        .register(registry)
        .increment();
  }

  /** Batches planned short of a group target, by group. */
  public Map<String, Long> groupShortfalls() {
    Map<String, Long> out = new TreeMap<>();
    for (Counter c : registry.find(GROUP_SHORTFALLS).counters()) {
      out.merge(c.getId().getTag("group"), (long) c.count(), Long::sum);
    }
    return out;
  }

  /** Examples whose pool score feedback replaced. */
  public void scoresUpdated(int n) {
    Counter.builder(SCORES_UPDATED)
        .description("Pool examples whose score was replaced by a trainer's loss")
        .register(registry)
        .increment(n);
  }

  public long scoresUpdated() {
    return sum(SCORES_UPDATED, c -> true);
  }

  public Map<String, Long> deadLettersByReason() {
    Map<String, Long> out = new TreeMap<>();
    for (Counter c : registry.find(DEAD_LETTERS).counters()) {
      out.merge(c.getId().getTag("reason"), (long) c.count(), Long::sum);
    }
    return out;
  }

  private long sum(String name, Predicate<Counter> which) {
    long total = 0;
    for (Counter c : registry.find(name).counters()) {
      if (which.test(c)) {
        total += (long) c.count();
      }
    }
    return total;
  }

  /** Settable gauges: a registry only keeps a weak reference to a gauge's state, so we hold it. */
  private static final class Gauges {
    private final MeterRegistry registry;
    private final Map<Meter.Id, Cell> cells = new ConcurrentHashMap<>();

    Gauges(MeterRegistry registry) {
      this.registry = registry;
    }

    void set(String name, Tags tags, double value) {
      Meter.Id key = new Meter.Id(name, tags, null, null, Meter.Type.GAUGE);
      cells
          .computeIfAbsent(
              key,
              k -> {
                Cell cell = new Cell();
                Gauge gauge =
                    Gauge.builder(name, cell, Cell::get)
                        .tags(tags)
                        .strongReference(true)
                        .register(registry);
                cell.gauge = gauge;
                return cell;
              })
          .set(value);
    }

    void remove(String name, Predicate<Meter.Id> which) {
      cells
          .entrySet()
          .removeIf(
              e -> {
                Meter.Id id = e.getKey();
                if (id.getName().equals(name) && which.test(id)) {
                  registry.remove(e.getValue().gauge);
                  return true;
                }
                return false;
              });
    }
  }

  private static final class Cell {
    private final AtomicLong bits = new AtomicLong(Double.doubleToLongBits(0.0));
    private Gauge gauge;

    double get() {
      return Double.longBitsToDouble(bits.get());
    }

    void set(double value) {
      bits.set(Double.doubleToLongBits(value));
    }
  }
}
