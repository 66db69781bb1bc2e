package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.NearWindowEntry;
import io.sieve.avro.ServedMark;
import io.sieve.cluster.SimHash;
import io.sieve.cluster.Vectors;
import io.sieve.config.Topics;
import io.sieve.diversity.SecondMoment;
import io.sieve.diversity.Sketches;
import io.sieve.policy.ClusterLineage;
import io.sieve.policy.GroupValues;
import io.sieve.policy.Seeds;
import io.sieve.serde.Embeddings;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each cluster's examples in slots 0..size−1 of the pool store, capped per cluster by
 * reservoir sampling (Vitter's algorithm R): the n-th example of a full cluster replaces a
 * uniformly chosen slot with probability cap/n. The draw is seeded from (cluster, n), so a replay
 * keeps the same examples. Changed statistics are published to the cluster-stats topic every
 * interval.
 *
 * <p><b>Near duplicates.</b> Unless {@code dedup.near.policy=keep}, an example is compared with
 * every example its cluster pools, through the cluster's {@link NearIndex} (signatures first, then
 * at most a few exact checks); one with cosine similarity ≥ 1 − ε to any of them is counted in
 * {@code ClusterStats.nearDuplicates} and, under {@code drop}, not pooled (nor counted as seen). ε
 * is {@code dedup.near.epsilon.text} (the embedder's calibration) for an example Sieve embedded
 * from its text, {@code dedup.near.epsilon} for one whose producer supplied the embedding.
 *
 * <p><b>Redundancy-first eviction</b> ({@code pool.eviction=redundancy}). When the pool is full,
 * the newcomer {@code x} replaces the window entry with the highest nearest-neighbour similarity
 * {@code n_max}, unless {@code x} is itself at least as redundant ({@code max_i ⟨x, e_i⟩ ≥ n_max}),
 * in which case it is not pooled: the pool keeps its most diverse items and, of two equally close
 * ones, the earlier. Cost per example: the window's {@code R} dot products, which the duplicate
 * check needs anyway, plus {@code R} more for each entry whose neighbour left, and one pool read
 * and write. Only window entries are candidates: with {@code dedup.near.window} at least the pool
 * cap the choice is exact; with a smaller window, examples pooled before the last {@code R}
 * admissions are never evicted. The outcome depends only on the input order, so a replay keeps the
 * same examples (on a JVM that sums floats in the same order).
 *
 * <p><b>Group-value index.</b> Every slot write also writes the {@link Stores#POOL_INDEX} entries
 * {@code (cluster, attribute=value, slot)} of the newcomer and deletes those of the example it
 * replaced, so that the fulfil step reads one value's slots without decoding the cluster.
 *
 * <p>The windows live in a changelogged store, one entry per (cluster, position); up to {@value
 * #CACHED_WINDOWS} are held in memory and rebuilt from the store on a miss.
 *
 * <p><b>Retired clusters.</b> When the replicated model shows that a cluster this task pools was
 * retired (an id below {@code nextClusterId} no longer listed), the task reclaims it at its next
 * publication: its pool slots, group-value index, statistics, near-duplicate window and what it
 * served each trainer are deleted, a tombstone removes its entry from the cluster-stats topic (and
 * so from every instance's global store), and the examples let go are counted. A pool cannot be
 * merged into the nearest live cluster, which may live on another partition; a retired cluster has
 * had almost no new points for dozens of half-lives, and its examples stay reachable through
 * nothing else. Examples that still arrive for it (assigned with an older model) are counted and
 * not pooled. So a lifelong feed's pool state is bounded by the live clusters.
 */
public final class PoolProcessor
    implements Processor<Integer, BatchExample, Integer, ClusterStats> {

  /** Windows held in memory at most; the least recently used is dropped and reloaded on demand. */
  static final int CACHED_WINDOWS = 64;

  private final int capacity;
  private final long seed;
  private final Duration publishInterval;
  private final SieveMetrics metrics;
  private final Redundancy redundancy;
  private ProcessorContext<Integer, ClusterStats> context;
  private KeyValueStore<Bytes, NearWindowEntry> windowStore;
  private final Map<Integer, NearWindow> windows =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, NearWindow> eldest) {
          return size() > CACHED_WINDOWS;
        }
      };

  /**
   * Near-duplicate indexes of every cluster this task pools: 32 bytes per pooled example, bounded
   * by the pool itself; rebuilt from the pool store after a start.
   */
  private final Map<Integer, NearIndex> indexes = new HashMap<>();

  private SimHash simHash;
  private float[] sims = new float[0];
  private KeyValueStore<Bytes, BatchExample> pool;
  private KeyValueStore<Bytes, String> groupIndex;
  private KeyValueStore<Bytes, ServedMark> served;
  private KeyValueStore<Integer, ClusterStats> stats;
  private KeyValueStore<String, CentroidModel> models;
  private long modelVersion = -1;
  private ClusterLineage lineage;
  private final TreeSet<Integer> dirty = new TreeSet<>();
  private final Map<Integer, SecondMoment> sketches = new HashMap<>();

  /**
   * The last Vendi score published per cluster, with the sketch's count and the time it was
   * computed: an eigen-decomposition per changed cluster at every publication was half the stream
   * thread's time at k = 256, for a figure that moves slowly once a pool holds a few examples.
   */
  private final Map<Integer, double[]> vendi = new HashMap<>();

  /** Publication intervals after which a changed cluster's Vendi score is recomputed anyway. */
  static final int VENDI_REFRESH_INTERVALS = 10;

  public PoolProcessor(int capacity, long seed, Duration publishInterval, SieveMetrics metrics) {
    this(capacity, seed, publishInterval, metrics, Redundancy.off());
  }

  public PoolProcessor(
      int capacity,
      long seed,
      Duration publishInterval,
      SieveMetrics metrics,
      Redundancy redundancy) {
    this.capacity = capacity;
    this.seed = seed;
    this.publishInterval = publishInterval;
    this.metrics = metrics;
    this.redundancy = redundancy;
  }

  @Override
  public void init(ProcessorContext<Integer, ClusterStats> context) {
    this.context = context;
    this.pool = context.getStateStore(Stores.POOL);
    this.groupIndex = context.getStateStore(Stores.POOL_INDEX);
    this.served = context.getStateStore(Stores.SERVED);
    indexIfMissing();
    this.stats = context.getStateStore(Stores.POOL_STATS);
    this.models = context.getStateStore(Stores.CENTROIDS);
    modelVersion = -1;
    lineage = null;
    if (redundancy.windowed()) {
      this.windowStore = context.getStateStore(Stores.NEAR_WINDOW);
    }
    // a task revived after an aborted transaction must not trust windows built before it
    windows.clear();
    indexes.clear();
    sketches.clear();
    vendi.clear();
    // a task that moved here publishes its figures again: the last owner may not have
    try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
      it.forEachRemaining(kv -> dirty.add(kv.key));
    }
    context.schedule(publishInterval, PunctuationType.WALL_CLOCK_TIME, now -> publish());
  }

  @Override
  public void process(Record<Integer, BatchExample> record) {
    int cluster = record.key();
    BatchExample example = record.value();
    if (lineage != null && lineage.retired(cluster)) {
      // assigned with a model older than the one that retired the cluster
      metrics.reclaimed(SieveMetrics.RECLAIMED_LATE, 1);
      return;
    }
    ClusterStats s = stats.get(cluster);
    if (s == null) {
      s =
          ClusterStats.newBuilder()
              .setClusterId(cluster)
              .setSize(0)
              .setSeen(0)
              .setGroupCounts(new HashMap<>())
              .setUpdatedAt(Instant.EPOCH)
              .build();
    }
    float[] x = null;
    long[] signature = null;
    NearIndex index = null;
    if (Embeddings.has(example) && (redundancy.checksNear() || redundancy.windowed())) {
      x = Embeddings.of(example);
    }
    if (x != null && redundancy.checksNear()) {
      index = index(cluster, x.length);
      signature = new long[SimHash.WORDS];
      simHash(x.length).signature(x, signature, 0);
      double epsilon = redundancy.epsilonFor(example.getEmbeddedBy() != null);
      float threshold = (float) (1.0 - epsilon);
      float near =
          index.closest(
              x,
              signature,
              SimHash.candidateDistance(epsilon),
              threshold,
              slot -> embeddingAt(cluster, slot));
      if (near >= threshold) {
        s.setNearDuplicates(s.getNearDuplicates() + 1);
        metrics.nearDuplicate();
        if (redundancy.nearPolicy() == Redundancy.NearPolicy.DROP) {
          s.setUpdatedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()));
          stats.put(cluster, s);
          dirty.add(cluster);
          return;
        }
      }
    }
    NearWindow window = null;
    float closest = Float.NEGATIVE_INFINITY;
    if (x != null && redundancy.windowed()) {
      window = window(cluster, x.length);
      if (sims.length < window.capacity()) {
        sims = new float[window.capacity()];
      }
      closest = window.similarities(x, sims);
    }
    long seen = s.getSeen() + 1;
    s.setSeen(seen);
    Map<String, Long> groups = new HashMap<>(s.getGroupCounts());
    long slot = -1;
    int position = -1;
    boolean appended = false;
    if (s.getSize() < capacity) {
      slot = s.getSize();
      appended = true;
      s.setSize(s.getSize() + 1);
    } else {
      int victim =
          redundancy.eviction() == Redundancy.Eviction.REDUNDANCY && window != null
              ? window.mostRedundant()
              : -1;
      if (victim >= 0) {
        if (closest < window.nearestAt(victim)) {
          slot = window.slotAt(victim);
          position = victim;
        }
      } else {
        // reservoir, and redundancy eviction while its window holds too little to compare
        long j = Math.floorMod(Seeds.mix(seed, cluster, seen), seen);
        if (j < capacity) {
          slot = j;
        }
      }
    }
    if (slot >= 0) {
      Bytes key = PoolKeys.of(cluster, slot);
      BatchExample evicted = appended ? null : pool.get(key);
      if (evicted != null) {
        count(groups, evicted, -1);
      }
      pool.put(key, example);
      reindex(cluster, slot, evicted, example);
      count(groups, example, 1);
      sketch(cluster, example, appended ? null : evicted);
      if (index != null) {
        index.put(slot, signature);
      }
      if (window != null) {
        if (position < 0) {
          position = window.positionFor(slot);
        }
        window.put(position, slot, seen, x, sims);
        windowStore.put(
            PoolKeys.of(cluster, position),
            NearWindowEntry.newBuilder()
                .setSlot(slot)
                .setOrder(seen)
                .setEmbedding(ByteBuffer.wrap(Vectors.pack(x)))
                .build());
      }
    }
    s.setGroupCounts(groups);
    s.setUpdatedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()));
    stats.put(cluster, s);
    dirty.add(cluster);
    metrics.pooled();
  }

  /**
   * Builds the group-value index from the pool when the pool holds examples and the index nothing:
   * a pool written before the index existed. (A pool whose examples have no groups or labels is
   * read through once per start for nothing, and written nothing.)
   */
  private void indexIfMissing() {
    try (KeyValueIterator<Bytes, String> it = groupIndex.all()) {
      if (it.hasNext()) {
        return;
      }
    }
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, BatchExample> kv = it.next();
        reindex(PoolKeys.clusterOf(kv.key), PoolKeys.slotOf(kv.key), null, kv.value);
      }
    }
  }

  /**
   * Keeps the group-value index in step with the slot: the evicted example's entries go, the
   * newcomer's come. It is a store of this task, so the transaction that writes the slot writes
   * them too.
   */
  private void reindex(int cluster, long slot, BatchExample evicted, BatchExample added) {
    if (evicted != null) {
      for (String g : PoolKeys.indexGroups(evicted)) {
        groupIndex.delete(PoolKeys.indexed(cluster, g, slot));
      }
    }
    for (String g : PoolKeys.indexGroups(added)) {
      groupIndex.put(PoolKeys.indexed(cluster, g, slot), added.getId());
    }
  }

  /**
   * Keeps the cluster's diversity sketch (Σ x xᵀ of the projected pooled embeddings) in step with
   * the pool. Sketches live in memory and are rebuilt from the pool store when first needed, so
   * they cost no store write per example and survive any restart.
   */
  private void sketch(int cluster, BatchExample added, BatchExample removed) {
    SecondMoment m = sketches.get(cluster);
    if (m == null) {
      m = rebuildSketch(cluster); // already holds the example just written
      sketches.put(cluster, m);
      return;
    }
    float[] a = Sketches.project(Embeddings.of(added));
    if (a != null) {
      m.add(a);
    }
    float[] r = removed == null ? null : Sketches.project(Embeddings.of(removed));
    if (r != null) {
      m.add(r, -1);
    }
  }

  private SecondMoment rebuildSketch(int cluster) {
    SecondMoment m = new SecondMoment(Sketches.DIMENSION);
    try (KeyValueIterator<Bytes, BatchExample> it =
        pool.range(PoolKeys.of(cluster, 0), PoolKeys.of(cluster, Long.MAX_VALUE))) {
      while (it.hasNext()) {
        float[] p = Sketches.project(Embeddings.of(it.next().value));
        if (p != null) {
          m.add(p);
        }
      }
    }
    return m;
  }

  /** The cluster's near-duplicate index, from memory or rebuilt from the pool store. */
  private NearIndex index(int cluster, int dimension) {
    NearIndex index = indexes.get(cluster);
    if (index != null) {
      return index;
    }
    SimHash hash = simHash(dimension);
    index = new NearIndex(16);
    long[] signature = new long[SimHash.WORDS];
    try (KeyValueIterator<Bytes, BatchExample> it =
        pool.range(PoolKeys.of(cluster, 0), PoolKeys.of(cluster, Long.MAX_VALUE))) {
      while (it.hasNext()) {
        KeyValue<Bytes, BatchExample> kv = it.next();
        if (Embeddings.dimension(kv.value) == dimension) {
          hash.signature(Embeddings.of(kv.value), signature, 0);
          index.put(PoolKeys.slotOf(kv.key), signature);
        }
      }
    }
    indexes.put(cluster, index);
    return index;
  }

  private SimHash simHash(int dimension) {
    if (simHash == null || simHash.dimension() != dimension) {
      simHash = new SimHash(dimension);
    }
    return simHash;
  }

  /** The unit embedding pooled at {@code (cluster, slot)}, or null. */
  private float[] embeddingAt(int cluster, long slot) {
    BatchExample pooled = pool.get(PoolKeys.of(cluster, slot));
    return pooled == null ? null : Embeddings.of(pooled);
  }

  /** The cluster's window, from memory or rebuilt from the window store. */
  private NearWindow window(int cluster, int dimension) {
    NearWindow window = windows.get(cluster);
    if (window != null) {
      return window;
    }
    window =
        new NearWindow(
            redundancy.window(),
            dimension,
            redundancy.eviction() == Redundancy.Eviction.REDUNDANCY);
    try (KeyValueIterator<Bytes, NearWindowEntry> it =
        windowStore.range(PoolKeys.of(cluster, 0), PoolKeys.of(cluster, Long.MAX_VALUE))) {
      while (it.hasNext()) {
        KeyValue<Bytes, NearWindowEntry> kv = it.next();
        long position = PoolKeys.slotOf(kv.key);
        float[] e = Vectors.unpack(kv.value.getEmbedding().duplicate());
        // a window shrunk by configuration keeps the entries that still fit
        if (position < window.capacity() && e.length == dimension) {
          window.load((int) position, kv.value.getSlot(), kv.value.getOrder(), e);
        }
      }
    }
    window.rebuildNearest();
    windows.put(cluster, window);
    return window;
  }

  private static void count(Map<String, Long> groups, BatchExample example, long delta) {
    example
        .getGroups()
        .forEach(
            (attribute, value) -> {
              String key = attribute + "=" + value;
              long n = groups.getOrDefault(key, 0L) + delta;
              if (n <= 0) {
                groups.remove(key);
              } else {
                groups.put(key, n);
              }
            });
    String label = example.getLabel();
    if (label != null) {
      String key = GroupValues.LABEL + "=" + label;
      long n = groups.getOrDefault(key, 0L) + delta;
      if (n <= 0) {
        groups.remove(key);
      } else if (n > 1 || labelCount(groups) < GroupValues.MAX_LABELS_PER_CLUSTER) {
        groups.put(key, n);
      }
    }
  }

  /** Distinct labels counted in a cluster's group counts. */
  private static int labelCount(Map<String, Long> groups) {
    int n = 0;
    for (String key : groups.keySet()) {
      if (key.startsWith(GroupValues.LABEL + "=")) {
        n++;
      }
    }
    return n;
  }

  /** Reclaims the retired clusters this task pools, once per new model version. */
  private void reclaimRetired(long now) {
    CentroidModel model = models.get(Topics.MODEL_KEY);
    if (model == null || model.getVersion() == modelVersion) {
      return;
    }
    modelVersion = model.getVersion();
    lineage = ClusterLineage.of(model);
    List<Integer> retired = new ArrayList<>();
    try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
      while (it.hasNext()) {
        int cluster = it.next().key;
        if (lineage.retired(cluster)) {
          retired.add(cluster);
        }
      }
    }
    for (int cluster : retired) {
      long examples = deleteRange(pool, cluster);
      if (windowStore != null) {
        deleteRange(windowStore, cluster);
      }
      deletePrefix(groupIndex, cluster);
      deletePrefix(served, cluster);
      stats.delete(cluster);
      windows.remove(cluster);
      indexes.remove(cluster);
      sketches.remove(cluster);
      vendi.remove(cluster);
      dirty.remove(cluster);
      metrics.reclaimed(SieveMetrics.RECLAIMED_RETIRED, examples);
      context.forward(new Record<Integer, ClusterStats>(cluster, null, now));
    }
  }

  /** Deletes every (cluster, position) key of {@code store}; returns how many there were. */
  private static <V> long deleteRange(KeyValueStore<Bytes, V> store, int cluster) {
    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, V> it =
        store.range(PoolKeys.of(cluster, 0), PoolKeys.of(cluster, Long.MAX_VALUE))) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(store::delete);
    return keys.size();
  }

  /** Deletes every key of {@code store} that starts with the cluster's id. */
  private static <V> void deletePrefix(KeyValueStore<Bytes, V> store, int cluster) {
    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, V> it =
        store.prefixScan(PoolKeys.clusterPrefix(cluster), new BytesSerializer())) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(store::delete);
  }

  /**
   * The cluster's Vendi score, recomputed when the pool's count moved by a quarter since the last
   * computation (a young pool's score moves fast) or {@link #VENDI_REFRESH_INTERVALS} publication
   * intervals have passed; else the last one.
   */
  private double vendiOf(int cluster, SecondMoment m, long now) {
    double[] last = vendi.get(cluster);
    long count = m.count();
    if (last != null) {
      long countAt = (long) last[1];
      boolean fresh = now - (long) last[2] < VENDI_REFRESH_INTERVALS * publishInterval.toMillis();
      if (fresh && Math.abs(count - countAt) * 4 < Math.max(countAt, 1)) {
        return last[0];
      }
    }
    double v = m.vendi();
    vendi.put(cluster, new double[] {v, count, now});
    return v;
  }

  private void publish() {
    long now = context.currentSystemTimeMs();
    reclaimRetired(now);
    for (Integer cluster : dirty) {
      ClusterStats s = stats.get(cluster);
      if (s != null) {
        SecondMoment m = sketches.computeIfAbsent(cluster, this::rebuildSketch);
        s.setVendi(vendiOf(cluster, m, now));
        s.setSketch(Sketches.pack(m));
        context.forward(new Record<>(cluster, s, now));
      }
    }
    dirty.clear();
  }
}
