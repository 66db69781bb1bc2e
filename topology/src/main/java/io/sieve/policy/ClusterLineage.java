package io.sieve.policy;

import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterCursor;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Brings a trainer's per-cluster state in line with the cluster model's lifecycle.
 *
 * <p>Per-cluster policy numbers are the keys {@code name.<cluster id>} of the policy state (see
 * {@link PolicyState#key(String, int)}); per-group keys ({@code name.attr=value}) are never
 * touched. With the model in hand:
 *
 * <ul>
 *   <li><b>Inheritance</b>: a live cluster that has no numbers of its own but whose parent (the
 *       cluster it was split or spawned from, {@link Centroid#getParent()}) has some starts from a
 *       copy of its parent's numbers, instead of cold. The parent keeps its own.
 *   <li><b>Retirement</b>: an id below the model's {@code nextClusterId} that the model no longer
 *       lists was retired, and never comes back (ids are not reused): its policy keys and its
 *       cursor are dropped, so a lifelong feed's trainer state stays bounded by the live clusters.
 * </ul>
 *
 * Ids at or above {@code nextClusterId} are newer than the model this instance has seen and are
 * left alone. Copying is done once: afterwards the new cluster has numbers of its own.
 */
public final class ClusterLineage {

  private final Set<Integer> live;
  private final Map<Integer, Integer> parents;
  private final int nextClusterId;

  private ClusterLineage(Set<Integer> live, Map<Integer, Integer> parents, int nextClusterId) {
    this.live = live;
    this.parents = parents;
    this.nextClusterId = nextClusterId;
  }

  public static ClusterLineage of(CentroidModel model) {
    Set<Integer> live = new TreeSet<>();
    Map<Integer, Integer> parents = new HashMap<>();
    for (Centroid c : model.getClusters()) {
      live.add(c.getId());
      if (c.getParent() != null) {
        parents.put(c.getId(), c.getParent());
      }
    }
    return new ClusterLineage(live, parents, model.getNextClusterId());
  }

  /** Whether {@code id} was handed out and has since been retired. */
  public boolean retired(int id) {
    return id >= 0 && id < nextClusterId && !live.contains(id);
  }

  /**
   * Applies inheritance and retirement to {@code state} (see the class comment).
   *
   * @return whether the policy state or the cursors changed
   */
  public boolean reconcile(TrainerState state) {
    boolean changed = false;
    Map<Integer, Map<String, Double>> byCluster = new TreeMap<>();
    for (Map.Entry<String, Double> e : state.getPolicyState().entrySet()) {
      int cluster = clusterOf(e.getKey());
      if (cluster >= 0) {
        byCluster.computeIfAbsent(cluster, k -> new TreeMap<>()).put(e.getKey(), e.getValue());
      }
    }
    TreeMap<String, Double> policy = new TreeMap<>(state.getPolicyState());
    for (Map.Entry<Integer, Integer> e : parents.entrySet()) {
      int child = e.getKey();
      Map<String, Double> parentNumbers = byCluster.get(e.getValue());
      if (byCluster.containsKey(child) || parentNumbers == null) {
        continue;
      }
      for (Map.Entry<String, Double> n : parentNumbers.entrySet()) {
        String name = n.getKey().substring(0, n.getKey().indexOf('.'));
        policy.put(PolicyState.key(name, child), n.getValue());
      }
      changed = true;
    }
    for (int cluster : byCluster.keySet()) {
      if (retired(cluster)) {
        policy.keySet().removeAll(byCluster.get(cluster).keySet());
        changed = true;
      }
    }
    if (changed) {
      state.setPolicyState(policy);
    }
    List<ClusterCursor> cursors = new ArrayList<>(state.getCursors());
    if (cursors.removeIf(c -> retired(c.getClusterId()))) {
      state.setCursors(cursors);
      changed = true;
    }
    return changed;
  }

  /** The cluster id of a per-cluster policy key {@code name.<id>}, or −1 for any other key. */
  static int clusterOf(String key) {
    int dot = key.indexOf('.');
    if (dot <= 0 || dot == key.length() - 1) {
      return -1;
    }
    for (int i = dot + 1; i < key.length(); i++) {
      if (!Character.isDigit(key.charAt(i))) {
        return -1;
      }
    }
    try {
      return Integer.parseInt(key.substring(dot + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
