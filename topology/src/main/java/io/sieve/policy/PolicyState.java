package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sorted, mutable view of {@link TrainerState#getPolicyState()}; {@link #save} writes it back.
 * Keys are {@code name.<id>} (for example {@code logw.3}), so a policy's numbers read plainly in
 * the trainers' store.
 */
final class PolicyState {

  private final TrainerState state;
  private final TreeMap<String, Double> values;

  PolicyState(TrainerState state) {
    this.state = state;
    this.values = new TreeMap<>(state.getPolicyState());
  }

  double get(String key, double fallback) {
    Double v = values.get(key);
    return v == null ? fallback : v;
  }

  boolean has(String key) {
    return values.containsKey(key);
  }

  void put(String key, double value) {
    values.put(key, value);
  }

  void add(String key, double delta) {
    values.merge(key, delta, Double::sum);
  }

  void remove(String key) {
    values.remove(key);
  }

  /** Removes every key that starts with {@code prefix}. */
  void removePrefix(String prefix) {
    values.keySet().removeIf(k -> k.startsWith(prefix));
  }

  /** The cluster ids of the keys {@code name.<id>}. */
  java.util.TreeSet<Integer> clusters(String name) {
    java.util.TreeSet<Integer> out = new java.util.TreeSet<>();
    String prefix = name + ".";
    for (String k : values.subMap(prefix, prefix + Character.MAX_VALUE).keySet()) {
      try {
        out.add(Integer.parseInt(k.substring(prefix.length())));
      } catch (NumberFormatException ignored) {
        // another name that shares the prefix
      }
    }
    return out;
  }

  /** The ids, as written, of the keys {@code name.<id>}. */
  java.util.TreeSet<String> ids(String name) {
    String prefix = name + ".";
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    for (String k : values.subMap(prefix, prefix + Character.MAX_VALUE).keySet()) {
      out.add(k.substring(prefix.length()));
    }
    return out;
  }

  static String key(String name, int cluster) {
    return name + "." + cluster;
  }

  static String key(String name, String group) {
    return name + "." + group;
  }

  void save() {
    state.setPolicyState(new TreeMap<String, Double>(values));
  }

  Map<String, Double> view() {
    return values;
  }
}
