package io.sieve.query;

import io.sieve.avro.BatchComposition;
import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterCursor;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.OutstandingBatch;
import io.sieve.avro.RecentBatches;
import io.sieve.avro.StagedBatch;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The JSON shapes of the API, built from the stores' Avro records as plain maps so that the API
 * does not change when an internal record gains a field. Times are ISO-8601 strings; ages are
 * milliseconds before the answer was made.
 */
final class Views {

  private Views() {}

  /**
   * Every cluster known to the model or to the pool statistics. A cluster the model retired may
   * still have a pool ({@code live=false}). The age of a cluster's figures is the time since its
   * pool statistics were last published.
   */
  static Map<String, Object> clusters(
      CentroidModel model, SortedMap<Integer, ClusterStats> stats, long now) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("modelVersion", model == null ? null : model.getVersion());
    out.put("modelUpdatedAt", model == null ? null : model.getUpdatedAt().toString());
    out.put("modelAgeMs", model == null ? null : now - model.getUpdatedAt().toEpochMilli());
    SortedMap<Integer, Centroid> live = liveClusters(model);
    SortedMap<Integer, Boolean> ids = new TreeMap<>();
    live.keySet().forEach(id -> ids.put(id, true));
    stats.keySet().forEach(id -> ids.putIfAbsent(id, false));
    List<Map<String, Object>> clusters = new ArrayList<>();
    ids.keySet().forEach(id -> clusters.add(cluster(id, live.get(id), stats.get(id), now)));
    out.put("clusterCount", live.size());
    out.put("clusters", clusters);
    return out;
  }

  static SortedMap<Integer, Centroid> liveClusters(CentroidModel model) {
    SortedMap<Integer, Centroid> live = new TreeMap<>();
    if (model != null) {
      model.getClusters().forEach(c -> live.put(c.getId(), c));
    }
    return live;
  }

  static Map<String, Object> cluster(int id, Centroid centroid, ClusterStats stats, long now) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("live", centroid != null);
    out.put("weight", centroid == null ? null : centroid.getWeight());
    out.put("size", stats == null ? 0L : stats.getSize());
    out.put("seen", stats == null ? 0L : stats.getSeen());
    out.put("vendi", stats == null ? 0.0 : stats.getVendi());
    out.put("nearDuplicates", stats == null ? 0L : stats.getNearDuplicates());
    out.put("groupCounts", stats == null ? Map.of() : new TreeMap<>(stats.getGroupCounts()));
    out.put("updatedAt", stats == null ? null : stats.getUpdatedAt().toString());
    out.put("ageMs", stats == null ? null : now - stats.getUpdatedAt().toEpochMilli());
    return out;
  }

  /** One line per trainer in {@code GET /trainers}. */
  static Map<String, Object> trainerSummary(TrainerState state) {
    Map<String, Object> out = new LinkedHashMap<>();
    TrainerSpec spec = state.getSpec();
    out.put("trainerId", state.getTrainerId());
    out.put("active", spec != null);
    out.put("policy", spec == null ? null : spec.getPolicy());
    out.put("batchSize", spec == null ? null : spec.getBatchSize());
    out.put("window", spec == null ? null : spec.getWindow());
    out.put("sequence", state.getSequence());
    out.put("outstanding", state.getOutstanding().size());
    out.put("paused", state.getPaused());
    out.put(
        "quarantines", state.getQuarantinedClusters().size() + state.getQuarantinedGroups().size());
    return out;
  }

  static Map<String, Object> trainer(TrainerState state) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trainerId", state.getTrainerId());
    out.put("spec", spec(state.getSpec()));
    out.put("paused", state.getPaused());
    Map<String, Object> quarantine = new LinkedHashMap<>();
    quarantine.put("clusters", new ArrayList<>(state.getQuarantinedClusters()));
    quarantine.put("groups", new ArrayList<>(state.getQuarantinedGroups()));
    out.put("quarantine", quarantine);
    out.put("sequence", state.getSequence());
    out.put("rewinds", state.getRewinds());
    out.put("round", state.getRound());
    out.put("stateVersion", state.getStateVersion());
    out.put("cycle", state.getCycle());
    out.put("policyState", new TreeMap<>(state.getPolicyState()));
    List<Map<String, Object>> outstanding = new ArrayList<>();
    for (OutstandingBatch b : state.getOutstanding()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("batchId", b.getBatchId());
      o.put("plannedAt", Instant.ofEpochMilli(b.getPlannedAt()).toString());
      outstanding.add(o);
    }
    out.put("outstanding", outstanding);
    // planned ahead of credit (batch.stage), in the order they will be written; sequence above is
    // the next one planned, past these
    List<Map<String, Object>> staged = new ArrayList<>();
    for (StagedBatch b : state.getStaged()) {
      if (b.getDiscarded() != null) {
        continue;
      }
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("batchId", b.getBatchId());
      o.put("sequence", b.getSequence());
      o.put("plannedAt", Instant.ofEpochMilli(b.getPlannedAt()).toString());
      o.put("assembled", b.getArrived());
      staged.add(o);
    }
    out.put("staged", staged);
    List<Map<String, Object>> cursors = new ArrayList<>();
    for (ClusterCursor c : state.getCursors()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("clusterId", c.getClusterId());
      o.put("cycle", c.getCycle());
      o.put("size", c.getSize());
      o.put("drawn", c.getDrawn());
      cursors.add(o);
    }
    out.put("cursors", cursors);
    return out;
  }

  static Map<String, Object> spec(TrainerSpec spec) {
    if (spec == null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("policy", spec.getPolicy());
    out.put("batchSize", spec.getBatchSize());
    out.put("window", spec.getWindow());
    out.put("seed", spec.getSeed());
    out.put("idsOnly", spec.getIdsOnly());
    out.put("packedEmbeddings", spec.getPackedEmbeddings());
    out.put("ranks", spec.getRanks());
    out.put("params", new TreeMap<>(spec.getParams()));
    return out;
  }

  static Map<String, Object> recentBatches(String trainerId, RecentBatches recent) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trainerId", trainerId);
    List<Map<String, Object>> batches = new ArrayList<>();
    if (recent != null) {
      for (BatchComposition b : recent.getBatches()) {
        batches.add(composition(b));
      }
    }
    out.put("batches", batches);
    return out;
  }

  static Map<String, Object> composition(BatchComposition b) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("batchId", b.getBatchId());
    out.put("sequence", b.getSequence());
    out.put("policy", b.getPolicy());
    out.put("policyStateVersion", b.getPolicyStateVersion());
    out.put("requested", b.getRequested());
    out.put("size", b.getSize());
    out.put("complete", b.getComplete());
    out.put("clusterCounts", new TreeMap<>(b.getClusterCounts()));
    out.put("groupCounts", new TreeMap<>(b.getGroupCounts()));
    out.put("clusterEntropyBits", b.getClusterEntropy());
    out.put("groupEntropyBits", new TreeMap<>(b.getGroupEntropy()));
    out.put("plannedAt", b.getPlannedAt().toString());
    out.put("assembledAt", b.getAssembledAt().toString());
    out.put("latencyMs", b.getAssembledAt().toEpochMilli() - b.getPlannedAt().toEpochMilli());
    return out;
  }
}
