package io.sieve.plan;

import io.sieve.avro.BatchHeader;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.OutstandingBatch;
import io.sieve.avro.PlanFragment;
import io.sieve.avro.StagedBatch;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.cluster.CentroidModels;
import io.sieve.cluster.Centroids;
import io.sieve.config.BatchTopics;
import io.sieve.config.Topics;
import io.sieve.diversity.BatchDiversity;
import io.sieve.policy.ClusterLineage;
import io.sieve.policy.CoveragePolicy;
import io.sieve.policy.Draw;
import io.sieve.policy.FeedbackRanges;
import io.sieve.policy.GroupQuotas;
import io.sieve.policy.PlanContext;
import io.sieve.policy.Policies;
import io.sieve.policy.PoolDraw;
import io.sieve.policy.SamplingWeights;
import io.sieve.policy.Seeds;
import io.sieve.policy.SelectionPolicy;
import io.sieve.policy.UniformPolicy;
import io.sieve.serde.Embeddings;
import io.sieve.stream.CommitGate;
import io.sieve.stream.DeadLetters;
import io.sieve.stream.Outcome;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans batches for the trainers of its partitions (keyed by trainer id).
 *
 * <p>Credit-based flow: a trainer has at most {@code window} batches outstanding; feedback that
 * acknowledges one returns its credit. With credit and a pool that holds a full batch, the
 * trainer's policy chooses slots per cluster, and one plan fragment per cluster goes to the pool
 * partitions, keyed by cluster id. The planner reads pool sizes from the replicated cluster-stats
 * store; they only grow, so a slightly stale size names slots that exist.
 *
 * <p>Feedback also reaches the trainer's policy ({@link SelectionPolicy#onFeedback}) with a {@link
 * PlanContext}: pool sizes, group counts per cluster and the current centres. A group constraint
 * (the {@code group.targets} / {@code group.min} parameters, or shares the policy sets itself)
 * turns the policy's per-cluster counts into per-cluster group quotas ({@link GroupQuotas}); the
 * policy's slots then travel as preferred candidates and the pool tops each quota up. Where the
 * statistics (which lag the pool) show too few of a value, the fragments name it as spare, so that
 * the pool draws the exact count from what it really holds; the header carries the counts the spec
 * demands, and the assembler flags a batch that misses one incomplete, logs and counts it.
 *
 * <p><b>Staged batches.</b> Beside the window, up to {@code batch.stage} batches are planned ahead
 * of credit. Assembled, each comes back (keyed by trainer, {@link TrainerEvent.Staged}) to {@link
 * Stores#STAGED_BATCHES}; whenever the trainer has credit, is not paused, and the staged batch of
 * the lowest sequence is here, the planner writes it at once ({@link Planned.Release}), in the
 * transaction of the record that gave the credit, so that a trainer waits one transaction, not the
 * three hops of planning, fulfilment and assembly, and batches reach it in sequence order. A
 * changed spec, rewind, skip, quarantine or deletion discards the staged batches.
 *
 * <p><b>Leases.</b> Every outstanding batch holds its credit until {@code batch.lease.ms} after it
 * was written. A batch that is lost (a trainer that died before acknowledging it, a feedback record
 * that never came) would otherwise hold that credit for good and, once the window is used up, stop
 * the trainer's batches. The planning punctuation gives the credit of an expired lease back, counts
 * it and records a dead letter; feedback for that batch arriving later is dead-lettered as late. A
 * changed spec empties the outstanding list: the trainer behind the new spec starts with its whole
 * window, and feedback for the former spec's batches is dead-lettered rather than credited.
 *
 * <p>Before a trainer plans or absorbs feedback, its per-cluster policy numbers and cursors follow
 * the model's lifecycle ({@link ClusterLineage}): a split or spawned cluster starts from its
 * parent's numbers, and a retired cluster's numbers and cursor are dropped.
 *
 * <p><b>Operator controls</b> ({@link TrainerControls}) arrive in order with the trainer's spec and
 * feedback. A paused trainer is not planned for. A quarantined cluster is left out of the pool
 * sizes the trainer's policy plans from (a cluster all of whose pooled items hold one quarantined
 * group value too), and the trainer's fragments name its quarantined group values, which the pool
 * never emits. A control that does not apply is dead-lettered with its reason.
 */
