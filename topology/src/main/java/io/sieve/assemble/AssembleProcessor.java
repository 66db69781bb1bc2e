package io.sieve.assemble;

import io.sieve.avro.BatchExample;
import io.sieve.avro.BatchHeader;
import io.sieve.avro.IndexEntry;
import io.sieve.avro.PendingBatch;
import io.sieve.avro.Selection;
import io.sieve.avro.TrainingBatch;
import io.sieve.diversity.BatchDiversity;
import io.sieve.diversity.SecondMoment;
import io.sieve.diversity.Sketches;
import io.sieve.feedback.ScoreRouterProcessor;
import io.sieve.policy.GroupQuotas;
import io.sieve.policy.GroupValues;
import io.sieve.serde.Embeddings;
import io.sieve.serde.ExampleBytes;
import io.sieve.stream.CommitGate;
import io.sieve.stream.DeadLetters;
import io.sieve.stream.Outcome;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers a batch's fragments (keyed by batch id) and, once every cluster has answered, sends the
 * batch, keyed by trainer id, back to the planner's partition of the trainer ({@code
 * staged-by-trainer}), which writes it to the trainer's topic when the trainer has credit, in
 * sequence order. Its embeddings stay packed, as on every private topic; they are sized here in the
 * form the trainer receives. A batch still waiting after the timeout is written with {@code
 * complete=false} and the clusters that did not answer: flagged, never silently short. A written
 * batch leaves a marker for a while so that a fragment arriving late is dead-lettered rather than
 * starting a second batch of the same id. The marker keeps the batch's index (example id, cluster,
 * slot) so that the trainer's per-example losses can be sent back to the pool ({@link
 * ScoreRouterProcessor}); it is dropped with the marker, {@code 10 ×} the timeout after the batch
 * was started.
 *
 * <p>A batch that would not fit {@code batch.max.bytes} (its examples' texts longer than the spec
 * check allowed for) is written without its largest examples, flagged {@code complete=false}: a
 * batch the broker refused would never reach the trainer, and the credit it holds would never come
 * back. The fulfilment already keeps each fragment within its share of the limit (so that the
 * fragments held here fit too); this is the last check, on the exact serialized size. The examples
 * left out stay in the pool; they are counted and logged.
 *
 * <p>A batch whose group counts miss what the trainer's spec demands (the header's exact targets or
 * minimums) is flagged {@code complete=false}, logged and counted per group: a complete batch holds
 * every group count its spec demands, whatever the statistics the planner worked from.
 *
 * <p>The assembly's figures (trimmed examples, group shortfalls) are recorded once the stream
 * thread has committed after sending the batch on ({@link CommitGate}): a transaction that aborts
 * assembles its batches again, and they are counted once. The batch's own figures are the
 * planner's, recorded when it writes the batch.
 *
 * <p><b>Storage, linear in fragments.</b> The store holds the batch's record under its id (header,
 * first arrival; once written, the marker and index) and each fragment under its own key, the batch
 * id, a NUL and the cluster id, so that a fragment costs one write of itself and the batch one
 * range read when it is written, not a read and rewrite of every fragment so far at each arrival.
 * How many fragments a batch has is kept in memory, recounted from the store after a restart. A
 * batch record that still holds its fragments inline (state written before this layout) is read
 * too.
 */
