package io.sieve.policy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The policies a trainer can name in its spec. */
public final class Policies {

  private static final Map<String, SelectionPolicy> BY_NAME = new TreeMap<>();

  static {
    register(new UniformPolicy());
    register(new ClusterBalancedPolicy());
    register(new IterativeRefinementPolicy());
    register(new GroupRefinementPolicy());
    register(new UcbPolicy());
    register(new Exp3Policy());
    register(new CoveragePolicy());
    register(new EquitablePolicy());
    register(StratifiedPolicy.stratified());
    register(StratifiedPolicy.labelBalanced());
  }

  private Policies() {}

  private static void register(SelectionPolicy policy) {
    BY_NAME.put(policy.name(), policy);
  }

  /** The policy of that name, or null. */
  public static SelectionPolicy byName(String name) {
    return BY_NAME.get(name);
  }

  public static Set<String> names() {
    return BY_NAME.keySet();
  }
}
