package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.avro.PlanFragment;
import io.sieve.avro.ScoreEntry;
import io.sieve.avro.Selection;
import io.sieve.avro.ServedMark;
import io.sieve.policy.GroupValues;
import io.sieve.policy.PoolDraw;
import io.sieve.serde.ExampleBytes;
import io.sieve.stream.Stores;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws a plan fragment from the cluster's pool and sends the examples on, keyed by batch. It runs
 * beside the pool (same partitions, same store), so the draw needs no remote read.
 *
 * <p>A fragment of slots only (the cluster policies without group constraints) is a set of lookups:
 * the sampling was decided by the planner. A fragment with group quotas or a pool-side strategy
 * (coverage) needs the items' groups or scores, which only the pool has, and lets {@link PoolDraw}
 * choose: a quota value's items are read through the group-value index ({@link Stores#POOL_INDEX})
 * and point lookups, the cluster's whole range (one contiguous RocksDB range, at most the pool cap)
 * only for "other" and free places and for coverage. Every example is sent with its slot, so that
 * feedback can find it.
 *
 * <p>Cycles: what the draw served is recorded in {@link Stores#SERVED}, one mark per (cluster,
 * trainer, slot) with the example id, group and cycle, after the batch-size limit below (an example
 * left out was not served). The next draw for the trainer passes over the items served in their
 * group's current cycle, so group-quota and coverage draws repeat nothing within a cycle. The marks
 * are bounded by the pool cap times the trainers; a retired cluster's go with it.
 *
 * <p>Scores are the trainer's own: an example's score is the batch's trainer's latest loss on it
 * (the {@link Stores#SCORES} store, written by {@link ScoreUpdateProcessor}), else the score it was
 * ingested with, else none. Coverage prunes and stratifies on these, so one trainer's losses never
 * prune another's data. Each example also carries the fragment's sampling weight.
 *
 * <p>A fragment keeps within its share of {@code batch.max.bytes} (the limit over the batch's
 * fragments), leaving out its largest examples when their texts are longer than the trainer spec's
 * check allowed for: the assembler holds the fragments and writes them as one record, and a record
 * over the topics' limit would fail the transaction. The selection then holds fewer examples than
 * it was asked for, so the batch is flagged incomplete.
 */
public final class FulfilProcessor implements Processor<Integer, PlanFragment, String, Selection> {

  private static final Logger LOG = LoggerFactory.getLogger(FulfilProcessor.class);

  private final long maxBatchBytes;
  private ProcessorContext<String, Selection> context;
  private KeyValueStore<Bytes, BatchExample> pool;
  private KeyValueStore<Bytes, ScoreEntry> scores;
  private KeyValueStore<Bytes, String> index;
  private KeyValueStore<Bytes, ServedMark> served;

  /**
   * @param maxBatchBytes {@code batch.max.bytes}, shared by the batch's fragments
   */
  public FulfilProcessor(long maxBatchBytes) {
    this.maxBatchBytes = maxBatchBytes;
  }

  @Override
  public void init(ProcessorContext<String, Selection> context) {
    this.context = context;
    this.pool = context.getStateStore(Stores.POOL);
    this.scores = context.getStateStore(Stores.SCORES);
    this.index = context.getStateStore(Stores.POOL_INDEX);
    this.served = context.getStateStore(Stores.SERVED);
  }

  @Override
  public void process(Record<Integer, PlanFragment> record) {
    PlanFragment fragment = record.value();
    int cluster = fragment.getClusterId();
    String trainer = fragment.getHeader().getTrainerId();
    if (fragment.getPurge()) {
      purge(cluster, trainer);
      return;
    }
    List<PoolDraw.Drawn> drawn;
    if (PoolDraw.needsScan(fragment)) {
      drawn = PoolDraw.draw(fragment, new ClusterSource(cluster, trainer));
    } else {
      drawn = new ArrayList<>(fragment.getSlots().size());
      List<Long> slots = fragment.getSlots();
      List<Long> cycles = fragment.getCycles();
      for (int i = 0; i < slots.size(); i++) {
        BatchExample example = pool.get(PoolKeys.of(cluster, slots.get(i)));
        if (example != null) {
          ScoreEntry own = scores.get(PoolKeys.score(cluster, trainer, slots.get(i)));
          example = withScore(example, own);
          drawn.add(
              new PoolDraw.Drawn(slots.get(i), example, i < cycles.size() ? cycles.get(i) : 0));
        }
      }
    }
    drawn = withinShare(drawn, fragment);
    for (PoolDraw.Drawn d : drawn) {
      if (d.group() != null) {
        served.put(
            PoolKeys.served(cluster, trainer, d.slot()),
            ServedMark.newBuilder()
                .setId(d.example().getId())
                .setGroup(d.group())
                .setCycle(d.cycle())
                .build());
      }
    }
    boolean idsOnly = fragment.getHeader().getIdsOnly();
    List<BatchExample> examples = new ArrayList<>(drawn.size());
    List<Long> slots = new ArrayList<>(drawn.size());
    for (PoolDraw.Drawn d : drawn) {
      BatchExample.Builder out =
          BatchExample.newBuilder(d.example()).setCycle(d.cycle()).setWeight(fragment.getWeight());
      if (idsOnly) {
        out.setText(null).setEmbedding(null).setPacked(null);
      }
      examples.add(out.build());
      slots.add(d.slot());
    }
    Selection selection =
        Selection.newBuilder()
            .setHeader(fragment.getHeader())
            .setClusterId(cluster)
            .setRequested(PoolDraw.requested(fragment))
            .setExamples(examples)
            .setSlots(slots)
            .build();
    // no commit is asked for here: the fragment reaches the assembler at the thread's next commit
    // (commit.interval.ms), while the staged batches ahead of it keep the trainer served (see
    // PlannerProcessor#release, the one place that asks)
    context.forward(record.withKey(fragment.getHeader().getBatchId()).withValue(selection));
  }

  /**
   * One cluster's items for one draw, each with the trainer's own score and served mark: the
   * trainer's scores and marks of the cluster are read once (two small ranges), a value's items
   * through the group index and point lookups, the whole cluster only when the draw asks for it.
   */
  private final class ClusterSource implements PoolDraw.Source {
    private final int cluster;
    private final String trainer;
    private Map<Long, ScoreEntry> own;
    private Map<Long, ServedMark> marks;
    private List<PoolDraw.Item> all;
    private final Map<String, List<PoolDraw.Item>> byValue = new HashMap<>();

    ClusterSource(int cluster, String trainer) {
      this.cluster = cluster;
      this.trainer = trainer;
    }

    @Override
    public List<PoolDraw.Item> all() {
      if (all == null) {
        all = new ArrayList<>();
        try (KeyValueIterator<Bytes, BatchExample> it =
            pool.range(PoolKeys.of(cluster, 0), PoolKeys.of(cluster, Long.MAX_VALUE))) {
          while (it.hasNext()) {
            KeyValue<Bytes, BatchExample> kv = it.next();
            all.add(item(PoolKeys.slotOf(kv.key), kv.value));
          }
        }
      }
      return all;
    }

    @Override
    public List<PoolDraw.Item> ofValue(String attribute, String value) {
      String group = attribute + "=" + value;
      List<PoolDraw.Item> cached = byValue.get(group);
      if (cached != null) {
        return cached;
      }
      List<PoolDraw.Item> out = new ArrayList<>();
      try (KeyValueIterator<Bytes, String> it =
          index.range(
              PoolKeys.indexed(cluster, group, 0),
              PoolKeys.indexed(cluster, group, Long.MAX_VALUE))) {
        while (it.hasNext()) {
          KeyValue<Bytes, String> kv = it.next();
          long slot = PoolKeys.tailSlotOf(kv.key);
          BatchExample example = pool.get(PoolKeys.of(cluster, slot));
          // the pool writes both in one transaction: a mismatch would be a bug, not a race
          if (example != null
              && example.getId().equals(kv.value)
              && value.equals(GroupValues.valueOf(example, attribute))) {
            out.add(item(slot, example));
          } else {
            LOG.warn(
                "cluster {}: the group index lists slot {} under {} for {}, which the pool does"
                    + " not hold there; the entry is ignored",
                cluster,
                slot,
                group,
                kv.value);
          }
        }
      }
      byValue.put(group, out);
      return out;
    }

    @Override
    public PoolDraw.Item at(long slot) {
      BatchExample example = pool.get(PoolKeys.of(cluster, slot));
      return example == null ? null : item(slot, example);
    }

    private PoolDraw.Item item(long slot, BatchExample example) {
      if (own == null) {
        own = new HashMap<>();
        try (KeyValueIterator<Bytes, ScoreEntry> it =
            scores.range(
                PoolKeys.score(cluster, trainer, 0),
                PoolKeys.score(cluster, trainer, Long.MAX_VALUE))) {
          it.forEachRemaining(kv -> own.put(kv.value.getSlot(), kv.value));
        }
        marks = new HashMap<>();
        try (KeyValueIterator<Bytes, ServedMark> it =
            served.range(
                PoolKeys.served(cluster, trainer, 0),
                PoolKeys.served(cluster, trainer, Long.MAX_VALUE))) {
          it.forEachRemaining(kv -> marks.put(PoolKeys.tailSlotOf(kv.key), kv.value));
        }
      }
      ServedMark m = marks.get(slot);
      return new PoolDraw.Item(
          slot,
          withScore(example, own.get(slot)),
          m == null ? null : new PoolDraw.Mark(m.getId(), m.getGroup(), m.getCycle()));
    }
  }

  /** Drops a deleted trainer's served marks and scores in {@code cluster}. */
  private void purge(int cluster, String trainer) {
    List<Bytes> marks = new ArrayList<>();
    try (KeyValueIterator<Bytes, ServedMark> it =
        served.range(
            PoolKeys.served(cluster, trainer, 0),
            PoolKeys.served(cluster, trainer, Long.MAX_VALUE))) {
      it.forEachRemaining(kv -> marks.add(kv.key));
    }
    marks.forEach(served::delete);
    List<Bytes> own = new ArrayList<>();
    try (KeyValueIterator<Bytes, ScoreEntry> it =
        scores.range(
            PoolKeys.score(cluster, trainer, 0),
            PoolKeys.score(cluster, trainer, Long.MAX_VALUE))) {
      it.forEachRemaining(kv -> own.add(kv.key));
    }
    own.forEach(scores::delete);
    LOG.debug(
        "trainer {} deleted: {} served marks and {} scores dropped in cluster {}",
        trainer,
        marks.size(),
        own.size(),
        cluster);
  }

  /** The example with the trainer's score, if that score is about this very example. */
  private static BatchExample withScore(BatchExample example, ScoreEntry own) {
    if (own == null || !own.getId().equals(example.getId())) {
      return example;
    }
    return BatchExample.newBuilder(example).setScore(own.getScore()).build();
  }

  /** The drawn examples without the largest ones, if needed to fit the fragment's share. */
  private List<PoolDraw.Drawn> withinShare(List<PoolDraw.Drawn> drawn, PlanFragment fragment) {
    if (fragment.getHeader().getIdsOnly()) {
      return drawn;
    }
    long share = maxBatchBytes / Math.max(1, fragment.getHeader().getFragments());
    long bytes = 0;
    List<BatchExample> examples = new ArrayList<>(drawn.size());
    for (PoolDraw.Drawn d : drawn) {
      bytes += ExampleBytes.rough(d.example());
      examples.add(d.example());
    }
    if (bytes <= share) {
      return drawn;
    }
    Set<String> drop = ExampleBytes.largestToDrop(examples, bytes - share);
    List<PoolDraw.Drawn> kept = new ArrayList<>(drawn.size());
    for (PoolDraw.Drawn d : drawn) {
      if (!drop.contains(d.example().getId())) {
        kept.add(d);
      }
    }
    LOG.warn(
        "batch {}: cluster {}'s {} examples take about {} bytes, over their share {} of"
            + " batch.max.bytes; the {} largest are left out",
        fragment.getHeader().getBatchId(),
        fragment.getClusterId(),
        drawn.size(),
        bytes,
        share,
        drop.size());
    return kept;
  }
}
