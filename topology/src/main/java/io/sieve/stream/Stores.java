package io.sieve.stream;

import io.sieve.avro.BatchExample;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.ModelOwnerState;
import io.sieve.avro.NearWindowEntry;
import io.sieve.avro.PendingBatch;
import io.sieve.avro.RecentBatches;
import io.sieve.avro.ScoreEntry;
import io.sieve.avro.ServedMark;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.serde.AvroSerdes;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Names and builders of every state store: persistent RocksDB, changelogged. The changelogs are
 * Sieve's private topics, so their values are in the private format ({@link AvroSerdes#internal}),
 * except the global stores': Kafka Streams restores those by copying their public source topic.
 */
public final class Stores {

  public static final String DEDUP = "dedup-store";
  public static final String AWAITING_MODEL = "awaiting-model-store";
  public static final String MODEL_OWNER = "model-owner-store";
  public static final String POOL = "pool-store";
  public static final String POOL_STATS = "pool-stats-store";

  /** Each trainer's scores of pooled examples: (cluster, trainer, slot) → (example id, score). */
  public static final String SCORES = "pool-scores-store";

  /**
   * The pool's index by group value: (cluster, attribute=value, slot) → example id, one entry per
   * group value (and label) of each pooled example, kept in step with {@link #POOL} by the pool.
   */
  public static final String POOL_INDEX = "pool-index-store";

  /**
   * What the pool itself served each trainer: (cluster, trainer, slot) → (example id, group,
   * cycle), so that group-quota and coverage draws repeat nothing within a cycle.
   */
  public static final String SERVED = "pool-served-store";

  public static final String NEAR_WINDOW = "near-window-store";
  public static final String TRAINERS = "trainer-state-store";
  public static final String ASSEMBLY = "assembly-store";

  /**
   * The planner's assembled batches not yet released to their trainer, keyed (trainer, sequence):
   * {@link #stagedKey}. Embeddings packed, as on every private topic.
   */
  public static final String STAGED_BATCHES = "staged-batches-store";

  /** The composition of each trainer's most recent batches, for the REST API. */
  public static final String RECENT_BATCHES = "recent-batches-store";

  /** Global: the centroid model, replicated to every instance. */
  public static final String CENTROIDS = "centroids-store";

  /** Global: every cluster's pool statistics, replicated to every instance. */
  public static final String CLUSTER_STATS = "cluster-stats-store";

  private final AvroSerdes serdes;

  public Stores(AvroSerdes serdes) {
    this.serdes = serdes;
  }

  /**
   * Content hash → first example id, kept for {@code retention}: a window store drops whole
   * segments as stream time passes, so the store stays bounded on a lifelong feed.
   */
  public StoreBuilder<WindowStore<String, String>> dedup(Duration retention) {
    return org.apache.kafka.streams.state.Stores.windowStoreBuilder(
        org.apache.kafka.streams.state.Stores.persistentWindowStore(
            DEDUP, retention, retention, false),
        Serdes.String(),
        Serdes.String());
  }

  public StoreBuilder<KeyValueStore<String, TrainingExample>> awaitingModel() {
    return persistent(AWAITING_MODEL, Serdes.String(), serdes.internal(TrainingExample.class));
  }

  public StoreBuilder<KeyValueStore<String, ModelOwnerState>> modelOwner() {
    return persistent(MODEL_OWNER, Serdes.String(), serdes.internal(ModelOwnerState.class));
  }

  public StoreBuilder<KeyValueStore<Bytes, BatchExample>> pool() {
    return persistent(POOL, Serdes.Bytes(), serdes.internal(BatchExample.class));
  }

  public StoreBuilder<KeyValueStore<Bytes, ScoreEntry>> scores() {
    return persistent(SCORES, Serdes.Bytes(), serdes.internal(ScoreEntry.class));
  }

  public StoreBuilder<KeyValueStore<Bytes, String>> poolIndex() {
    return persistent(POOL_INDEX, Serdes.Bytes(), Serdes.String());
  }

  public StoreBuilder<KeyValueStore<Bytes, ServedMark>> served() {
    return persistent(SERVED, Serdes.Bytes(), serdes.internal(ServedMark.class));
  }

  /**
   * Cached: the pool rewrites its cluster's statistics for every example, so without a cache each
   * example cost a RocksDB put and a changelog record for a value that the next example of the
   * cluster replaces. Kafka Streams flushes the cache to the store and its changelog before every
   * commit (and on eviction), inside the same transaction, so what a commit acknowledges is still
   * in the changelog; between commits, the latest value per cluster is written once.
   */
  public StoreBuilder<KeyValueStore<Integer, ClusterStats>> poolStats() {
    return persistent(POOL_STATS, Serdes.Integer(), serdes.internal(ClusterStats.class))
        .withCachingEnabled();
  }

  /** Each cluster's near-duplicate window: (cluster, position) → entry. */
  public StoreBuilder<KeyValueStore<Bytes, NearWindowEntry>> nearWindow() {
    return persistent(NEAR_WINDOW, Serdes.Bytes(), serdes.internal(NearWindowEntry.class));
  }

  public StoreBuilder<KeyValueStore<String, TrainerState>> trainers() {
    return persistent(TRAINERS, Serdes.String(), serdes.internal(TrainerState.class));
  }

  public StoreBuilder<KeyValueStore<String, PendingBatch>> assembly() {
    return persistent(ASSEMBLY, Serdes.String(), serdes.internal(PendingBatch.class));
  }

  public StoreBuilder<KeyValueStore<String, TrainingBatch>> stagedBatches() {
    return persistent(STAGED_BATCHES, Serdes.String(), serdes.internal(TrainingBatch.class));
  }

  /**
   * A staged batch's key: the trainer id, a NUL and the sequence in 16 hex digits, so that a
   * trainer's batches sort by sequence.
   */
  public static String stagedKey(String trainerId, long sequence) {
    return trainerId + '\u0000' + String.format("%016x", sequence);
  }

  public StoreBuilder<KeyValueStore<String, RecentBatches>> recentBatches() {
    return persistent(RECENT_BATCHES, Serdes.String(), serdes.internal(RecentBatches.class));
  }

  /**
   * Global stores are restored from their source topic, so they keep no changelog, and they keep
   * that public topic's format: the restore copies its bytes.
   */
  public StoreBuilder<KeyValueStore<String, CentroidModel>> centroids() {
    return persistent(CENTROIDS, Serdes.String(), serdes.forClass(CentroidModel.class, false))
        .withLoggingDisabled();
  }

  public StoreBuilder<KeyValueStore<Integer, ClusterStats>> clusterStats() {
    return persistent(CLUSTER_STATS, Serdes.Integer(), serdes.forClass(ClusterStats.class, false))
        .withLoggingDisabled();
  }

  private static <K, V> StoreBuilder<KeyValueStore<K, V>> persistent(
      String name,
      org.apache.kafka.common.serialization.Serde<K> keys,
      org.apache.kafka.common.serialization.Serde<V> values) {
    return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
        org.apache.kafka.streams.state.Stores.persistentKeyValueStore(name), keys, values);
  }
}
