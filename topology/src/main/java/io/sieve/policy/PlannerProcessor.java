package io.sieve.policy;

import io.sieve.avro.BatchHeader;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.OutstandingBatch;
import io.sieve.avro.PlanFragment;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.config.Topics;
import io.sieve.topology.DeadLetters;
import io.sieve.topology.Outcome;
import io.sieve.topology.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Plans batches for the trainers of its partitions (keyed by trainer id).
 *
 * <p>Credit-based flow: a trainer has at most {@code window} batches outstanding; feedback that
 * acknowledges one returns its credit. With credit and a pool that holds a full batch, the
 * trainer's policy chooses slots per cluster, and one plan fragment per cluster goes to the pool
 * partitions, keyed by cluster id. The planner reads pool sizes from the replicated cluster-stats
 * store; they only grow, so a slightly stale size names slots that exist.
 */
public final class PlannerProcessor
    implements Processor<String, TrainerEvent, Integer, Outcome<PlanFragment>> {

  public static final String STAGE = "plan";

  private final int dimension;
  private final long maxBatchBytes;
  private final Duration interval;
  private ProcessorContext<Integer, Outcome<PlanFragment>> context;
  private KeyValueStore<String, TrainerState> trainers;
  private KeyValueStore<Integer, ClusterStats> clusterStats;
  private KeyValueStore<String, CentroidModel> models;

  public PlannerProcessor(int dimension, long maxBatchBytes, Duration interval) {
    this.dimension = dimension;
    this.maxBatchBytes = maxBatchBytes;
    this.interval = interval;
  }

  @Override
  public void init(ProcessorContext<Integer, Outcome<PlanFragment>> context) {
    this.context = context;
    this.trainers = context.getStateStore(Stores.TRAINERS);
    this.clusterStats = context.getStateStore(Stores.CLUSTER_STATS);
    this.models = context.getStateStore(Stores.CENTROIDS);
    context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, now -> planAll());
  }

  @Override
  public void process(Record<String, TrainerEvent> record) {
    TrainerEvent event = record.value();
    if (event instanceof TrainerEvent.SpecChanged changed) {
      onSpec(record.key(), changed.spec());
    } else if (event instanceof TrainerEvent.Feedback feedback) {
      onFeedback(record.key(), feedback.feedback());
    }
  }

  private void onSpec(String trainerId, TrainerSpec spec) {
    TrainerState state = trainers.get(trainerId);
    if (spec == null) {
      if (state != null) {
        state.setSpec(null);
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
    state.setSpec(spec);
    state.setStateVersion(state.getStateVersion() + 1);
    plan(state);
    trainers.put(trainerId, state);
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
      dead(
          "unknown-batch",
          "feedback names batch " + feedback.getBatchId() + ", which is not outstanding",
          feedback.getBatchId());
      return;
    }
    state.setOutstanding(outstanding);
    state.setRound(state.getRound() + 1);
    state.setStateVersion(state.getStateVersion() + 1);
    plan(state);
    trainers.put(trainerId, state);
  }

  private void planAll() {
    List<KeyValue<String, TrainerState>> ready = new ArrayList<>();
    try (KeyValueIterator<String, TrainerState> it = trainers.all()) {
      while (it.hasNext()) {
        KeyValue<String, TrainerState> kv = it.next();
        TrainerState s = kv.value;
        if (s.getSpec() != null && s.getOutstanding().size() < s.getSpec().getWindow()) {
          ready.add(kv);
        }
      }
    }
    for (KeyValue<String, TrainerState> kv : ready) {
      if (plan(kv.value)) {
        trainers.put(kv.key, kv.value);
      }
    }
  }

  /** Plans while the trainer has credit and the pool holds a batch; true if it planned any. */
  private boolean plan(TrainerState state) {
    TrainerSpec spec = state.getSpec();
    boolean planned = false;
    while (spec != null && state.getOutstanding().size() < spec.getWindow()) {
      SortedMap<Integer, Long> sizes = poolSizes();
      long total = sizes.values().stream().mapToLong(Long::longValue).sum();
      if (total < spec.getBatchSize()) {
        break;
      }
      planOne(state, spec, sizes);
      planned = true;
    }
    return planned;
  }

  private void planOne(TrainerState state, TrainerSpec spec, SortedMap<Integer, Long> sizes) {
    long sequence = state.getSequence();
    long seed = Seeds.mix(spec.getSeed(), Seeds.of(state.getTrainerId()), sequence);
    SelectionPolicy policy = Policies.byName(spec.getPolicy());
    Draw draw = policy.draw(state, sizes, spec.getBatchSize(), seed);
    long now = context.currentSystemTimeMs();
    String batchId = state.getTrainerId() + "-" + sequence;
    CentroidModel model = models.get(Topics.MODEL_KEY);
    BatchHeader header =
        BatchHeader.newBuilder()
            .setBatchId(batchId)
            .setTrainerId(state.getTrainerId())
            .setSequence(sequence)
            .setRound(state.getRound())
            .setCycle(draw.cycle())
            .setPolicy(policy.name())
            .setPolicyStateVersion(state.getStateVersion())
            .setSeed(seed)
            .setModelVersion(model == null ? 0 : model.getVersion())
            .setRequested(draw.total())
            .setFragments(draw.picks().size())
            .setClusters(new ArrayList<>(draw.picks().keySet()))
            .setIdsOnly(spec.getIdsOnly())
            .setPlannedAt(Instant.ofEpochMilli(now))
            .build();
    for (Map.Entry<Integer, List<Draw.Pick>> e : draw.picks().entrySet()) {
      List<Long> slots = new ArrayList<>(e.getValue().size());
      List<Long> cycles = new ArrayList<>(e.getValue().size());
      for (Draw.Pick p : e.getValue()) {
        slots.add(p.slot());
        cycles.add(p.cycle());
      }
      PlanFragment fragment =
          PlanFragment.newBuilder()
              .setHeader(header)
              .setClusterId(e.getKey())
              .setSlots(slots)
              .setCycles(cycles)
              .build();
      context.forward(new Record<>(e.getKey(), Outcome.ok(fragment), now));
    }
    List<OutstandingBatch> outstanding = new ArrayList<>(state.getOutstanding());
    outstanding.add(OutstandingBatch.newBuilder().setBatchId(batchId).setPlannedAt(now).build());
    state.setOutstanding(outstanding);
    state.setSequence(sequence + 1);
  }

  private SortedMap<Integer, Long> poolSizes() {
    SortedMap<Integer, Long> sizes = new TreeMap<>();
    try (KeyValueIterator<Integer, ClusterStats> it = clusterStats.all()) {
      while (it.hasNext()) {
        KeyValue<Integer, ClusterStats> kv = it.next();
        if (kv.value != null && kv.value.getSize() > 0) {
          sizes.put(kv.key, kv.value.getSize());
        }
      }
    }
    return sizes;
  }

  private void dead(String reason, String detail, String recordId) {
    DeadLetter letter = DeadLetters.of(context, STAGE, reason, detail, recordId, null);
    context.forward(
        new Record<Integer, Outcome<PlanFragment>>(
            -1, Outcome.dead(letter), context.currentSystemTimeMs()));
  }
}
