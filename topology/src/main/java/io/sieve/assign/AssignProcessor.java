package io.sieve.assign;

import io.sieve.avro.BatchExample;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterDelta;
import io.sieve.avro.ModelUpdate;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Assigned;
import io.sieve.cluster.CentroidModels;
import io.sieve.cluster.Centroids;
import io.sieve.cluster.ClusterSet;
import io.sieve.cluster.Vectors;
import io.sieve.config.Topics;
import io.sieve.serde.Embeddings;
import io.sieve.stream.Stores;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Assigns each example to the nearest centre of the global model (cosine, on unit vectors) and
 * keeps per-cluster sums that it sends to the model owner every update interval.
 *
 * <p>Before the first model exists, examples wait in a persistent store and their embeddings go to
 * the owner as bootstrap samples; the waiting examples are assigned as soon as the model arrives
 * through the global store. The sums held between updates are not persisted: a crash loses at most
 * one interval of model refinement, never an example.
 *
 * <p><b>Far points.</b> Only the model owner may create cluster ids, so this task never does. A
 * point whose cosine distance to its nearest centre exceeds {@code cluster.spawn.distance} (while
 * the model has fewer than {@code k.max} clusters) is sent to the owner as a spawn candidate in the
 * next {@link ModelUpdate}, instead of being added to its nearest cluster's sums; the owner decides
 * whether it opens a cluster (see {@link ClusterSet}). Until the new model arrives through the
 * global store, the far point and those like it are assigned, and pooled, under their nearest
 * existing centre: nothing waits for the owner. At most {@value #MAX_SPAWN_CANDIDATES} candidates
 * go in one update; further far points of the same interval are summed into their nearest cluster
 * as usual.
 */
public final class AssignProcessor implements Processor<String, TrainingExample, String, Assigned> {

  private static final Duration MODEL_REFRESH = Duration.ofMillis(250);

  /** Spawn candidates sent per update at most, to bound the owner's work for one burst. */
  static final int MAX_SPAWN_CANDIDATES = 64;

  private final int bootstrapSize;
  private final Duration updateInterval;
  private final double spawnDistance;
  private final int kMax;
  private ProcessorContext<String, Assigned> context;
  private KeyValueStore<String, TrainingExample> awaiting;
  private KeyValueStore<String, CentroidModel> models;

  private long modelVersion = -1;
  private Centroids centroids;
  private float[] sums;
  private long[] counts;
  private final List<ByteBuffer> samples = new ArrayList<>();
  private final List<ByteBuffer> spawnCandidates = new ArrayList<>();
  private int samplesSent;

  /**
   * Whether the awaiting store is known to be empty: this task drained it and put nothing since.
   * The store is this task's alone, so nothing else fills it; a scan of a store emptied by deletes
   * still walks every tombstone until RocksDB compacts them away, four times a second per task.
   */
  private boolean awaitingDrained;

  public AssignProcessor(
      int bootstrapSize, Duration updateInterval, double spawnDistance, int kMax) {
    this.bootstrapSize = bootstrapSize;
    this.updateInterval = updateInterval;
    this.spawnDistance = spawnDistance;
    this.kMax = kMax;
  }

  @Override
  public void init(ProcessorContext<String, Assigned> context) {
    this.context = context;
    this.awaiting = context.getStateStore(Stores.AWAITING_MODEL);
    this.models = context.getStateStore(Stores.CENTROIDS);
    // After an aborted transaction Streams initialises these same processors again and replays the
    // records since the last commit: sums, samples and candidates held from before would count
    // those records twice, so start from nothing, as after a restart.
    clearHeld();
    awaitingDrained = false;
    refreshModel();
    if (centroids == null) {
      // samples held in memory before a restart are gone; offer the waiting examples again
      try (KeyValueIterator<String, TrainingExample> it = awaiting.all()) {
        while (it.hasNext() && samplesSent + samples.size() < bootstrapSize) {
          samples.add(Embeddings.pack(Embeddings.of(it.next().value)));
        }
      }
    }
    context.schedule(MODEL_REFRESH, PunctuationType.WALL_CLOCK_TIME, now -> onRefresh());
    context.schedule(updateInterval, PunctuationType.WALL_CLOCK_TIME, now -> flush());
  }

  @Override
  public void close() {
    clearHeld();
  }

  private void clearHeld() {
    modelVersion = -1;
    centroids = null;
    sums = null;
    counts = null;
    samples.clear();
    spawnCandidates.clear();
    samplesSent = 0;
  }

  @Override
  public void process(Record<String, TrainingExample> record) {
    TrainingExample example = record.value();
    if (centroids == null) {
      awaiting.put(example.getId(), example);
      awaitingDrained = false;
      if (samplesSent + samples.size() < bootstrapSize) {
        samples.add(Embeddings.pack(Embeddings.of(example)));
      }
      return;
    }
    assign(record, example);
  }

  private void assign(Record<String, ?> origin, TrainingExample example) {
    float[] x = Embeddings.of(example);
    int index = centroids.nearestIndex(x);
    if (!offerSpawnCandidate(x, index)) {
      int dim = centroids.dimension();
      int base = index * dim;
      for (int i = 0; i < dim; i++) {
        sums[base + i] += x[i];
      }
      counts[index]++;
    }
    int clusterId = centroids.idAt(index);
    BatchExample pooled =
        BatchExample.newBuilder()
            .setId(example.getId())
            .setClusterId(clusterId)
            .setText(example.getText())
            .setPacked(Embeddings.pack(x))
            .setGroups(example.getGroups())
            .setLabel(example.getLabel())
            .setScore(example.getScore())
            .setEmbeddedBy(example.getEmbeddedBy())
            .build();
    context.forward(
        new Record<String, Assigned>(
            example.getId(), new Assigned.ToPool(clusterId, pooled), origin.timestamp()));
  }

  /** Whether {@code x}, nearest to centre {@code index}, went to the owner as a far point. */
  private boolean offerSpawnCandidate(float[] x, int index) {
    if (centroids.size() >= kMax || spawnCandidates.size() >= MAX_SPAWN_CANDIDATES) {
      return false;
    }
    if (1.0 - centroids.dotWith(x, index) <= spawnDistance) {
      return false;
    }
    spawnCandidates.add(ByteBuffer.wrap(Vectors.pack(x)));
    return true;
  }

  private void onRefresh() {
    if (!refreshModel() || awaitingDrained) {
      return;
    }
    List<KeyValue<String, TrainingExample>> drained = new ArrayList<>();
    try (KeyValueIterator<String, TrainingExample> it = awaiting.all()) {
      while (it.hasNext()) {
        drained.add(it.next());
      }
    }
    long now = context.currentSystemTimeMs();
    for (KeyValue<String, TrainingExample> kv : drained) {
      assign(new Record<>(kv.key, kv.value, now), kv.value);
      awaiting.delete(kv.key);
    }
    awaitingDrained = true;
  }

  /** Loads a newer model from the global store; true when a model is in hand. */
  private boolean refreshModel() {
    CentroidModel model = models.get(Topics.MODEL_KEY);
    if (model == null) {
      return false;
    }
    if (model.getVersion() != modelVersion) {
      flush();
      centroids = CentroidModels.centroids(model);
      modelVersion = model.getVersion();
      sums = new float[centroids.size() * centroids.dimension()];
      counts = new long[centroids.size()];
      samples.clear();
    }
    return true;
  }

  private void flush() {
    List<ClusterDelta> deltas = new ArrayList<>();
    if (centroids != null) {
      int dim = centroids.dimension();
      for (int k = 0; k < counts.length; k++) {
        if (counts[k] == 0) {
          continue;
        }
        float[] sum = new float[dim];
        System.arraycopy(sums, k * dim, sum, 0, dim);
        deltas.add(
            ClusterDelta.newBuilder()
                .setClusterId(centroids.idAt(k))
                .setCount(counts[k])
                .setSum(ByteBuffer.wrap(Vectors.pack(sum)))
                .build());
      }
      java.util.Arrays.fill(sums, 0f);
      java.util.Arrays.fill(counts, 0L);
    }
    if (deltas.isEmpty() && samples.isEmpty() && spawnCandidates.isEmpty()) {
      return;
    }
    ModelUpdate update =
        ModelUpdate.newBuilder()
            .setModelVersion(Math.max(modelVersion, 0))
            .setSamples(new ArrayList<>(samples))
            .setDeltas(deltas)
            .setSpawnCandidates(new ArrayList<>(spawnCandidates))
            .build();
    spawnCandidates.clear();
    samplesSent += samples.size();
    samples.clear();
    context.forward(
        new Record<String, Assigned>(
            Topics.MODEL_KEY, new Assigned.ToOwner(update), context.currentSystemTimeMs()));
  }
}