public final class AssembleProcessor
    implements Processor<String, Selection, String, Outcome<TrainingBatch>> {

  public static final String STAGE = "assemble";
  private static final Duration SWEEP = Duration.ofSeconds(1);

  private static final Logger LOG = LoggerFactory.getLogger(AssembleProcessor.class);

  /** Batches a sweep writes (timed out) or forgets (written long ago) at most. */
  static final int MAX_DUE_PER_SWEEP = 16;

  private final Duration timeout;
  private final long maxBytes;
  private final ToIntFunction<TrainingBatch> sizer;
  private final SieveMetrics metrics;
  private final Function<ProcessingContext, CommitGate> gates;

  /** Between a batch id and its cluster id in a fragment's key; sorts before any id character. */
  static final char FRAGMENT_SEPARATOR = '\u0000';

  private static final char FRAGMENT_END = '\u0001';

  private ProcessorContext<String, Outcome<TrainingBatch>> context;
  private KeyValueStore<String, PendingBatch> pending;
  private final CommitGate.Lazy gate;

  /** Fragments received per batch not yet written; bounded by the batches in flight. */
  private final Map<String, Integer> answered = new HashMap<>();

  /**
   * @param maxBytes the largest batch record to write ({@code batch.max.bytes})
   * @param sizer a batch's size as written (its serialized length)
   */
  public AssembleProcessor(
      Duration timeout, long maxBytes, ToIntFunction<TrainingBatch> sizer, SieveMetrics metrics) {
    this(timeout, maxBytes, sizer, metrics, CommitGate::of);
  }

  /**
   * @param gates the gate of a task's figures, from its context (tests give their own)
   */
  AssembleProcessor(
      Duration timeout,
      long maxBytes,
      ToIntFunction<TrainingBatch> sizer,
      SieveMetrics metrics,
      Function<ProcessingContext, CommitGate> gates) {
    this.timeout = timeout;
    this.maxBytes = maxBytes;
    this.sizer = sizer;
    this.metrics = metrics;
    this.gates = gates;
    this.gate = new CommitGate.Lazy(() -> gates.apply(this.context));
  }

  @Override
  public void init(ProcessorContext<String, Outcome<TrainingBatch>> context) {
    this.context = context;
    this.pending = context.getStateStore(Stores.ASSEMBLY);
    // a task revived after an aborted transaction recounts from its restored store
    answered.clear();
    context.schedule(SWEEP, PunctuationType.WALL_CLOCK_TIME, this::sweep);
  }

  @Override
  public void close() {
    gate.close();
  }

  @Override
  public void process(Record<String, Selection> record) {
    gate.get().release();
    Selection selection = record.value();
    String batchId = record.key();
    PendingBatch batch = pending.get(batchId);
    if (batch != null && batch.getEmitted()) {
      context.forward(
          record
              .withKey(selection.getHeader().getTrainerId())
              .withValue(
                  Outcome.dead(
                      DeadLetters.of(
                          context,
                          STAGE,
                          "late-fragment",
                          "cluster "
                              + selection.getClusterId()
                              + " answered after batch "
                              + batchId
                              + " was written",
                          batchId,
                          null))));
      return;
    }
    if (batch == null) {
      batch =
          PendingBatch.newBuilder()
              .setHeader(selection.getHeader())
              .setSelections(new ArrayList<>())
              .setFirstArrival(context.currentSystemTimeMs())
              .build();
      pending.put(batchId, batch);
      answered.put(batchId, 0);
    }
    int count = answered(batchId, batch);
    String key = fragmentKey(batchId, selection.getClusterId());
    boolean repeat =
        batch.getSelections().stream().anyMatch(s -> s.getClusterId() == selection.getClusterId())
            || pending.get(key) != null;
    if (repeat) {
      return;
    }
    pending.put(
        key,
        PendingBatch.newBuilder()
            .setHeader(batch.getHeader())
            .setSelections(List.of(selection))
            .setFirstArrival(batch.getFirstArrival())
            .build());
    count++;
    if (count >= batch.getHeader().getFragments()) {
      emit(batchId, gather(batchId, batch), record.timestamp());
    } else {
      answered.put(batchId, count);
    }
  }

  /** The store key of one cluster's fragment of a batch: after the batch's own key, in order. */
  static String fragmentKey(String batchId, int cluster) {
    return batchId + FRAGMENT_SEPARATOR + String.format("%08x", cluster);
  }

  private static boolean isFragmentKey(String key) {
    return key.indexOf(FRAGMENT_SEPARATOR) >= 0;
  }

  /** The fragments a batch holds so far: from memory, or counted in the store after a restart. */
  private int answered(String batchId, PendingBatch batch) {
    Integer known = answered.get(batchId);
    if (known != null) {
      return known;
    }
    int n = gather(batchId, batch).getSelections().size();
    answered.put(batchId, n);
    return n;
  }

  /** The batch with every fragment received so far: those inline and those under their keys. */
  private PendingBatch gather(String batchId, PendingBatch batch) {
    List<Selection> selections = new ArrayList<>(batch.getSelections());
    Set<Integer> clusters = new HashSet<>();
    selections.forEach(s -> clusters.add(s.getClusterId()));
    try (KeyValueIterator<String, PendingBatch> it =
        pending.range(batchId + FRAGMENT_SEPARATOR, batchId + FRAGMENT_END)) {
      while (it.hasNext()) {
        for (Selection s : it.next().value.getSelections()) {
          if (clusters.add(s.getClusterId())) {
            selections.add(s);
          }
        }
      }
    }
    return PendingBatch.newBuilder(batch).setSelections(selections).build();
  }

  /**
   * Deletes the batch's fragment entries (it has been written): by their keys, known from the
   * fragments gathered, rather than by reading the range again.
   */
  private void dropFragments(String batchId, PendingBatch gathered) {
    for (Selection s : gathered.getSelections()) {
      // a put of null deletes without reading and decoding the old value, as delete() would
      pending.put(fragmentKey(batchId, s.getClusterId()), null);
    }
  }

  private void sweep(long now) {
    gate.get().release();
    // bounded work per punctuation: at most MAX_DUE_PER_SWEEP batches are written or forgotten,
    // the rest wait for the next sweep (a second later), so a backlog never outlives a transaction
    List<KeyValue<String, PendingBatch>> due = new ArrayList<>();
    try (KeyValueIterator<String, PendingBatch> it = pending.all()) {
      while (it.hasNext() && due.size() < MAX_DUE_PER_SWEEP) {
        KeyValue<String, PendingBatch> kv = it.next();
        if (isFragmentKey(kv.key)) {
          continue; // gathered with its batch
        }
        long age = now - kv.value.getFirstArrival();
        if (kv.value.getEmitted() ? age >= 10 * timeout.toMillis() : age >= timeout.toMillis()) {
          due.add(kv);
        }
      }
    }
    for (KeyValue<String, PendingBatch> kv : due) {
      if (kv.value.getEmitted()) {
        pending.delete(kv.key);
      } else {
        emit(kv.key, gather(kv.key, kv.value), now);
      }
    }
  }

  private void emit(String batchId, PendingBatch batch, long timestamp) {
    TrainingBatch out = assemble(batch, context.currentSystemTimeMs());
    // the sink serializes every batch anyway: measure it here too only when it may be near the
    // limit (the rough estimate is within a factor 2 of it)
    long rough = 0;
    for (BatchExample e : out.getExamples()) {
      rough += ExampleBytes.rough(e);
    }
    boolean packed = batch.getHeader().getPackedEmbeddings();
    int size = 2 * rough < maxBytes ? 0 : sizer.applyAsInt(Embeddings.forTrainer(out, packed));
    if (size > maxBytes) {
      int before = out.getExamples().size();
      while (size > maxBytes && !out.getExamples().isEmpty()) {
        batch = withoutLargest(batch, out, size - maxBytes);
        out = assemble(batch, context.currentSystemTimeMs());
        size = sizer.applyAsInt(Embeddings.forTrainer(out, packed));
      }
      int left = before - out.getExamples().size();
      LOG.warn(
          "batch {} of trainer {} would not fit batch.max.bytes={}; written with {} of its {}"
              + " examples ({} bytes), flagged incomplete; the {} left out stay pooled",
          batchId,
          out.getTrainerId(),
          maxBytes,
          out.getExamples().size(),
          before,
          size,
          left);
      String trainer = out.getTrainerId();
      gate.get().record(() -> metrics.batchTrimmed(trainer, left));
    }
    List<GroupQuotas.Shortfall> misses = groupMisses(batch.getHeader(), out.getExamples());
    for (GroupQuotas.Shortfall m : misses) {
      LOG.warn(
          "batch {} of trainer {} holds {} of group {} where its spec demands {}; flagged"
              + " incomplete",
          batchId,
          out.getTrainerId(),
          m.got(),
          m.group(),
          m.wanted());
      gate.get().record(() -> metrics.groupShortfall(m.group()));
    }
    // the batch's own figures (count, latency, composition, diversity) are recorded by the
    // planner when it writes the batch to the trainer's topic
    // staged, it reaches the planner at the thread's next commit; no commit is asked for here
    context.forward(new Record<>(out.getTrainerId(), Outcome.ok(out), timestamp));
    pending.put(
        batchId,
        PendingBatch.newBuilder(batch)
            .setSelections(new ArrayList<>())
            .setEmitted(true)
            .setIndex(index(batch))
            .build());
    dropFragments(batchId, batch);
    answered.remove(batchId);
  }

  /**
   * The batch without its largest examples (by {@link ExampleBytes#rough}), enough of them to take
   * off {@code excess} bytes by that estimate, and at least one.
   */
  static PendingBatch withoutLargest(PendingBatch batch, TrainingBatch written, long excess) {
    Set<String> drop = ExampleBytes.largestToDrop(written.getExamples(), excess);
    List<Selection> kept = new ArrayList<>();
    for (Selection s : batch.getSelections()) {
      List<BatchExample> examples = new ArrayList<>();
      List<Long> slots = new ArrayList<>();
      for (int i = 0; i < s.getExamples().size(); i++) {
        if (!drop.contains(s.getExamples().get(i).getId())) {
          examples.add(s.getExamples().get(i));
          if (i < s.getSlots().size()) {
            slots.add(s.getSlots().get(i));
          }
        }
      }
      kept.add(Selection.newBuilder(s).setExamples(examples).setSlots(slots).build());
    }
    return PendingBatch.newBuilder(batch).setSelections(kept).build();
  }

  /** Where each example of the batch came from, for score updates. */
  static List<IndexEntry> index(PendingBatch batch) {
    List<IndexEntry> out = new ArrayList<>();
    for (Selection s : batch.getSelections()) {
      List<BatchExample> examples = s.getExamples();
      List<Long> slots = s.getSlots();
      for (int i = 0; i < examples.size() && i < slots.size(); i++) {
        out.add(
            IndexEntry.newBuilder()
                .setId(examples.get(i).getId())
                .setClusterId(s.getClusterId())
                .setSlot(slots.get(i))
                .build());
      }
    }
    return out;
  }

  /**
   * The group counts of {@code examples} that miss the header's demands: an exact target not hit
   * ({@code attr=*} counts the examples whose value is not named), or a minimum not reached.
   */
  static List<GroupQuotas.Shortfall> groupMisses(BatchHeader h, List<BatchExample> examples) {
    List<GroupQuotas.Shortfall> out = new ArrayList<>();
    for (Map.Entry<String, Integer> e : h.getGroupTargets().entrySet()) {
      int got = groupCount(e.getKey(), h.getGroupTargets().keySet(), examples);
      if (got != e.getValue()) {
        out.add(new GroupQuotas.Shortfall(e.getKey(), e.getValue(), got));
      }
    }
    for (Map.Entry<String, Integer> e : h.getGroupMinimums().entrySet()) {
      int got = groupCount(e.getKey(), h.getGroupMinimums().keySet(), examples);
      if (got < e.getValue()) {
        out.add(new GroupQuotas.Shortfall(e.getKey(), e.getValue(), got));
      }
    }
    return out;
  }

  /** Examples of group {@code key} (attr=value); attr=* means a value not named in {@code keys}. */
  private static int groupCount(String key, Set<String> keys, List<BatchExample> examples) {
    int eq = key.indexOf('=');
    String attribute = key.substring(0, eq);
    String value = key.substring(eq + 1);
    int n = 0;
    for (BatchExample x : examples) {
      // label targets name the reserved attribute @label: the example's label, not a group
      String v = GroupValues.valueOf(x, attribute);
      boolean match =
          value.equals("*") ? v == null || !keys.contains(attribute + "=" + v) : value.equals(v);
      if (match) {
        n++;
      }
    }
    return n;
  }

  /** Builds the batch record from the fragments received: examples grouped by cluster. */
  static TrainingBatch assemble(PendingBatch batch, long now) {
    BatchHeader h = batch.getHeader();
    List<Selection> selections = new ArrayList<>(batch.getSelections());
    selections.sort(Comparator.comparingInt(Selection::getClusterId));
    List<BatchExample> examples = new ArrayList<>(h.getRequested());
    Map<String, Integer> clusterCounts = new TreeMap<>();
    Map<String, Integer> groupCounts = new TreeMap<>();
    Set<Integer> answered = new HashSet<>();
    SecondMoment moment = new SecondMoment(Sketches.DIMENSION);
    boolean allSupplied = true;
    for (Selection s : selections) {
      answered.add(s.getClusterId());
      allSupplied &= s.getExamples().size() == s.getRequested();
      for (BatchExample e : s.getExamples()) {
        // packed, as on every private topic: the planner gives the trainer its form on release
        examples.add(Embeddings.forTrainer(e, true));
        float[] p = Sketches.project(Embeddings.of(e));
        if (p != null) {
          moment.add(p);
        }
        clusterCounts.merge(Integer.toString(e.getClusterId()), 1, Integer::sum);
        e.getGroups().forEach((a, v) -> groupCounts.merge(a + "=" + v, 1, Integer::sum));
      }
    }
    List<Integer> missing = new ArrayList<>();
    for (Integer c : h.getClusters()) {
      if (!answered.contains(c)) {
        missing.add(c);
      }
    }
    boolean complete =
        missing.isEmpty()
            && allSupplied
            && examples.size() == h.getRequested()
            && groupMisses(h, examples).isEmpty();
    BatchDiversity diversity = BatchDiversity.of(clusterCounts, groupCounts);
    return TrainingBatch.newBuilder()
        .setBatchId(h.getBatchId())
        .setTrainerId(h.getTrainerId())
        .setSequence(h.getSequence())
        .setRound(h.getRound())
        .setCycle(h.getCycle())
        .setPolicy(h.getPolicy())
        .setPolicyStateVersion(h.getPolicyStateVersion())
        .setSeed(h.getSeed())
        .setModelVersion(h.getModelVersion())
        .setExamples(examples)
        .setClusterCounts(clusterCounts)
        .setGroupCounts(groupCounts)
        .setClusterEntropy(diversity.clusterEntropy())
        .setGroupEntropy(diversity.groupEntropy())
        .setVendiScore(moment.vendi())
        .setPolicyState(h.getPolicyState())
        .setRequested(h.getRequested())
        .setComplete(complete)
        .setMissingClusters(missing)
        .setPlannedAt(h.getPlannedAt())
        .setAssembledAt(Instant.ofEpochMilli(now))
        // the whole batch, as rank 0 of its ranks; Shards splits it on the way to its topic
        .setRanks(Math.max(1, h.getRanks()))
        .build();
  }
}