public final class PlannerProcessor
    implements Processor<String, TrainerEvent, String, Outcome<Planned>> {

  public static final String STAGE = "plan";
  private static final Logger LOG = LoggerFactory.getLogger(PlannerProcessor.class);

  /** Most batches planned for one trainer per record or punctuation. */
  public static final int MAX_BATCHES_PER_CALL = 16;

  /**
   * Discarded staged batches remembered per trainer until they arrive (to be dropped then, by
   * reason); past it, the oldest are forgotten and counted as unknown when they arrive.
   */
  static final int MAX_DISCARDED = 256;

  /** Reasons a staged batch is thrown away ({@code sieve_batches_discarded_total{reason}}). */
  public static final String DISCARD_SPEC = "spec";

  public static final String DISCARD_DELETED = "deleted";
  public static final String DISCARD_LOST = "lost";
  public static final String DISCARD_UNKNOWN = "unknown";

  /** Salt of the random stream that breaks ties in group quotas, apart from the policy's. */
  private static final long GROUP_SALT = 0x67726f7570L;

  private final int dimension;
  private final long maxBatchBytes;
  private final Duration interval;
  private final Duration lease;
  private final SieveMetrics metrics;
  private final BatchTopics batchTopics;
  private final double maxAbsLoss;
  private final int stage;
  private final boolean stagedInput;
  private final CommitGate.Lazy gate;
  private long centroidsVersion = -1;
  private Centroids centroids;
  private long lineageVersion = -1;
  private ClusterLineage lineage;
  private ProcessorContext<String, Outcome<Planned>> context;
  private KeyValueStore<String, TrainerState> trainers;
  private KeyValueStore<String, TrainingBatch> stagedBatches;
  private KeyValueStore<Integer, ClusterStats> clusterStats;
  private KeyValueStore<String, CentroidModel> models;

  /**
   * @param interval how often trainers with credit are planned for and leases checked
   * @param lease how long an outstanding batch holds its credit ({@code batch.lease.ms}), from its
   *     release
   * @param stage batches planned ahead of credit beside the window ({@code batch.stage}; -1: the
   *     trainer's window, 0: none)
   * @param batchTopics which trainers' batch topics can be written: a trainer whose topic is not
   *     ready (not created yet, deleted, or colliding with another trainer's) is not planned for,
   *     so that no batch of it waits on a missing topic inside the stream thread's transaction
   * @param maxAbsLoss largest magnitude of a number in feedback that reaches a policy ({@link
   *     FeedbackRanges})
   * @param stagedInput true for the node that receives the assembled batches ({@code
   *     staged-by-trainer}): it stores and releases them and neither plans nor punctuates (its
   *     output carries no fragments); the other node, fed specs, feedback and controls, does both
   */
  public PlannerProcessor(
      int dimension,
      long maxBatchBytes,
      Duration interval,
      Duration lease,
      int stage,
      SieveMetrics metrics,
      BatchTopics batchTopics,
      double maxAbsLoss,
      boolean stagedInput) {
    this.dimension = dimension;
    this.maxBatchBytes = maxBatchBytes;
    this.interval = interval;
    this.lease = lease;
    this.stage = stage;
    this.metrics = metrics;
    this.batchTopics = batchTopics;
    this.maxAbsLoss = maxAbsLoss;
    this.stagedInput = stagedInput;
    this.gate = new CommitGate.Lazy(() -> CommitGate.of(this.context));
  }

  @Override
  public void init(ProcessorContext<String, Outcome<Planned>> context) {
    this.context = context;
    this.trainers = context.getStateStore(Stores.TRAINERS);
    this.stagedBatches = context.getStateStore(Stores.STAGED_BATCHES);
    this.clusterStats = context.getStateStore(Stores.CLUSTER_STATS);
    this.models = context.getStateStore(Stores.CENTROIDS);
    if (!stagedInput) {
      context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, now -> planAll());
    }
  }

  @Override
  public void close() {
    gate.close();
  }

  @Override
  public void process(Record<String, TrainerEvent> record) {
    gate.get().release();
    TrainerEvent event = record.value();
    if (event instanceof TrainerEvent.Staged staged) {
      onStaged(record.key(), staged.batch());
      return;
    }
    if (stagedInput) {
      throw new IllegalStateException("the staged-batch node got a " + event);
    }
    if (event instanceof TrainerEvent.SpecChanged changed) {
      onSpec(record.key(), changed.spec());
    } else if (event instanceof TrainerEvent.Feedback feedback) {
      onFeedback(record.key(), feedback.feedback());
    } else if (event instanceof TrainerEvent.Control control) {
      onControl(record.key(), control.control());
    }
  }

  private void onControl(String trainerId, TrainerControl control) {
    if (control == null) {
      dead("tombstone", "a trainer control record must have a value", trainerId);
      return;
    }
    TrainerControls.Problem problem = TrainerControls.check(trainerId, control);
    if (problem != null) {
      dead(problem.reason(), problem.detail(), trainerId);
      return;
    }
    TrainerState state = trainers.get(trainerId);
    if (state == null) {
      // most likely a mistyped id: a control for a trainer never declared would otherwise wait,
      // unseen, for a trainer of that name
      dead(
          "unknown-trainer",
          "control " + TrainerControls.describe(control) + " for a trainer never declared",
          trainerId);
      return;
    }
    problem = TrainerControls.apply(state, control);
    if (problem != null) {
      dead(problem.reason(), problem.detail(), trainerId);
      return;
    }
    LOG.info("trainer {}: {}", trainerId, TrainerControls.describe(control));
    String action = control.getAction();
    if (action.equals(TrainerControls.REWIND)
        || action.equals(TrainerControls.SKIP)
        || action.equals(TrainerControls.QUARANTINE)) {
      // staged batches were planned from the sequence or the pool before the control
      discardStaged(state, action);
    }
    plan(state);
    trainers.put(trainerId, state);
  }

  private void onSpec(String trainerId, TrainerSpec spec) {
    TrainerState state = trainers.get(trainerId);
    if (spec == null) {
      metrics.trainerGone(trainerId);
      if (state != null && state.getSpec() != null) {
        purge(state);
      }
      if (state != null) {
        discardStaged(state, DISCARD_DELETED);
        state.setSpec(null);
        state.setOutstanding(new ArrayList<>());
        state.setSpecSequence(state.getSequence());
        trainers.put(trainerId, state);
      }
      return;
    }
    TrainerSpecs.Problem problem = TrainerSpecs.check(trainerId, spec, dimension, maxBatchBytes);
    if (problem != null) {
      dead(problem.reason(), problem.detail(), trainerId);
      return;
    }
    if (state == null) {
      state = TrainerState.newBuilder().setTrainerId(trainerId).build();
    }
    TrainerSpec previous = state.getSpec();
    if (previous != null && !previous.getPolicy().equals(spec.getPolicy())) {
      // another policy starts from fresh cursors; the batch sequence goes on
      state.setCursors(new ArrayList<>());
      state.setPolicyState(new TreeMap<>());
    }
    if (!spec.equals(previous)) {
      // a new spec (or the same trainer restarted with another) starts with its whole window:
      // the batches planned before were for the former spec, and their feedback earns no credit
      state.setOutstanding(new ArrayList<>());
      state.setSpecSequence(state.getSequence());
      discardStaged(state, DISCARD_SPEC);
    }
    state.setSpec(spec);
    state.setStateVersion(state.getStateVersion() + 1);
    plan(state);
    trainers.put(trainerId, state);
  }

  /**
   * A deleted trainer's per-slot state in the pool (served marks, scores) would otherwise stay for
   * good: one purge fragment per live cluster tells each pool task to drop it. It follows every
   * fragment planned for the trainer before, on the same partitions, so none of them is drawn after
   * it.
   */
  private void purge(TrainerState state) {
    long now = context.currentSystemTimeMs();
    BatchHeader header =
        BatchHeader.newBuilder()
            .setBatchId(state.getTrainerId() + "-purge")
            .setTrainerId(state.getTrainerId())
            .setSequence(state.getSequence())
            .setRound(state.getRound())
            .setCycle(0)
            .setPolicy(state.getSpec().getPolicy())
            .setPolicyStateVersion(state.getStateVersion())
            .setSeed(0)
            .setModelVersion(0)
            .setRequested(0)
            .setFragments(0)
            .setPlannedAt(Instant.ofEpochMilli(now))
            .build();
    try (KeyValueIterator<Integer, ClusterStats> it = clusterStats.all()) {
      while (it.hasNext()) {
        int cluster = it.next().key;
        PlanFragment fragment =
            PlanFragment.newBuilder()
                .setHeader(header)
                .setClusterId(cluster)
                .setSlots(new ArrayList<>())
                .setPurge(true)
                .build();
        context.forward(
            new Record<>(state.getTrainerId(), Outcome.ok(new Planned.Fragment(fragment)), now));
      }
    }
  }

  private void onFeedback(String trainerId, TrainerFeedback feedback) {
    if (feedback == null) {
      dead("tombstone", "a feedback record must have a value", trainerId);
      return;
    }
    TrainerState state = trainers.get(trainerId);
    if (state == null || state.getSpec() == null) {
      dead("unknown-trainer", "feedback for a trainer without a spec: " + trainerId, trainerId);
      return;
    }
    List<OutstandingBatch> outstanding = new ArrayList<>(state.getOutstanding());
    boolean acked = outstanding.removeIf(b -> b.getBatchId().equals(feedback.getBatchId()));
    if (!acked) {
      notOutstanding(state, feedback.getBatchId());
      return;
    }
    state.setOutstanding(outstanding);
    TrainerControls.BatchRef ref = TrainerControls.parse(trainerId, feedback.getBatchId());
    if (ref != null) {
      metrics.trainerReady(trainerId, ref.sequence() + 1, context.currentSystemTimeMs());
    }
    FeedbackRanges.Checked checked = FeedbackRanges.check(feedback, maxAbsLoss);
    if (!checked.refused().isEmpty()) {
      // the batch is acknowledged all the same; only the numbers that cannot be trusted go
      dead("loss-out-of-range", checked.describe(maxAbsLoss), feedback.getBatchId());
    }
    followLineage(state);
    Policies.byName(state.getSpec().getPolicy()).onFeedback(checked.feedback(), state, context());
    state.setRound(state.getRound() + 1);
    state.setStateVersion(state.getStateVersion() + 1);
    plan(state);
    trainers.put(trainerId, state);
  }

  /** Dead-letters feedback for a batch that is not outstanding, saying why it may not be. */
  private void notOutstanding(TrainerState state, String batchId) {
    TrainerControls.BatchRef ref = TrainerControls.parse(state.getTrainerId(), batchId);
    long sequence = ref == null ? -1 : ref.sequence();
    if (ref != null && ref.rewinds() < state.getRewinds()) {
      dead(
          "late-feedback",
          "feedback names batch "
              + batchId
              + ", planned before the trainer was rewound, which is no longer outstanding:"
              + " acknowledged already, or its lease expired, or its spec was replaced",
          batchId);
    } else if (ref != null && ref.rewinds() > state.getRewinds()) {
      dead(
          "unknown-batch",
          "feedback names batch " + batchId + ", which is not outstanding",
          batchId);
    } else if (sequence >= 0 && sequence < state.getSpecSequence()) {
      dead(
          "former-spec",
          "feedback names batch " + batchId + ", planned under a spec since replaced",
          batchId);
    } else if (sequence >= state.getSpecSequence() && sequence < state.getSequence()) {
      dead(
          "late-feedback",
          "feedback names batch "
              + batchId
              + ", which is no longer outstanding: acknowledged already, or its lease expired",
          batchId);
    } else {
      dead(
          "unknown-batch",
          "feedback names batch " + batchId + ", which is not outstanding",
          batchId);
    }
  }

  private void planAll() {
    long now = context.currentSystemTimeMs();
    List<KeyValue<String, TrainerState>> ready = new ArrayList<>();
    try (KeyValueIterator<String, TrainerState> it = trainers.all()) {
      while (it.hasNext()) {
        KeyValue<String, TrainerState> kv = it.next();
        TrainerState s = kv.value;
        if (s.getSpec() != null
                && (planned(s) < capacity(s.getSpec()) || releasable(s) || anyExpired(s, now))
            || anyStagedLost(s, now)) {
          ready.add(kv);
        }
      }
    }
    for (KeyValue<String, TrainerState> kv : ready) {
      boolean expired = expireLeases(kv.value, now);
      expired |= expireStaged(kv.value, now);
      if (plan(kv.value) || expired) {
        trainers.put(kv.key, kv.value);
      }
    }
  }

  /**
   * The batches a trainer may have planned and not acknowledged: its window and its stage. The
   * default stage (-1) is the window for a policy its feedback steers (which would steer later with
   * a deeper stage), twice the window for the others, whose batches feedback does not shape and
   * whose trainer a deeper stage shields from the hops' commit interval.
   */
  private int capacity(TrainerSpec spec) {
    return spec.getWindow() + stage(spec, stage);
  }

  /** The stage of a trainer under the {@code batch.stage} setting {@code configured}. */
  static int stage(TrainerSpec spec, int configured) {
    if (configured >= 0) {
      return configured;
    }
    SelectionPolicy policy = Policies.byName(spec.getPolicy());
    boolean steered = policy != null && policy.steeredByFeedback();
    return steered ? spec.getWindow() : 2 * spec.getWindow();
  }

  /** Batches planned and not acknowledged: outstanding, and staged (not discarded). */
  private static int planned(TrainerState state) {
    int n = state.getOutstanding().size();
    for (StagedBatch b : state.getStaged()) {
      if (b.getDiscarded() == null) {
        n++;
      }
    }
    return n;
  }

  /** The staged batch to release next: the live one of lowest sequence, or null. */
  private static StagedBatch nextStaged(TrainerState state) {
    StagedBatch next = null;
    for (StagedBatch b : state.getStaged()) {
      if (b.getDiscarded() == null && (next == null || b.getSequence() < next.getSequence())) {
        next = b;
      }
    }
    return next;
  }

  /** Whether the trainer has credit and its next staged batch is here. */
  private static boolean releasable(TrainerState state) {
    StagedBatch next = nextStaged(state);
    return state.getSpec() != null
        && !state.getPaused()
        && next != null
        && next.getArrived()
        && state.getOutstanding().size() < state.getSpec().getWindow();
  }

  /**
   * An assembled batch back from the assembler: held until the trainer has credit for it and every
   * batch planned before it has been released, then written at once. A batch no longer staged (its
   * spec changed, the trainer was rewound, skipped, quarantined or deleted since) is dropped.
   */
  private void onStaged(String trainerId, TrainingBatch batch) {
    if (batch == null) {
      dead("tombstone", "a staged batch record must have a value", trainerId);
      return;
    }
    TrainerState state = trainers.get(trainerId);
    StagedBatch entry = null;
    if (state != null) {
      for (StagedBatch b : state.getStaged()) {
        if (b.getBatchId().equals(batch.getBatchId())) {
          entry = b;
          break;
        }
      }
    }
    if (entry == null || entry.getDiscarded() != null) {
      String reason = entry == null ? DISCARD_UNKNOWN : entry.getDiscarded();
      LOG.debug(
          "trainer {}: batch {} arrived after it was discarded ({}); dropped",
          trainerId,
          batch.getBatchId(),
          reason);
      gate.get().record(() -> metrics.batchDiscarded(reason));
      if (entry != null) {
        List<StagedBatch> staged = new ArrayList<>(state.getStaged());
        staged.remove(entry);
        state.setStaged(staged);
        trainers.put(trainerId, state);
      }
      return;
    }
    entry.setArrived(true);
    boolean canWrite =
        state.getSpec() != null && batchTopics.ready(trainerId, state.getSpec().getRanks());
    // release only: the stage is refilled where credit comes back (feedback, leases, controls)
    if (canWrite && releasable(state) && nextStaged(state) == entry) {
      // the trainer waits for this very batch: written at once, without a round trip through
      // the store and its changelog
      release(state, batch);
    } else {
      stagedBatches.put(Stores.stagedKey(trainerId, entry.getSequence()), batch);
      if (canWrite) {
        release(state, null);
      }
    }
    trainers.put(trainerId, state);
  }

  /**
   * Writes the trainer's staged batches while it has credit, lowest sequence first, stopping at the
   * first that has not arrived: batches reach the trainer in sequence order. Each becomes
   * outstanding, its lease starting now. True if it released any.
   *
   * @param inHand the batch just arrived, not stored, if it is the next to release; else null
   */
  private boolean release(TrainerState state, TrainingBatch inHand) {
    boolean released = false;
    int count = 0;
    while (releasable(state) && count < MAX_BATCHES_PER_CALL) {
      StagedBatch next = nextStaged(state);
      List<StagedBatch> staged = new ArrayList<>(state.getStaged());
      staged.remove(next);
      state.setStaged(staged);
      String key = Stores.stagedKey(state.getTrainerId(), next.getSequence());
      TrainingBatch batch;
      if (inHand != null && inHand.getBatchId().equals(next.getBatchId())) {
        batch = inHand;
        inHand = null;
      } else {
        batch = stagedBatches.get(key);
        if (batch != null) {
          stagedBatches.delete(key);
        }
      }
      if (batch == null || !batch.getBatchId().equals(next.getBatchId())) {
        // cannot happen while the state and the store are written together; never wait on it
        LOG.warn(
            "trainer {}: staged batch {} is not in {}; it is skipped",
            state.getTrainerId(),
            next.getBatchId(),
            Stores.STAGED_BATCHES);
        metrics.batchDiscarded(DISCARD_LOST);
        continue;
      }
      long now = context.currentSystemTimeMs();
      TrainingBatch out = Embeddings.forTrainer(batch, state.getSpec().getPackedEmbeddings());
      SieveMetrics.BatchFigures figures = SieveMetrics.BatchFigures.of(out, now);
      BatchDiversity diversity = new BatchDiversity(out.getClusterEntropy(), out.getGroupEntropy());
      double vendi = out.getVendiScore();
      gate.get()
          .record(
              () -> {
                metrics.batchWritten(figures, diversity);
                metrics.batchVendi(figures.trainer(), vendi);
              });
      context.forward(
          new Record<>(state.getTrainerId(), Outcome.ok(new Planned.Release(out)), now));
      List<OutstandingBatch> outstanding = new ArrayList<>(state.getOutstanding());
      outstanding.add(
          OutstandingBatch.newBuilder()
              .setBatchId(next.getBatchId())
              .setPlannedAt(next.getPlannedAt())
              .setLeaseExpiresAt(now + lease.toMillis())
              .build());
      state.setOutstanding(outstanding);
      released = true;
      count++;
    }
    if (released) {
      // the trainer sees the batch only once this transaction commits: ask for the commit now
      context.commit();
    }
    return released;
  }

  /**
   * Throws the trainer's staged batches away ({@code reason}): those here are deleted and counted,
   * those still being assembled are marked, to be dropped and counted when they arrive. Their
   * examples were marked served in their cycle by the pool: they wait for the next cycle.
   */
  private void discardStaged(TrainerState state, String reason) {
    if (state.getStaged().isEmpty()) {
      return;
    }
    List<StagedBatch> kept = new ArrayList<>();
    int dropped = 0;
    int marked = 0;
    for (StagedBatch b : state.getStaged()) {
      if (b.getDiscarded() != null) {
        kept.add(b);
      } else if (b.getArrived()) {
        stagedBatches.delete(Stores.stagedKey(state.getTrainerId(), b.getSequence()));
        gate.get().record(() -> metrics.batchDiscarded(reason));
        dropped++;
      } else {
        kept.add(StagedBatch.newBuilder(b).setDiscarded(reason).build());
        marked++;
      }
    }
    int over = kept.size() - MAX_DISCARDED;
    if (over > 0) {
      kept = new ArrayList<>(kept.subList(over, kept.size()));
    }
    if (dropped + marked > 0) {
      LOG.info(
          "trainer {}: {} staged batches discarded ({}), {} of them still being assembled",
          state.getTrainerId(),
          dropped + marked,
          reason,
          marked);
    }
    state.setStaged(kept);
  }

  private boolean anyStagedLost(TrainerState state, long now) {
    for (StagedBatch b : state.getStaged()) {
      if (!b.getArrived() && b.getPlannedAt() + lease.toMillis() <= now) {
        return true;
      }
    }
    return false;
  }

  /**
   * Forgets staged batches that have not arrived within {@code batch.lease.ms} of planning (the
   * assembler writes every batch within its timeout, so this is a safety net): a live one would
   * otherwise hold back every later batch for good. True if there was one.
   */
  private boolean expireStaged(TrainerState state, long now) {
    List<StagedBatch> kept = new ArrayList<>(state.getStaged().size());
    for (StagedBatch b : state.getStaged()) {
      if (!b.getArrived() && b.getPlannedAt() + lease.toMillis() <= now) {
        if (b.getDiscarded() == null) {
          LOG.warn(
              "trainer {}: staged batch {} did not come back from assembly within"
                  + " batch.lease.ms={}; the batches after it are released without it",
              state.getTrainerId(),
              b.getBatchId(),
              lease.toMillis());
          metrics.batchDiscarded(DISCARD_LOST);
        }
        continue;
      }
      kept.add(b);
    }
    if (kept.size() == state.getStaged().size()) {
      return false;
    }
    state.setStaged(kept);
    return true;
  }

  private long expiry(OutstandingBatch b) {
    return b.getLeaseExpiresAt() > 0 ? b.getLeaseExpiresAt() : b.getPlannedAt() + lease.toMillis();
  }

  private boolean anyExpired(TrainerState state, long now) {
    for (OutstandingBatch b : state.getOutstanding()) {
      if (expiry(b) <= now) {
        return true;
      }
    }
    return false;
  }

  /** Gives back the credit of every batch whose lease ran out; true if there was one. */
  private boolean expireLeases(TrainerState state, long now) {
    List<OutstandingBatch> kept = new ArrayList<>(state.getOutstanding().size());
    for (OutstandingBatch b : state.getOutstanding()) {
      if (expiry(b) > now) {
        kept.add(b);
        continue;
      }
      LOG.warn(
          "trainer {}: batch {} was not acknowledged within batch.lease.ms={}; its credit comes"
              + " back",
          state.getTrainerId(),
          b.getBatchId(),
          lease.toMillis());
      metrics.leaseExpired(state.getTrainerId());
      dead(
          "lease-expired",
          "batch "
              + b.getBatchId()
              + " planned at "
              + Instant.ofEpochMilli(b.getPlannedAt())
              + " was not acknowledged by "
              + Instant.ofEpochMilli(expiry(b))
              + "; its credit came back",
          b.getBatchId());
    }
    if (kept.size() == state.getOutstanding().size()) {
      return false;
    }
    state.setOutstanding(kept);
    return true;
  }

  /**
   * Plans while the trainer has credit and the pool holds a batch, at most {@link
   * #MAX_BATCHES_PER_CALL} batches; true if it planned any or the trainer's state followed the
   * model's lineage. The pool's statistics are read once per call, not once per batch: they do not
   * change while a record or punctuation is processed, and a large window must not multiply their
   * cost inside one transaction. What is left of the window is planned at the next punctuation.
   */
  private boolean plan(TrainerState state) {
    TrainerSpec spec = state.getSpec();
    boolean planned = false;
    if (spec != null && !batchTopics.ready(state.getTrainerId(), spec.getRanks())) {
      // paused until its batch topic is there with a partition per rank: planAll tries again
      return false;
    }
    if (state.getPaused()) {
      return false; // paused by an operator until a resume control; staged batches stay staged
    }
    planned = release(state, null);
    if (spec != null && planned(state) < capacity(spec)) {
      planned |= followLineage(state);
    }
    PlanContext planContext = null;
    int count = 0;
    while (spec != null && planned(state) < capacity(spec) && count < MAX_BATCHES_PER_CALL) {
      if (planContext == null) {
        planContext = withoutQuarantined(context(), state);
      }
      long total = planContext.poolSizes().values().stream().mapToLong(Long::longValue).sum();
      if (total < spec.getBatchSize()) {
        break;
      }
      planOne(state, spec, planContext);
      planned = true;
      count++;
    }
    return planned;
  }

  private void planOne(TrainerState state, TrainerSpec spec, PlanContext planContext) {
    long sequence = state.getSequence();
    long seed = Seeds.mix(spec.getSeed(), Seeds.of(state.getTrainerId()), sequence);
    SelectionPolicy policy = Policies.byName(spec.getPolicy());
    Map<String, Double> policyBefore = new HashMap<>(state.getPolicyState());
    long stateVersion = state.getStateVersion();
    Draw draw = policy.draw(state, planContext, spec.getBatchSize(), seed);
    if (!policyBefore.equals(state.getPolicyState())) {
      // the batch records the state it was planned from; the change shows in the next version
      state.setStateVersion(stateVersion + 1);
    }
    TreeMap<Integer, PlanFragment.Builder> fragments = fragments(draw);
    GroupQuotas.Constraint constraint =
        draw.groupShares() != null
            ? new GroupQuotas.Constraint(
                attributeOf(draw.groupShares()),
                valuesOf(draw.groupShares()),
                GroupQuotas.Mode.EXACT)
            : GroupQuotas.parse(spec.getParams());
    TreeMap<String, Integer> groupTargets = new TreeMap<>();
    TreeMap<String, Integer> groupMinimums = new TreeMap<>();
    boolean grouped = constraint != null && !constraint.shares().isEmpty();
    if (grouped) {
      GroupQuotas.Result result =
          applyGroups(state, constraint, draw, planContext, fragments, seed);
      if (constraint.mode() == GroupQuotas.Mode.EXACT) {
        groupTargets.putAll(result.demanded());
      } else if (constraint.mode() == GroupQuotas.Mode.MINIMUM) {
        groupMinimums.putAll(result.demanded());
        // the free part is no demand
        groupMinimums.keySet().removeIf(k -> !k.contains("="));
      }
    }
    if (fragments.keySet().removeAll(state.getQuarantinedClusters())) {
      // the policy saw no pool of them; a lineage or cursor that still named one must not leak it
      LOG.warn(
          "trainer {}: the policy named a quarantined cluster; its fragment is dropped",
          state.getTrainerId());
    }
    setWeights(policy, state, planContext, draw, fragments, grouped);
    int requested = 0;
    for (PlanFragment.Builder f : fragments.values()) {
      requested += fragmentTotal(f);
    }
    long now = context.currentSystemTimeMs();
    String batchId = TrainerControls.batchId(state.getTrainerId(), sequence, state.getRewinds());
    CentroidModel model = models.get(Topics.MODEL_KEY);
    BatchHeader header =
        BatchHeader.newBuilder()
            .setBatchId(batchId)
            .setTrainerId(state.getTrainerId())
            .setSequence(sequence)
            .setRound(state.getRound())
            .setCycle(draw.cycle())
            .setPolicy(policy.name())
            .setPolicyStateVersion(stateVersion)
            .setSeed(seed)
            .setModelVersion(model == null ? 0 : model.getVersion())
            .setRequested(requested)
            .setFragments(fragments.size())
            .setClusters(new ArrayList<>(fragments.keySet()))
            .setIdsOnly(spec.getIdsOnly())
            .setPackedEmbeddings(spec.getPackedEmbeddings())
            .setPolicyState(new java.util.TreeMap<>(state.getPolicyState()))
            .setGroupTargets(groupTargets)
            .setGroupMinimums(groupMinimums)
            .setRanks(spec.getRanks())
            .setPlannedAt(Instant.ofEpochMilli(now))
            .build();
    List<String> excluded = new ArrayList<>(state.getQuarantinedGroups());
    for (Map.Entry<Integer, PlanFragment.Builder> e : fragments.entrySet()) {
      PlanFragment fragment = e.getValue().setHeader(header).setExcludedGroups(excluded).build();
      context.forward(
          new Record<>(state.getTrainerId(), Outcome.ok(new Planned.Fragment(fragment)), now));
    }
    // staged until it comes back assembled and the trainer has credit for it
    List<StagedBatch> staged = new ArrayList<>(state.getStaged());
    staged.add(
        StagedBatch.newBuilder()
            .setBatchId(batchId)
            .setSequence(sequence)
            .setPlannedAt(now)
            .build());
    state.setStaged(staged);
    state.setSequence(sequence + 1);
    // the fragments reach the pool at the thread's next commit (commit.interval.ms). A commit asked
    // for at each hop of every batch made the stream threads commit after nearly every record
    // (Kafka Streams halves its records per loop after each commit), which starved ingest and
    // held feedback back; only a release, which a trainer is waiting on, asks for one
  }

  /**
   * Sets each fragment's sampling weight ({@link SamplingWeights}): 1 under uniform sampling, else
   * the cluster's pool share over its expected batch share, from the policy where it knows it in
   * expectation, or from the fragments' counts (always so under a group constraint, which reshapes
   * the policy's split).
   */
  private static void setWeights(
      SelectionPolicy policy,
      TrainerState state,
      PlanContext planContext,
      Draw draw,
      TreeMap<Integer, PlanFragment.Builder> fragments,
      boolean grouped) {
    if (policy instanceof UniformPolicy && !grouped && draw.expectedShares() == null) {
      // plain RS2: every weight is 1 (a recency mix knows its expected shares instead)
      return;
    }
    Map<Integer, Double> shares = grouped ? null : policy.batchShares(state, planContext, draw);
    if (shares == null) {
      shares = new TreeMap<>();
      for (Map.Entry<Integer, PlanFragment.Builder> e : fragments.entrySet()) {
        shares.put(e.getKey(), (double) fragmentTotal(e.getValue()));
      }
    }
    TreeMap<Integer, Double> weights = SamplingWeights.of(planContext.poolSizes(), shares);
    for (Map.Entry<Integer, PlanFragment.Builder> e : fragments.entrySet()) {
      e.getValue().setWeight(weights.getOrDefault(e.getKey(), 1.0));
    }
  }

  /** One fragment per cluster the draw names: its slots, or its pool-chosen count. */
  private static TreeMap<Integer, PlanFragment.Builder> fragments(Draw draw) {
    TreeMap<Integer, PlanFragment.Builder> out = new TreeMap<>();
    for (Map.Entry<Integer, Integer> e : draw.perCluster().entrySet()) {
      List<Draw.Pick> picks = draw.picks().getOrDefault(e.getKey(), List.of());
      List<Long> slots = new ArrayList<>(picks.size());
      List<Long> cycles = new ArrayList<>(picks.size());
      for (Draw.Pick p : picks) {
        slots.add(p.slot());
        cycles.add(p.cycle());
      }
      out.put(
          e.getKey(),
          PlanFragment.newBuilder()
              .setClusterId(e.getKey())
              .setSlots(slots)
              .setCycles(cycles)
              .setStrategy(draw.strategy())
              .setStrategyParams(
                  new TreeMap<>(CoveragePolicy.paramsFor(draw.strategyParams(), e.getKey())))
              .setCount(draw.counts().getOrDefault(e.getKey(), 0)));
    }
    return out;
  }

  /**
   * Replaces the fragments' counts by group quotas; slots stay as preferred candidates. Returns the
   * quotas' plan.
   */
  private GroupQuotas.Result applyGroups(
      TrainerState state,
      GroupQuotas.Constraint constraint,
      Draw draw,
      PlanContext planContext,
      TreeMap<Integer, PlanFragment.Builder> fragments,
      long seed) {
    GroupQuotas.Result result =
        GroupQuotas.plan(
            constraint,
            draw.total(),
            draw.perCluster(),
            planContext,
            new Random(Seeds.mix(seed, GROUP_SALT)));
    for (GroupQuotas.Shortfall s : result.shortfalls()) {
      // only a forecast: the pool may hold more than its statistics say (the assembler reports
      // a batch that really misses a target)
      LOG.debug(
          "trainer {}: group target {} wants {} items per batch and the statistics show {}; the"
              + " pool is asked to make up the difference from what it holds",
          state.getTrainerId(),
          s.group(),
          s.wanted(),
          s.got());
    }
    fragments.keySet().retainAll(result.perCluster().keySet());
    for (Map.Entry<Integer, GroupQuotas.ClusterQuota> e : result.perCluster().entrySet()) {
      PlanFragment.Builder f =
          fragments.computeIfAbsent(
              e.getKey(),
              k ->
                  PlanFragment.newBuilder()
                      .setClusterId(k)
                      .setSlots(new ArrayList<>())
                      .setCycles(new ArrayList<>())
                      .setStrategy(draw.strategy())
                      .setStrategyParams(
                          new TreeMap<>(CoveragePolicy.paramsFor(draw.strategyParams(), k))));
      GroupQuotas.ClusterQuota q = e.getValue();
      f.setCount(0)
          .setGroupAttribute(constraint.attribute())
          .setGroupQuotas(new TreeMap<>(q.byValue()))
          .setOtherQuota(q.other())
          .setFreeQuota(q.free())
          .setGroupSpare(new TreeMap<>(result.spare().getOrDefault(e.getKey(), new TreeMap<>())));
    }
    return result;
  }

  /** Items a fragment asks for. */
  static int fragmentTotal(PlanFragment.Builder f) {
    return PoolDraw.requested(
        f.getGroupAttribute(),
        f.getGroupQuotas(),
        f.getOtherQuota(),
        f.getFreeQuota(),
        f.getSlots().size(),
        f.getCount());
  }

  private static String attributeOf(Map<String, Double> keyed) {
    String key = keyed.keySet().iterator().next();
    return key.substring(0, key.indexOf('='));
  }

  private static Map<String, Double> valuesOf(Map<String, Double> keyed) {
    Map<String, Double> out = new TreeMap<>();
    keyed.forEach((k, v) -> out.put(k.substring(k.indexOf('=') + 1), v));
    return out;
  }

  /**
   * Copies a new cluster's parent's policy numbers to it and drops the numbers and cursors of
   * retired clusters ({@link ClusterLineage}); true if the trainer's state changed.
   */
  private boolean followLineage(TrainerState state) {
    CentroidModel model = models.get(Topics.MODEL_KEY);
    if (model == null) {
      return false;
    }
    if (model.getVersion() != lineageVersion) {
      lineage = ClusterLineage.of(model);
      lineageVersion = model.getVersion();
    }
    if (!lineage.reconcile(state)) {
      return false;
    }
    state.setStateVersion(state.getStateVersion() + 1);
    return true;
  }

  /**
   * The context without what the trainer's operators quarantined: its quarantined clusters, and
   * each cluster whose pooled items all hold a quarantined group value (by the statistics), leave
   * the pool sizes; the quarantined values leave the group counts, so that group quotas see no
   * supply of them. A cluster that only partly holds a quarantined value stays: the pool draws its
   * other items in place of the quarantined ones.
   */
  public static PlanContext withoutQuarantined(PlanContext context, TrainerState state) {
    if (state.getQuarantinedClusters().isEmpty() && state.getQuarantinedGroups().isEmpty()) {
      return context;
    }
    Set<Integer> out = new HashSet<>(state.getQuarantinedClusters());
    Map<Integer, Map<String, Long>> groups = new TreeMap<>();
    for (Map.Entry<Integer, Long> e : context.poolSizes().entrySet()) {
      Map<String, Long> counts = context.groupCounts().get(e.getKey());
      if (counts == null) {
        continue;
      }
      Map<String, Long> kept = new TreeMap<>(counts);
      for (String g : state.getQuarantinedGroups()) {
        Long n = kept.remove(g);
        if (n != null && n >= e.getValue()) {
          out.add(e.getKey());
        }
      }
      groups.put(e.getKey(), kept);
    }
    SortedMap<Integer, Long> sizes = new TreeMap<>(context.poolSizes());
    sizes.keySet().removeAll(out);
    groups.keySet().removeAll(out);
    return new PlanContext(sizes, groups, context.centroids());
  }

  /** Pool sizes and group counts from the cluster statistics, and the current centres. */
  private PlanContext context() {
    SortedMap<Integer, Long> sizes = new TreeMap<>();
    Map<Integer, Map<String, Long>> groups = new TreeMap<>();
    try (KeyValueIterator<Integer, ClusterStats> it = clusterStats.all()) {
      while (it.hasNext()) {
        KeyValue<Integer, ClusterStats> kv = it.next();
        if (kv.value != null && kv.value.getSize() > 0) {
          sizes.put(kv.key, kv.value.getSize());
          groups.put(kv.key, kv.value.getGroupCounts());
        }
      }
    }
    CentroidModel model = models.get(Topics.MODEL_KEY);
    if (model == null) {
      centroids = null;
      centroidsVersion = -1;
    } else if (model.getVersion() != centroidsVersion) {
      centroids = CentroidModels.centroids(model);
      centroidsVersion = model.getVersion();
    }
    return new PlanContext(sizes, groups, centroids);
  }

  private void dead(String reason, String detail, String recordId) {
    DeadLetter letter = DeadLetters.of(context, STAGE, reason, detail, recordId, null);
    context.forward(
        new Record<String, Outcome<Planned>>(
            recordId, Outcome.dead(letter), context.currentSystemTimeMs()));
  }
}
